//! Messages SQL (this crate owns `conversations`, `conversation_members`, `messages`,
//! `member_blocks`, `message_reports`). Every statement names the tenant and is read in the
//! member's tenant transaction (RLS); a conversation is reached only through the reader's own
//! membership row, so no statement here can show a conversation to someone outside it.

use time::OffsetDateTime;
use tsunagu_kernel::{DbError, MemberId, TenantTx};

tsunagu_kernel::entity_id!(
    /// A conversation between members.
    ConversationId
);
tsunagu_kernel::entity_id!(
    /// One message of a conversation.
    MessageId
);

tsunagu_kernel::text_enum! {
    /// Two members, or a small group with a title.
    pub enum ConversationKind {
        Direct => "direct",
        Group => "group",
    }
}

/// Members a group may have.
pub const MAX_GROUP: usize = 50;

/// One line of a member's conversation list.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ConversationSummary {
    pub id: ConversationId,
    pub kind: ConversationKind,
    pub title: String,
    pub last_message_at: OffsetDateTime,
    pub unread: i64,
    /// The other current members' names.
    pub others: Option<String>,
    /// The newest message's text ('' when deleted or an image alone, none when there is no
    /// message yet).
    pub last_body: Option<String>,
    /// The newest message carries an image.
    pub last_image: bool,
}

/// The member's conversations, newest activity first.
pub async fn list_for(
    tx: &mut TenantTx,
    member: MemberId,
    limit: i64,
) -> Result<Vec<ConversationSummary>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_as(
        "select c.id, c.kind, c.title, c.last_message_at, \
           (select count(*) from messages m \
            where m.tenant_id = c.tenant_id and m.conversation_id = c.id \
              and m.created_at > cm.last_read_at and m.author_id <> $2 and m.deleted_at is null) as unread, \
           (select string_agg(mb.name_kanji, '、' order by mb.name_kana, mb.id) \
            from conversation_members o join members mb on mb.tenant_id = o.tenant_id and mb.id = o.member_id \
            where o.tenant_id = c.tenant_id and o.conversation_id = c.id and o.member_id <> $2 \
              and o.left_at is null) as others, \
                      (select case when m.hidden_at is null then m.body else '' end from messages m \
            where m.tenant_id = c.tenant_id and m.conversation_id = c.id \
            order by m.created_at desc, m.id desc limit 1) as last_body, \
           coalesce((select m.image_key is not null and m.hidden_at is null from messages m \
            where m.tenant_id = c.tenant_id and m.conversation_id = c.id \
            order by m.created_at desc, m.id desc limit 1), false) as last_image \
         from conversation_members cm \
         join conversations c on c.tenant_id = cm.tenant_id and c.id = cm.conversation_id \
         where cm.tenant_id = $1 and cm.member_id = $2 and cm.left_at is null \
         order by c.last_message_at desc, c.id desc limit $3",
    )
    .bind(tenant_id)
    .bind(member)
    .bind(limit)
    .fetch_all(tx.conn())
    .await?)
}

/// A conversation as one of its current members sees it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Conversation {
    pub id: ConversationId,
    pub kind: ConversationKind,
    pub title: String,
    pub created_by: MemberId,
    pub last_read_at: OffsetDateTime,
}

/// The conversation if `member` is in it now; `None` otherwise (as if it did not exist).
pub async fn find_for_member(
    tx: &mut TenantTx,
    id: ConversationId,
    member: MemberId,
) -> Result<Option<Conversation>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_as(
        "select c.id, c.kind, c.title, c.created_by, cm.last_read_at \
         from conversations c \
         join conversation_members cm on cm.tenant_id = c.tenant_id and cm.conversation_id = c.id \
         where c.tenant_id = $1 and c.id = $2 and cm.member_id = $3 and cm.left_at is null",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(member)
    .fetch_optional(tx.conn())
    .await?)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Participant {
    pub id: MemberId,
    pub name_kanji: String,
}

