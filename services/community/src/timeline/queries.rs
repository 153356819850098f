//! Timeline SQL: posts, likes and comments. Counts are kept on the post row in the same
//! transaction as the like or comment, so the feed reads one row per post.

use time::OffsetDateTime;
use tsunagu_kernel::MemberId;
use tsunagu_kernel::{DbError, TenantTx};

tsunagu_kernel::entity_id!(
    /// A timeline post.
    PostId
);

tsunagu_kernel::entity_id!(
    /// A comment on a timeline post.
    CommentId
);

/// What a post card shows: the same for every viewer.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Post {
    pub id: PostId,
    pub author_id: MemberId,
    pub author_name: String,
    pub body: String,
    pub kind: crate::kinds::PostKind,
    pub expires_at: Option<OffsetDateTime>,
    pub like_count: i32,
    pub comment_count: i32,
    pub created_at: OffsetDateTime,
    pub edited_at: Option<OffsetDateTime>,
    pub image_key: Option<String>,
}

/// A post as one viewer sees it: with whether they liked it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FeedPost {
    #[sqlx(flatten)]
    pub post: Post,
    pub liked: bool,
}

/// A post of the feed's first page with the members who liked it (at most [`LIKERS_CAP`]), for
/// the feed cache, which answers "did I like it?" for every viewer from this list.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HeadPost {
    #[sqlx(flatten)]
    pub post: Post,
    pub likers: Vec<MemberId>,
}

/// At most this many likers per post are read into the feed cache. A post with more (rare in a
/// company network, but possible) is checked for the viewer's like per request instead, so one
/// popular post cannot make every reload of the feed's head read thousands of rows.
pub const LIKERS_CAP: i64 = 2_000;

pub const PAGE_SIZE: i64 = 20;

/// A feed statement: the page of posts is chosen first (`$1` tenant, `$3` limit, plus the
/// given extra condition), then only its rows are decorated with the author and either the
/// viewer's like (`liked`: did `$2` like it?) or the likers (`likers`: up to `$2` of them).
/// Asked as one flat query, PostgreSQL may answer "did the viewer like it" by collecting all of
/// the viewer's likes first, which in a large tenant means reading millions of index entries.
macro_rules! feed_sql {
    ($page_condition:literal, liked) => {
        feed_sql!(@ $page_condition,
            "exists (select 1 from post_likes l where l.tenant_id = page.tenant_id \
                     and l.post_id = page.id and l.member_id = $2) as liked")
    };
    ($page_condition:literal, likers) => {
        feed_sql!(@ $page_condition,
            "array(select l.member_id from post_likes l where l.tenant_id = page.tenant_id \
                   and l.post_id = page.id order by l.member_id limit $2) as likers")
    };
    (@ $page_condition:literal, $decoration:literal) => {
        concat!(
            "with page as materialized ( \
               select p.tenant_id, p.id, p.author_id, p.body, p.kind, p.expires_at, p.like_count, \
                      p.comment_count, p.created_at, p.edited_at, p.image_key \
               from posts p \
               where p.tenant_id = $1 and p.hidden_at is null \
                 and (p.expires_at is null or p.expires_at > now()) ",
            $page_condition,
            " order by p.created_at desc, p.id desc limit $3) \
             select page.id, page.author_id, m.name_kanji as author_name, page.body, page.kind, \
                    page.expires_at, page.like_count, page.comment_count, page.created_at, \
                    page.edited_at, page.image_key, ",
            $decoration,
            " from page join members m on m.tenant_id = page.tenant_id and m.id = page.author_id \
             order by page.created_at desc, page.id desc"
        )
    };
}

/// The feed's first page for the feed cache: every post with up to `$2` of its likers, the same
/// for every viewer.
///
/// The first and later pages are two statements, not one with "`$3 is null or` after the
/// cursor": that form has no generic plan that can seek to the cursor, so PostgreSQL planned it
/// afresh on every call. Both run with generic plans (see `Db::begin_tenant_generic_plans`);
/// `tests/integration/scale.rs` checks those plans at scale.
pub const FEED_HEAD_SQL: &str = feed_sql!("", likers);

/// The feed after a cursor (the last post of the previous page: `$4`, `$5` = its time and id),
/// with the viewer's (`$2`) likes.
pub const FEED_NEXT_PAGE_SQL: &str = feed_sql!("and (p.created_at, p.id) < ($4, $5)", liked);

/// The feed's first page (and the look-ahead post, which tells whether there is a next page) as
/// the feed cache keeps it. Open the transaction with `Db::begin_tenant_generic_plans`.
pub async fn feed_head(tx: &mut TenantTx) -> Result<Vec<HeadPost>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_as(FEED_HEAD_SQL)
        .bind(tenant_id)
        .bind(LIKERS_CAP)
        .bind(PAGE_SIZE + 1)
        .fetch_all(tx.conn())
        .await?)
}

