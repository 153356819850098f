//! Digest SQL. This crate owns `digest_deliveries` and `digest_weeks`; it reads members, email
//! choices, articles, 募集 and posts in joins, in the tenant's transaction (RLS). Conversations
//! are counted by the messages crate (no other crate names its tables).

use std::collections::HashMap;

use time::{Date, OffsetDateTime};
use tsunagu_kernel::{DbError, MemberId, TenantTx};
use tsunagu_tenancy::{EmailCategory, EmailDelivery};

/// An active member not yet dealt with this week, with what the digest needs of them.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Reader {
    pub id: MemberId,
    pub email: String,
    pub name_kanji: String,
    pub preferred_locale: Option<String>,
    pub department: String,
    pub joined_year: Option<i32>,
    /// alumni or employee.
    pub kind: String,
}

/// True when the network's week is already done (a later run has nothing to do).
pub async fn week_done(tx: &mut TenantTx, week: Date) -> Result<bool, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_scalar(
        "select exists (select 1 from digest_weeks where tenant_id = $1 and week_start = $2)",
    )
    .bind(tenant_id)
    .bind(week)
    .fetch_one(tx.conn())
    .await?)
}

/// Whether this transaction may work on the network's digest now: one worker at a time per
/// network (the lock ends with the transaction). Another worker skips the network meanwhile;
/// the delivery rows would keep a member from a second digest anyway, this only saves work.
pub async fn try_lock_network(tx: &mut TenantTx) -> Result<bool, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(
        sqlx::query_scalar("select pg_try_advisory_xact_lock(hashtextextended($1, 7))")
            .bind(format!("digest:{tenant_id}"))
            .fetch_one(tx.conn())
            .await?,
    )
}

/// The next `limit` active members after `after` (by id): a range scan of the members' primary
/// key, whatever the network's size. (Filtering out the week's delivered members in the same
/// statement, with `not exists`, read the week's whole delivery list on every batch and passed
/// the statement timeout half-way through 100,000 members; [`delivered`] checks the batch.)
pub async fn next_readers(
    tx: &mut TenantTx,
    after: Option<MemberId>,
    limit: i64,
) -> Result<Vec<Reader>, DbError> {
    let tenant_id = tx.tenant_id();
    let after = after.map(|m| m.as_uuid()).unwrap_or(uuid::Uuid::nil());
    Ok(sqlx::query_as(
        "select m.id, m.email, m.name_kanji, m.preferred_locale, m.department, m.joined_year, \
           m.kind \
         from members m \
         where m.tenant_id = $1 and m.status = 'active' and m.id > $2 \
         order by m.id limit $3",
    )
    .bind(tenant_id)
    .bind(after)
    .bind(limit)
    .fetch_all(tx.conn())
    .await?)
}

/// Of `members`, those already dealt with for `week` (by an earlier run or another worker).
pub async fn delivered(
    tx: &mut TenantTx,
    week: Date,
    members: &[MemberId],
) -> Result<std::collections::HashSet<MemberId>, DbError> {
    let tenant_id = tx.tenant_id();
    let rows: Vec<MemberId> = sqlx::query_scalar(
        "select member_id from digest_deliveries \
         where tenant_id = $1 and week_start = $2 and member_id = any($3)",
    )
    .bind(tenant_id)
    .bind(week)
    .bind(members)
    .fetch_all(tx.conn())
    .await?;
    Ok(rows.into_iter().collect())
}

/// The email choices the members made themselves (the network's defaults fill the rest).
pub async fn choices(
    tx: &mut TenantTx,
    members: &[MemberId],
) -> Result<HashMap<(MemberId, EmailCategory), EmailDelivery>, DbError> {
    let tenant_id = tx.tenant_id();
    let rows: Vec<(MemberId, EmailCategory, EmailDelivery)> = sqlx::query_as(
        "select member_id, category, delivery from email_preferences \
         where tenant_id = $1 and member_id = any($2)",
    )
    .bind(tenant_id)
    .bind(members)
    .fetch_all(tx.conn())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(member, category, delivery)| ((member, category), delivery))
        .collect())
}

/// Per member, comments and likes others left on their posts since `since`.
pub async fn activity_on_posts(
    tx: &mut TenantTx,
    members: &[MemberId],
    since: OffsetDateTime,
) -> Result<HashMap<MemberId, (i64, i64)>, DbError> {
    let tenant_id = tx.tenant_id();
    let rows: Vec<(MemberId, i64, i64)> = sqlx::query_as(
        "select p.author_id, \
           (select count(*) from post_comments c \
            where c.tenant_id = p.tenant_id and c.post_id = p.id and c.author_id <> p.author_id \
              and c.created_at >= $3) as comments, \
           (select count(*) from post_likes l \
            where l.tenant_id = p.tenant_id and l.post_id = p.id and l.member_id <> p.author_id \
              and l.created_at >= $3) as likes \
         from posts p \
         where p.tenant_id = $1 and p.author_id = any($2) and p.created_at >= $3 - interval '90 days'",
    )
    .bind(tenant_id)
    .bind(members)
    .bind(since)
    .fetch_all(tx.conn())
    .await?;
    let mut totals: HashMap<MemberId, (i64, i64)> = HashMap::new();
    for (author, comments, likes) in rows {
        let total = totals.entry(author).or_default();
        total.0 += comments;
        total.1 += likes;
    }
    totals.retain(|_, (comments, likes)| *comments + *likes > 0);
    Ok(totals)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct NewArticle {
    pub id: uuid::Uuid,
    pub title: String,
    pub summary: String,
}

/// Articles published since `since`, newest first.
pub async fn new_articles(
    tx: &mut TenantTx,
    since: OffsetDateTime,
    limit: i64,
) -> Result<Vec<NewArticle>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_as(
        "select a.id, a.title, a.summary from articles a \
         where a.tenant_id = $1 and a.status <> 'draft' and a.publish_at <= now() \
           and a.publish_at >= $2 \
         order by a.publish_at desc, a.id desc limit $3",
    )
    .bind(tenant_id)
    .bind(since)
    .bind(limit)
    .fetch_all(tx.conn())
    .await?)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OpenRecruitment {
    pub id: uuid::Uuid,
    pub author_id: MemberId,
    pub title: String,
    pub interested_count: i32,
    pub cheer_count: i32,
    pub deadline: Option<Date>,
}