/// The current members of a conversation, in name order.
pub async fn participants(
    tx: &mut TenantTx,
    id: ConversationId,
) -> Result<Vec<Participant>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_as(
        "select m.id, m.name_kanji from conversation_members cm \
         join members m on m.tenant_id = cm.tenant_id and m.id = cm.member_id \
         where cm.tenant_id = $1 and cm.conversation_id = $2 and cm.left_at is null \
         order by m.name_kana, m.id",
    )
    .bind(tenant_id)
    .bind(id)
    .fetch_all(tx.conn())
    .await?)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MessageRow {
    pub id: MessageId,
    pub author_id: MemberId,
    pub author_name: String,
    pub body: String,
    pub created_at: OffsetDateTime,
    pub edited_at: Option<OffsetDateTime>,
    pub deleted_at: Option<OffsetDateTime>,
    /// Its image's key in the media store (see [`message_image`]).
    pub image_key: Option<String>,
    /// Hidden by the secretariat after a report: its text and image are not read out.
    pub hidden: bool,
}

/// The newest `limit` messages of a conversation, oldest first.
pub async fn recent_messages(
    tx: &mut TenantTx,
    id: ConversationId,
    limit: i64,
) -> Result<Vec<MessageRow>, DbError> {
    let tenant_id = tx.tenant_id();
    let mut rows: Vec<MessageRow> = sqlx::query_as(
        "select m.id, m.author_id, a.name_kanji as author_name, \
           case when m.hidden_at is null then m.body else '' end as body, m.created_at, m.edited_at, \
           m.deleted_at, case when m.hidden_at is null then m.image_key end as image_key, \
           m.hidden_at is not null as hidden \
         from messages m join members a on a.tenant_id = m.tenant_id and a.id = m.author_id \
         where m.tenant_id = $1 and m.conversation_id = $2 \
         order by m.created_at desc, m.id desc limit $3",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(limit)
    .fetch_all(tx.conn())
    .await?;
    rows.reverse();
    Ok(rows)
}

/// The direct conversation of two members, made if they have none. Either way both are
/// (again) current members of it.
pub async fn direct_between(
    tx: &mut TenantTx,
    from: MemberId,
    to: MemberId,
) -> Result<ConversationId, DbError> {
    let tenant_id = tx.tenant_id();
    let (low, high) = if from.as_uuid() < to.as_uuid() {
        (from, to)
    } else {
        (to, from)
    };
    let id = ConversationId::new();
    sqlx::query(
        "insert into conversations (tenant_id, id, kind, direct_low, direct_high, created_by) \
         values ($1, $2, 'direct', $3, $4, $5) \
         on conflict (tenant_id, direct_low, direct_high) do nothing",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(low)
    .bind(high)
    .bind(from)
    .execute(tx.conn())
    .await?;
    let id: ConversationId = sqlx::query_scalar(
        "select id from conversations where tenant_id = $1 and direct_low = $2 and direct_high = $3",
    )
    .bind(tenant_id)
    .bind(low)
    .bind(high)
    .fetch_one(tx.conn())
    .await?;
    join(tx, id, &[from, to]).await?;
    Ok(id)
}

/// A new group of `members` (the creator included), titled `title`.
pub async fn create_group(
    tx: &mut TenantTx,
    creator: MemberId,
    title: &str,
    members: &[MemberId],
) -> Result<ConversationId, DbError> {
    let tenant_id = tx.tenant_id();
    let id = ConversationId::new();
    sqlx::query(
        "insert into conversations (tenant_id, id, kind, title, created_by) \
         values ($1, $2, 'group', $3, $4)",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(title)
    .bind(creator)
    .execute(tx.conn())
    .await?;
    let mut all: Vec<MemberId> = members.to_vec();
    all.push(creator);
    all.sort_by_key(|m| m.as_uuid());
    all.dedup();
    join(tx, id, &all).await?;
    Ok(id)
}

/// Makes `members` current members of the conversation (back in, if they had left).
async fn join(tx: &mut TenantTx, id: ConversationId, members: &[MemberId]) -> Result<(), DbError> {
    let tenant_id = tx.tenant_id();
    sqlx::query(
        "insert into conversation_members (tenant_id, conversation_id, member_id) \
         select $1, $2, m from unnest($3::uuid[]) m \
         on conflict (tenant_id, conversation_id, member_id) do update set left_at = null",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(members)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Adds a message by `author` (text, an image already stored, or both) and marks the
/// conversation read for them.
pub async fn post(
    tx: &mut TenantTx,
    id: ConversationId,
    author: MemberId,
    body: &str,
    image_key: Option<&str>,
) -> Result<MessageId, DbError> {
    let tenant_id = tx.tenant_id();
    let message = MessageId::new();
    sqlx::query(
        "insert into messages (tenant_id, id, conversation_id, author_id, body, image_key) \
         values ($1, $2, $3, $4, $5, $6)",
    )
    .bind(tenant_id)
    .bind(message)
    .bind(id)
    .bind(author)
    .bind(body)
    .bind(image_key)
    .execute(tx.conn())
    .await?;
    sqlx::query(
        "update conversations set last_message_at = now() where tenant_id = $1 and id = $2",
    )
    .bind(tenant_id)
    .bind(id)
    .execute(tx.conn())
    .await?;
    mark_read(tx, id, author).await?;
    forget_others_unread(tx, id, author).await?;
    Ok(message)
}

/// The other current members' message badges are recounted after commit (something new for
/// them, or something they had not read is gone).
async fn forget_others_unread(
    tx: &mut TenantTx,
    id: ConversationId,
    author: MemberId,
) -> Result<(), DbError> {
    let tenant_id = tx.tenant_id();
    let others: Vec<MemberId> = sqlx::query_scalar(
        "select member_id from conversation_members \
         where tenant_id = $1 and conversation_id = $2 and member_id <> $3 and left_at is null",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(author)
    .fetch_all(tx.conn())
    .await?;
    tx.changed_unread(others);
    Ok(())
}

/// Everything in the conversation up to now is read by `member`. True when something was new to
/// them (their header badge is then recounted after commit).
pub async fn mark_read(
    tx: &mut TenantTx,
    id: ConversationId,
    member: MemberId,
) -> Result<bool, DbError> {
    let tenant_id = tx.tenant_id();
    let marked = sqlx::query(
        "update conversation_members cm set last_read_at = now() \
         from conversations c \
         where cm.tenant_id = $1 and cm.conversation_id = $2 and cm.member_id = $3 \
           and c.tenant_id = cm.tenant_id and c.id = cm.conversation_id \
           and cm.last_read_at < c.last_message_at",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(member)
    .execute(tx.conn())
    .await?
    .rows_affected()
        > 0;
    if marked {
        tx.changed_unread([member]);
    }
    Ok(marked)
}

/// How many of the member's conversations have a message from someone else that they have not
/// read (the header's message badge).
pub async fn count_unread(tx: &mut TenantTx, member: MemberId) -> Result<i64, DbError> {
    Ok(count_unread_of(tx, &[member])
        .await?
        .get(&member)
        .copied()
        .unwrap_or(0))
}

/// [`count_unread`] for many members in one statement (the weekly digest's batches); members
/// with nothing unread are absent.
pub async fn count_unread_of(
    tx: &mut TenantTx,
    members: &[MemberId],
) -> Result<std::collections::HashMap<MemberId, i64>, DbError> {
    let tenant_id = tx.tenant_id();
    let rows: Vec<(MemberId, i64)> = sqlx::query_as(
        "select cm.member_id, count(*) from conversation_members cm \
         join conversations c on c.tenant_id = cm.tenant_id and c.id = cm.conversation_id \
         where cm.tenant_id = $1 and cm.member_id = any($2) and cm.left_at is null \
           and c.last_message_at > cm.last_read_at \
           and exists (select 1 from messages m \
                       where m.tenant_id = cm.tenant_id and m.conversation_id = cm.conversation_id \
                         and m.created_at > cm.last_read_at and m.author_id <> cm.member_id \
                         and m.deleted_at is null) \
         group by cm.member_id",
    )
    .bind(tenant_id)
    .bind(members)
    .fetch_all(tx.conn())
    .await?;
    Ok(rows.into_iter().collect())
}

/// Changes the text of the author's own message while it is younger than `window`. False when
/// it is not theirs, deleted, or too old.
pub async fn edit(
    tx: &mut TenantTx,
    id: ConversationId,
    message: MessageId,
    author: MemberId,
    body: &str,
    window: time::Duration,
) -> Result<bool, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query(
        "update messages set body = $5, edited_at = now() \
         where tenant_id = $1 and conversation_id = $2 and id = $3 and author_id = $4 \
                      and deleted_at is null and hidden_at is null and created_at > now() - $6::interval",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(message)
    .bind(author)
    .bind(body)
    .bind(format!("{} seconds", window.whole_seconds()))
    .execute(tx.conn())
    .await?
    .rows_affected()
        == 1)
}

/// Deletes the author's own message: its text and image go, a "deleted" mark stays. `None` when it
/// is not theirs or already deleted.
pub async fn delete(
    tx: &mut TenantTx,
    id: ConversationId,
    message: MessageId,
    author: MemberId,
) -> Result<Option<Deleted>, DbError> {
    let tenant_id = tx.tenant_id();
    let found: Option<Option<String>> = sqlx::query_scalar(
        "select image_key from messages \
         where tenant_id = $1 and conversation_id = $2 and id = $3 and author_id = $4 \
           and deleted_at is null for update",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(message)
    .bind(author)
    .fetch_optional(tx.conn())
    .await?;
    let Some(image_key) = found else {
        return Ok(None);
    };
    sqlx::query(
        "update messages set body = '', image_key = null, deleted_at = now() \
         where tenant_id = $1 and id = $2",
    )
    .bind(tenant_id)
    .bind(message)
    .execute(tx.conn())
    .await?;
    forget_others_unread(tx, id, author).await?;
    Ok(Some(Deleted { image_key }))
}

/// What a deletion leaves to do after commit: its image file goes.
#[derive(Debug)]
pub struct Deleted {
    pub image_key: Option<String>,
}

/// The image key of a message of the conversation (the caller has checked the reader is in
/// it); `None` when it has none or is deleted.
pub async fn message_image(
    tx: &mut TenantTx,
    id: ConversationId,
    message: MessageId,
) -> Result<Option<String>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_scalar(
        "select image_key from messages \
         where tenant_id = $1 and conversation_id = $2 and id = $3 and deleted_at is null \
           and hidden_at is null",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(message)
    .fetch_optional(tx.conn())
    .await?
    .flatten())
}

/// `member` leaves a group (a direct conversation cannot be left, only blocked).
pub async fn leave(
    tx: &mut TenantTx,
    id: ConversationId,
    member: MemberId,
) -> Result<bool, DbError> {
    let tenant_id = tx.tenant_id();
    let left = sqlx::query(
        "update conversation_members cm set left_at = now() \
         from conversations c \
         where cm.tenant_id = $1 and cm.conversation_id = $2 and cm.member_id = $3 \
           and cm.left_at is null and c.tenant_id = cm.tenant_id and c.id = cm.conversation_id \
           and c.kind = 'group'",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(member)
    .execute(tx.conn())
    .await?
    .rows_affected()
        == 1;
    if left {
        tx.changed_unread([member]);
    }
    Ok(left)
}

pub async fn block(tx: &mut TenantTx, member: MemberId, blocked: MemberId) -> Result<(), DbError> {
    let tenant_id = tx.tenant_id();
    sqlx::query(
        "insert into member_blocks (tenant_id, member_id, blocked_id) values ($1, $2, $3) \
         on conflict do nothing",
    )
    .bind(tenant_id)
    .bind(member)
    .bind(blocked)
    .execute(tx.conn())
    .await?;
    Ok(())
}

pub async fn unblock(
    tx: &mut TenantTx,
    member: MemberId,
    blocked: MemberId,
) -> Result<(), DbError> {
    let tenant_id = tx.tenant_id();
    sqlx::query(
        "delete from member_blocks where tenant_id = $1 and member_id = $2 and blocked_id = $3",
    )
    .bind(tenant_id)
    .bind(member)
    .bind(blocked)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Whether `member` has blocked `other`.
pub async fn has_blocked(
    tx: &mut TenantTx,
    member: MemberId,
    other: MemberId,
) -> Result<bool, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_scalar(
        "select exists (select 1 from member_blocks \
                        where tenant_id = $1 and member_id = $2 and blocked_id = $3)",
    )
    .bind(tenant_id)
    .bind(member)
    .bind(other)
    .fetch_one(tx.conn())
    .await?)
}

/// Whether any current member of the conversation other than `sender` has blocked `sender`
/// (then `sender` cannot write there).
pub async fn blocked_in(
    tx: &mut TenantTx,
    id: ConversationId,
    sender: MemberId,
) -> Result<bool, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_scalar(
        "select exists (select 1 from conversation_members cm \
                        join member_blocks b on b.tenant_id = cm.tenant_id and b.member_id = cm.member_id \
                        where cm.tenant_id = $1 and cm.conversation_id = $2 and cm.left_at is null \
                          and b.blocked_id = $3)",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(sender)
    .fetch_one(tx.conn())
    .await?)
}

/// Conversations `member` started since `since` (the hourly limit on new conversations).
pub async fn started_since(
    tx: &mut TenantTx,
    member: MemberId,
    since: OffsetDateTime,
) -> Result<i64, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_scalar(
        "select count(*) from conversations where tenant_id = $1 and created_by = $2 and created_at > $3",
    )
    .bind(tenant_id)
    .bind(member)
    .bind(since)
    .fetch_one(tx.conn())
    .await?)
}

/// A message of this conversation a member may report: its author and text. None when there is
/// no such message, or it was deleted or hidden.
pub async fn reportable(
    tx: &mut TenantTx,
    id: ConversationId,
    message: MessageId,
) -> Result<Option<(MemberId, String)>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_as(
        "select author_id, body from messages where tenant_id = $1 and conversation_id = $2 and id = $3 \
           and deleted_at is null and hidden_at is null",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(message)
    .fetch_optional(tx.conn())
    .await?)
}

/// Hides a message from the conversation (`hidden`) or shows it again, as the secretariat
/// decided; its text stays. Returns the author when the message was in the other state.
pub async fn set_hidden(
    tx: &mut TenantTx,
    message: MessageId,
    hidden: bool,
) -> Result<Option<MemberId>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_scalar(
        "update messages set hidden_at = case when $3 then now() end \
         where tenant_id = $1 and id = $2 and deleted_at is null and (hidden_at is null) = $3 \
         returning author_id",
    )
    .bind(tenant_id)
    .bind(message)
    .bind(hidden)
    .fetch_optional(tx.conn())
    .await?)
}