/// A later page of the feed (and one post more) after the cursor, as `viewer` sees it. Open the
/// transaction with `Db::begin_tenant_generic_plans`.
pub async fn feed_after(
    tx: &mut TenantTx,
    viewer: MemberId,
    (at, id): (OffsetDateTime, PostId),
) -> Result<Vec<FeedPost>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_as(FEED_NEXT_PAGE_SQL)
        .bind(tenant_id)
        .bind(viewer)
        .bind(PAGE_SIZE + 1)
        .bind(at)
        .bind(id)
        .fetch_all(tx.conn())
        .await?)
}

/// Which of `posts` the viewer liked (for posts whose likers the cache could not hold).
pub async fn liked_among(
    tx: &mut TenantTx,
    viewer: MemberId,
    posts: &[PostId],
) -> Result<Vec<PostId>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_scalar(
        "select post_id from post_likes where tenant_id = $1 and member_id = $2 and post_id = any($3)",
    )
    .bind(tenant_id)
    .bind(viewer)
    .bind(posts)
    .fetch_all(tx.conn())
    .await?)
}

pub async fn find_post(
    tx: &mut TenantTx,
    id: PostId,
    viewer: MemberId,
) -> Result<Option<FeedPost>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_as(
        "select p.id, p.author_id, m.name_kanji as author_name, p.body, p.kind, p.expires_at, \
                p.like_count, p.comment_count, p.created_at, p.edited_at, p.image_key, \
                exists (select 1 from post_likes l where l.tenant_id = p.tenant_id and l.post_id = p.id and l.member_id = $3) as liked \
         from posts p join members m on m.tenant_id = p.tenant_id and m.id = p.author_id \
         where p.tenant_id = $1 and p.id = $2 and p.hidden_at is null",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(viewer)
    .fetch_optional(tx.conn())
    .await?)
}

pub async fn create_post(
    tx: &mut TenantTx,
    author: MemberId,
    body: &str,
    kind: crate::kinds::PostKind,
    expires_at: Option<OffsetDateTime>,
    image_key: Option<&str>,
) -> Result<PostId, DbError> {
    tx.changed_version(super::cache::VERSION);
    let tenant_id = tx.tenant_id();
    let id = PostId::new();
    sqlx::query(
                "insert into posts (tenant_id, id, author_id, body, kind, expires_at, image_key) values ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(author)
    .bind(body)
    .bind(kind)
        .bind(expires_at)
    .bind(image_key)
    .execute(tx.conn())
    .await?;
    Ok(id)
}

/// Edits the author's own post; false if it is not theirs (or gone).
pub async fn edit_post(
    tx: &mut TenantTx,
    id: PostId,
    author: MemberId,
    body: &str,
) -> Result<bool, DbError> {
    tx.changed_version(super::cache::VERSION);
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query(
        "update posts set body = $4, edited_at = now() \
         where tenant_id = $1 and id = $2 and author_id = $3 and hidden_at is null",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(author)
    .bind(body)
    .execute(tx.conn())
    .await?
    .rows_affected()
        == 1)
}

/// Deletes the author's own post; returns its image key (to delete the file), or None if the
/// post is not theirs.
pub async fn delete_post(
    tx: &mut TenantTx,
    id: PostId,
    author: MemberId,
) -> Result<Option<Option<String>>, DbError> {
    tx.changed_version(super::cache::VERSION);
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_scalar(
        "delete from posts where tenant_id = $1 and id = $2 and author_id = $3 returning image_key",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(author)
    .fetch_optional(tx.conn())
    .await?)
}

/// Hides a post from members (`hidden`) or shows it again, as the secretariat decided. Returns
/// the author when the post was in the other state (None: no such post, or nothing to change).
pub async fn set_post_hidden(
    tx: &mut TenantTx,
    id: PostId,
    hidden: bool,
    by: MemberId,
) -> Result<Option<MemberId>, DbError> {
    tx.changed_version(super::cache::VERSION);
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_scalar(
        "update posts set hidden_at = case when $3 then now() end, hidden_by = case when $3 then $4 end \
         where tenant_id = $1 and id = $2 and (hidden_at is null) = $3 returning author_id",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(hidden)
    .bind(by)
    .fetch_optional(tx.conn())
    .await?)
}

/// Toggles the member's like; returns (liked now, like count) or None if the post is not visible.
pub async fn toggle_like(
    tx: &mut TenantTx,
    post: PostId,
    member: MemberId,
) -> Result<Option<(bool, i32)>, DbError> {
    tx.changed_version(super::cache::VERSION);
    let tenant_id = tx.tenant_id();
    let exists: Option<bool> = sqlx::query_scalar(
        "select exists (select 1 from post_likes where tenant_id = $1 and post_id = $2 and member_id = $3) \
         from posts where tenant_id = $1 and id = $2 and hidden_at is null for update",
    )
    .bind(tenant_id)
    .bind(post)
    .bind(member)
    .fetch_optional(tx.conn())
    .await?;
    let Some(liked) = exists else { return Ok(None) };
    if liked {
        sqlx::query(
            "delete from post_likes where tenant_id = $1 and post_id = $2 and member_id = $3",
        )
        .bind(tenant_id)
        .bind(post)
        .bind(member)
        .execute(tx.conn())
        .await?;
    } else {
        sqlx::query("insert into post_likes (tenant_id, post_id, member_id) values ($1, $2, $3)")
            .bind(tenant_id)
            .bind(post)
            .bind(member)
            .execute(tx.conn())
            .await?;
    }
    let count: i32 = sqlx::query_scalar(
        "update posts set like_count = like_count + $3 where tenant_id = $1 and id = $2 returning like_count",
    )
    .bind(tenant_id)
    .bind(post)
    .bind(if liked { -1 } else { 1 })
    .fetch_one(tx.conn())
    .await?;
    Ok(Some((!liked, count)))
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Comment {
    pub id: CommentId,
    pub author_id: MemberId,
    pub author_name: String,
    pub body: String,
    pub created_at: OffsetDateTime,
}

pub async fn comments(tx: &mut TenantTx, post: PostId) -> Result<Vec<Comment>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_as(
        "select c.id, c.author_id, m.name_kanji as author_name, c.body, c.created_at \
         from post_comments c join members m on m.tenant_id = c.tenant_id and m.id = c.author_id \
         where c.tenant_id = $1 and c.post_id = $2 and c.hidden_at is null order by c.created_at, c.id limit 500",
    )
    .bind(tenant_id)
    .bind(post)
    .fetch_all(tx.conn())
    .await?)
}

