//! Article SQL. "Visible" means published, or scheduled with its time come; drafts and future
//! articles are seen only by those who manage articles.

use crate::kinds::ArticleStatus;
use tsunagu_kernel::MemberId;

use time::OffsetDateTime;
use tsunagu_kernel::{DbError, TenantTx};

tsunagu_kernel::entity_id!(
    /// An article.
    ArticleId
);

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Article {
    pub id: ArticleId,
    pub author_id: MemberId,
    pub author_name: String,
    pub title: String,
    pub summary: String,
    pub body_html: String,
    pub cover_key: Option<String>,
    pub status: ArticleStatus,
    pub publish_at: Option<OffsetDateTime>,
    pub like_count: i32,
    pub comment_count: i32,
    pub liked: bool,
    /// Written by platform staff within a support grant (the network's "Tsunagu CS" member):
    /// a draft that waits for the secretariat's approval.
    pub by_support: bool,
}

const COLUMNS: &str = "a.id, a.author_id, m.name_kanji as author_name, a.title, a.summary, a.body_html, a.cover_key, \
    a.status, a.publish_at, a.like_count, a.comment_count, \
        exists (select 1 from article_likes l where l.tenant_id = a.tenant_id and l.article_id = a.id and l.member_id = $2) as liked, \
    m.status = 'support' as by_support";

const VISIBLE: &str = "a.status <> 'draft' and a.publish_at <= now()";

pub async fn list(
    tx: &mut TenantTx,
    viewer: MemberId,
    include_unpublished: bool,
) -> Result<Vec<Article>, DbError> {
    let tenant_id = tx.tenant_id();
    let visibility = if include_unpublished { "true" } else { VISIBLE };
    Ok(sqlx::query_as(&format!(
        "select {COLUMNS} from articles a join members m on m.tenant_id = a.tenant_id and m.id = a.author_id \
         where a.tenant_id = $1 and {visibility} \
         order by (a.status = 'draft') desc, a.publish_at desc nulls first, a.id desc limit 100"
    ))
    .bind(tenant_id)
    .bind(viewer)
    .fetch_all(tx.conn())
    .await?)
}

pub async fn find(
    tx: &mut TenantTx,
    id: ArticleId,
    viewer: MemberId,
    include_unpublished: bool,
) -> Result<Option<Article>, DbError> {
    let tenant_id = tx.tenant_id();
    let visibility = if include_unpublished { "true" } else { VISIBLE };
    Ok(sqlx::query_as(&format!(
        "select {COLUMNS} from articles a join members m on m.tenant_id = a.tenant_id and m.id = a.author_id \
         where a.tenant_id = $1 and a.id = $3 and {visibility}"
    ))
    .bind(tenant_id)
    .bind(viewer)
    .bind(id)
    .fetch_optional(tx.conn())
    .await?)
}

/// Publishes a draft now (the secretariat's one-click approval); its title, or `None` when it is
/// not a draft of this network.
pub async fn publish_draft(tx: &mut TenantTx, id: ArticleId) -> Result<Option<String>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_scalar(
        "update articles set status = 'published', publish_at = now(), updated_at = now() \
         where tenant_id = $1 and id = $2 and status = 'draft' returning title",
    )
    .bind(tenant_id)
    .bind(id)
    .fetch_optional(tx.conn())
    .await?)
}

pub struct ArticleInput<'a> {
    pub title: &'a str,
    pub summary: &'a str,
    pub body_html: &'a str,
    pub status: ArticleStatus,
    pub publish_at: Option<OffsetDateTime>,
    /// `None` keeps the featured members as they are (an editor who may not see the member list).
    pub featured: Option<&'a [tsunagu_kernel::MemberId]>,
}