/// Open 募集 (deadline not passed), newest first, with their reaction counts.
pub async fn open_recruitments(
    tx: &mut TenantTx,
    limit: i64,
) -> Result<Vec<OpenRecruitment>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_as(
        "select r.id, r.author_id, r.title, r.interested_count, r.cheer_count, r.deadline \
         from recruitments r \
         where r.tenant_id = $1 and r.status = 'open' \
           and (r.deadline is null or r.deadline >= current_date) \
         order by r.created_at desc, r.id desc limit $2",
    )
    .bind(tenant_id)
    .bind(limit)
    .fetch_all(tx.conn())
    .await?)
}

/// A published event starting in the next weeks.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UpcomingEvent {
    pub id: uuid::Uuid,
    pub title: String,
    pub starts_at: OffsetDateTime,
    pub venue_name: String,
    /// everyone, alumni, employees or segment.
    pub audience: String,
    /// The segment, when the audience is one.
    pub audience_segment_id: Option<uuid::Uuid>,
}

/// Published events starting between now and `until`, soonest first.
pub async fn upcoming_events(
    tx: &mut TenantTx,
    until: OffsetDateTime,
    limit: i64,
) -> Result<Vec<UpcomingEvent>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_as(
        "select e.id, e.title, e.starts_at, e.venue_name, e.audience, e.audience_segment_id from events e \
         where e.tenant_id = $1 and e.status = 'published' and e.starts_at >= now() \
           and e.starts_at < $2 \
         order by e.starts_at, e.id limit $3",
    )
    .bind(tenant_id)
    .bind(until)
    .bind(limit)
    .fetch_all(tx.conn())
    .await?)
}

/// A member who joined the network in the digest's week.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Newcomer {
    pub id: MemberId,
    pub name_kanji: String,
    pub department: String,
    pub joined_year: Option<i32>,
}

/// Members who became active since `since` (at most `limit`, newest first), to be matched with
/// each reader's department and year.
pub async fn newcomers(
    tx: &mut TenantTx,
    since: OffsetDateTime,
    limit: i64,
) -> Result<Vec<Newcomer>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_as(
        "select m.id, m.name_kanji, m.department, m.joined_year from members m \
         where m.tenant_id = $1 and m.status = 'active' and m.created_at >= $2 \
         order by m.created_at desc, m.id desc limit $3",
    )
    .bind(tenant_id)
    .bind(since)
    .bind(limit)
    .fetch_all(tx.conn())
    .await?)
}

/// Records that these members were dealt with for `week` (`sent`: an email went out). Returns
/// the members recorded now; one already recorded (by another worker) is left out, and the
/// caller sends nothing to it.
pub async fn record_deliveries(
    tx: &mut TenantTx,
    week: Date,
    deliveries: &[(MemberId, bool)],
) -> Result<Vec<MemberId>, DbError> {
    let tenant_id = tx.tenant_id();
    let members: Vec<MemberId> = deliveries.iter().map(|(m, _)| *m).collect();
    let sent: Vec<bool> = deliveries.iter().map(|(_, s)| *s).collect();
    Ok(sqlx::query_scalar(
        "insert into digest_deliveries (tenant_id, member_id, week_start, sent) \
         select $1, d.member_id, $2, d.sent from unnest($3::uuid[], $4::bool[]) as d(member_id, sent) \
         on conflict (tenant_id, member_id, week_start) do nothing \
         returning member_id",
    )
    .bind(tenant_id)
    .bind(week)
    .bind(&members)
    .bind(&sent)
    .fetch_all(tx.conn())
    .await?)
}

/// Marks the network's week done, with its totals from the delivery rows.
pub async fn complete_week(
    tx: &mut TenantTx,
    week: Date,
    started_at: OffsetDateTime,
) -> Result<(), DbError> {
    let tenant_id = tx.tenant_id();
    sqlx::query(
        "insert into digest_weeks (tenant_id, week_start, members, sent, started_at) \
         select $1, $2, count(*), count(*) filter (where sent), $3 from digest_deliveries \
         where tenant_id = $1 and week_start = $2 \
         on conflict (tenant_id, week_start) do nothing",
    )
    .bind(tenant_id)
    .bind(week)
    .bind(started_at)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// How a network's digest week went (for the run's log and the bench).
#[derive(Debug, Clone, Copy, Default, sqlx::FromRow)]
pub struct WeekTotals {
    pub members: i64,
    pub sent: i64,
}

pub async fn week_totals(tx: &mut TenantTx, week: Date) -> Result<WeekTotals, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_as(
        "select count(*) as members, count(*) filter (where sent) as sent from digest_deliveries \
         where tenant_id = $1 and week_start = $2",
    )
    .bind(tenant_id)
    .bind(week)
    .fetch_one(tx.conn())
    .await?)
}