/// Adds a comment to a visible post; false if the post is not visible.
pub async fn add_comment(
    tx: &mut TenantTx,
    post: PostId,
    author: MemberId,
    body: &str,
) -> Result<bool, DbError> {
    tx.changed_version(super::cache::VERSION);
    let tenant_id = tx.tenant_id();
    let updated = sqlx::query(
        "update posts set comment_count = comment_count + 1 where tenant_id = $1 and id = $2 and hidden_at is null",
    )
    .bind(tenant_id)
    .bind(post)
    .execute(tx.conn())
    .await?
    .rows_affected();
    if updated != 1 {
        return Ok(false);
    }
    sqlx::query("insert into post_comments (tenant_id, id, post_id, author_id, body) values ($1, $2, $3, $4, $5)")
        .bind(tenant_id)
        .bind(tsunagu_kernel::ids::new_row_id())
        .bind(post)
        .bind(author)
        .bind(body)
        .execute(tx.conn())
        .await?;
    Ok(true)
}

/// A visible comment of a visible post.
pub async fn find_comment(
    tx: &mut TenantTx,
    post: PostId,
    comment: CommentId,
) -> Result<Option<Comment>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_as(
        "select c.id, c.author_id, m.name_kanji as author_name, c.body, c.created_at \
         from post_comments c join members m on m.tenant_id = c.tenant_id and m.id = c.author_id \
         join posts p on p.tenant_id = c.tenant_id and p.id = c.post_id \
         where c.tenant_id = $1 and c.post_id = $2 and c.id = $3 and c.hidden_at is null \
           and p.hidden_at is null",
    )
    .bind(tenant_id)
    .bind(post)
    .bind(comment)
    .fetch_optional(tx.conn())
    .await?)
}

/// Hides a comment (`hidden`) or shows it again, keeping the post's comment count. Returns the
/// comment's post and author when it was in the other state.
pub async fn set_comment_hidden(
    tx: &mut TenantTx,
    comment: CommentId,
    hidden: bool,
) -> Result<Option<(PostId, MemberId)>, DbError> {
    tx.changed_version(super::cache::VERSION);
    let tenant_id = tx.tenant_id();
    let changed: Option<(PostId, MemberId)> = sqlx::query_as(
        "update post_comments set hidden_at = case when $3 then now() end \
         where tenant_id = $1 and id = $2 and (hidden_at is null) = $3 returning post_id, author_id",
    )
    .bind(tenant_id)
    .bind(comment)
    .bind(hidden)
    .fetch_optional(tx.conn())
    .await?;
    if let Some((post, _)) = changed {
        sqlx::query(
            "update posts set comment_count = greatest(comment_count + case when $3 then -1 else 1 end, 0) \
             where tenant_id = $1 and id = $2",
        )
        .bind(tenant_id)
        .bind(post)
        .bind(hidden)
        .execute(tx.conn())
        .await?;
    }
    Ok(changed)
}

/// Where each of these posts stands for moderation: (id, hidden, text now). A post missing from
/// the answer was deleted by its author.
pub async fn post_states(
    tx: &mut TenantTx,
    ids: &[PostId],
) -> Result<Vec<(PostId, bool, String)>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_as(
        "select id, hidden_at is not null, body from posts where tenant_id = $1 and id = any($2)",
    )
    .bind(tenant_id)
    .bind(ids)
    .fetch_all(tx.conn())
    .await?)
}

/// Where each of these comments stands for moderation: (id, its post, hidden, text now).
pub async fn comment_states(
    tx: &mut TenantTx,
    ids: &[CommentId],
) -> Result<Vec<(CommentId, PostId, bool, String)>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_as(
        "select id, post_id, hidden_at is not null, body from post_comments \
         where tenant_id = $1 and id = any($2)",
    )
    .bind(tenant_id)
    .bind(ids)
    .fetch_all(tx.conn())
    .await?)
}