/// Where each of these messages stands for moderation: (id, hidden, deleted by its author). No
/// text: the secretariat reads a message only through the copy a report keeps.
pub async fn moderation_states(
    tx: &mut TenantTx,
    ids: &[MessageId],
) -> Result<Vec<(MessageId, bool, bool)>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_as(
        "select id, hidden_at is not null, deleted_at is not null from messages \
         where tenant_id = $1 and id = any($2)",
    )
    .bind(tenant_id)
    .bind(ids)
    .fetch_all(tx.conn())
    .await?)
}

/// Active members of this network among `ids` (a conversation's invitees must exist here).
pub async fn active_members(tx: &mut TenantTx, ids: &[MemberId]) -> Result<Vec<MemberId>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_scalar(
        "select id from members where tenant_id = $1 and id = any($2) and status = 'active'",
    )
    .bind(tenant_id)
    .bind(ids)
    .fetch_all(tx.conn())
    .await?)
}

/// Of `members`, those for whom the newest message of the conversation is their only unread one
/// (the first since they last read it): they get one email per unread stretch, not one per
/// message.
pub async fn first_unread_for(
    tx: &mut TenantTx,
    id: ConversationId,
    members: &[MemberId],
) -> Result<Vec<MemberId>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_scalar(
        "select cm.member_id from conversation_members cm \
         where cm.tenant_id = $1 and cm.conversation_id = $2 and cm.member_id = any($3) \
           and cm.left_at is null \
           and (select count(*) from messages m \
                where m.tenant_id = cm.tenant_id and m.conversation_id = cm.conversation_id \
                  and m.created_at > cm.last_read_at and m.author_id <> cm.member_id \
                  and m.deleted_at is null) = 1",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(members)
    .fetch_all(tx.conn())
    .await?)
}