/// Creates (`id` None) or updates an article and replaces its featured members. Featured ids of
/// people who are not active members here are ignored (RLS hides other tenants' members anyway).
pub async fn save(
    tx: &mut TenantTx,
    id: Option<ArticleId>,
    author: MemberId,
    input: &ArticleInput<'_>,
) -> Result<Option<ArticleId>, DbError> {
    let tenant_id = tx.tenant_id();
    let id = match id {
        None => {
            let id = ArticleId::new();
            sqlx::query(
                "insert into articles (tenant_id, id, author_id, title, summary, body_html, status, publish_at) \
                 values ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(tenant_id)
            .bind(id)
            .bind(author)
            .bind(input.title)
            .bind(input.summary)
            .bind(input.body_html)
            .bind(input.status)
            .bind(input.publish_at)
            .execute(tx.conn())
            .await?;
            id
        }
        Some(id) => {
            let updated = sqlx::query(
                "update articles set title = $3, summary = $4, body_html = $5, status = $6, publish_at = $7, updated_at = now() \
                 where tenant_id = $1 and id = $2",
            )
            .bind(tenant_id)
            .bind(id)
            .bind(input.title)
            .bind(input.summary)
            .bind(input.body_html)
            .bind(input.status)
            .bind(input.publish_at)
            .execute(tx.conn())
            .await?
            .rows_affected();
            if updated != 1 {
                return Ok(None);
            }
            id
        }
    };
    let Some(featured) = input.featured else {
        return Ok(Some(id));
    };
    sqlx::query("delete from article_featured_members where tenant_id = $1 and article_id = $2")
        .bind(tenant_id)
        .bind(id)
        .execute(tx.conn())
        .await?;
    sqlx::query(
        "insert into article_featured_members (tenant_id, article_id, member_id) \
         select $1, $2, m.id from members m where m.tenant_id = $1 and m.id = any($3) and m.status = 'active'",
    )
    .bind(tenant_id)
    .bind(id)
        .bind(featured)
    .execute(tx.conn())
    .await?;
    Ok(Some(id))
}

pub async fn set_cover(
    tx: &mut TenantTx,
    id: ArticleId,
    key: &str,
) -> Result<Option<String>, DbError> {
    let tenant_id = tx.tenant_id();
    let previous: Option<Option<String>> = sqlx::query_scalar(
        "update articles a set cover_key = $3 from (select cover_key from articles where tenant_id = $1 and id = $2) old \
         where a.tenant_id = $1 and a.id = $2 returning old.cover_key",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(key)
    .fetch_optional(tx.conn())
    .await?;
    Ok(previous.flatten())
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct Featured {
    pub id: tsunagu_kernel::MemberId,
    pub name_kanji: String,
    pub title: String,
    pub current_organisation: String,
}

pub async fn featured(tx: &mut TenantTx, id: ArticleId) -> Result<Vec<Featured>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_as(
        "select m.id, m.name_kanji, \
           case when coalesce(m.field_visibility->>'title', 'members') = 'members' then m.title else '' end as title, \
           case when coalesce(m.field_visibility->>'current_organisation', 'members') = 'members' then m.current_organisation else '' end as current_organisation \
         from article_featured_members f join members m on m.tenant_id = f.tenant_id and m.id = f.member_id \
         where f.tenant_id = $1 and f.article_id = $2 and m.status = 'active' order by m.name_kana",
    )
    .bind(tenant_id)
    .bind(id)
    .fetch_all(tx.conn())
    .await?)
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct MemberOption {
    pub id: tsunagu_kernel::MemberId,
    pub name_kanji: String,
}

/// Members to pick as featured (the first 500 by name).
pub async fn member_options(tx: &mut TenantTx) -> Result<Vec<MemberOption>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_as(
        "select id, name_kanji from members where tenant_id = $1 and status = 'active' order by name_kana, id limit 500",
    )
    .bind(tenant_id)
    .fetch_all(tx.conn())
    .await?)
}

pub async fn toggle_like(
    tx: &mut TenantTx,
    article: ArticleId,
    member: MemberId,
) -> Result<(bool, i32), DbError> {
    let tenant_id = tx.tenant_id();
    let deleted = sqlx::query(
        "delete from article_likes where tenant_id = $1 and article_id = $2 and member_id = $3",
    )
    .bind(tenant_id)
    .bind(article)
    .bind(member)
    .execute(tx.conn())
    .await?
    .rows_affected();
    if deleted == 0 {
        sqlx::query(
            "insert into article_likes (tenant_id, article_id, member_id) values ($1, $2, $3)",
        )
        .bind(tenant_id)
        .bind(article)
        .bind(member)
        .execute(tx.conn())
        .await?;
    }
    let count: i32 = sqlx::query_scalar(
        "update articles set like_count = like_count + $3 where tenant_id = $1 and id = $2 returning like_count",
    )
    .bind(tenant_id)
    .bind(article)
    .bind(if deleted == 0 { 1 } else { -1 })
    .fetch_one(tx.conn())
    .await?;
    Ok((deleted == 0, count))
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Comment {
    pub author_id: MemberId,
    pub author_name: String,
    pub body: String,
    pub created_at: OffsetDateTime,
}

pub async fn comments(tx: &mut TenantTx, article: ArticleId) -> Result<Vec<Comment>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_as(
        "select c.author_id, m.name_kanji as author_name, c.body, c.created_at from article_comments c \
         join members m on m.tenant_id = c.tenant_id and m.id = c.author_id \
         where c.tenant_id = $1 and c.article_id = $2 and c.hidden_at is null order by c.created_at limit 500",
    )
    .bind(tenant_id)
    .bind(article)
    .fetch_all(tx.conn())
    .await?)
}

pub async fn add_comment(
    tx: &mut TenantTx,
    article: ArticleId,
    author: MemberId,
    body: &str,
) -> Result<(), DbError> {
    let tenant_id = tx.tenant_id();
    sqlx::query("insert into article_comments (tenant_id, id, article_id, author_id, body) values ($1, $2, $3, $4, $5)")
        .bind(tenant_id)
        .bind(tsunagu_kernel::ids::new_row_id())
        .bind(article)
        .bind(author)
        .bind(body)
        .execute(tx.conn())
        .await?;
    sqlx::query(
        "update articles set comment_count = comment_count + 1 where tenant_id = $1 and id = $2",
    )
    .bind(tenant_id)
    .bind(article)
    .execute(tx.conn())
    .await?;
    Ok(())
}
