//! SQL on the insights tables: daily rollups, first contacts, the contacts cursor and the
//! survey and event rates. Every function takes a `TenantTx`; RLS backs every one of them.

use time::{Date, OffsetDateTime};
use tsunagu_kernel::activity::{local_day, Rate, Window};
use tsunagu_kernel::{DbError, MemberId, TenantTx};
use uuid::Uuid;

/// One network's day.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct DayRow {
    pub day: Date,
    pub alumni: i32,
    pub employees: i32,
    pub active_30d: Option<i32>,
    pub posts: i32,
    pub comments: i32,
    pub reactions: i32,
    pub recruitments: i32,
    pub messages: i32,
    pub member_started: i32,
    pub secretariat_started: i32,
    pub first_contacts: i32,
}

/// The latest day written, if any.
pub async fn last_day(tx: &mut TenantTx) -> Result<Option<Date>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(
        sqlx::query_scalar("select max(day) from engagement_days where tenant_id = $1")
            .bind(tenant_id)
            .fetch_one(tx.conn())
            .await?,
    )
}

/// Writes days, replacing what was there; a day's `active_30d` is kept when the new row has
/// none (it can only be measured on the day itself).
pub async fn upsert_days(tx: &mut TenantTx, rows: &[DayRow]) -> Result<(), DbError> {
    let tenant_id = tx.tenant_id();
    let col = |f: fn(&DayRow) -> i32| rows.iter().map(f).collect::<Vec<i32>>();
    sqlx::query(
        "insert into engagement_days (tenant_id, day, alumni, employees, active_30d, posts, \
           comments, reactions, recruitments, messages, member_started, secretariat_started, \
           first_contacts) \
         select $1, * from unnest($2::date[], $3::int[], $4::int[], $5::int[], $6::int[], \
           $7::int[], $8::int[], $9::int[], $10::int[], $11::int[], $12::int[], $13::int[]) \
         on conflict (tenant_id, day) do update set \
           alumni = excluded.alumni, employees = excluded.employees, \
           active_30d = coalesce(excluded.active_30d, engagement_days.active_30d), \
           posts = excluded.posts, comments = excluded.comments, \
           reactions = excluded.reactions, recruitments = excluded.recruitments, \
           messages = excluded.messages, member_started = excluded.member_started, \
           secretariat_started = excluded.secretariat_started, \
           first_contacts = excluded.first_contacts, computed_at = now()",
    )
    .bind(tenant_id)
    .bind(rows.iter().map(|r| r.day).collect::<Vec<Date>>())
    .bind(col(|r| r.alumni))
    .bind(col(|r| r.employees))
    .bind(
        rows.iter()
            .map(|r| r.active_30d)
            .collect::<Vec<Option<i32>>>(),
    )
    .bind(col(|r| r.posts))
    .bind(col(|r| r.comments))
    .bind(col(|r| r.reactions))
    .bind(col(|r| r.recruitments))
    .bind(col(|r| r.messages))
    .bind(col(|r| r.member_started))
    .bind(col(|r| r.secretariat_started))
    .bind(col(|r| r.first_contacts))
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// The days from `from` on, oldest first.
pub async fn days_since(tx: &mut TenantTx, from: Date) -> Result<Vec<DayRow>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_as(
        "select day, alumni, employees, active_30d, posts, comments, reactions, recruitments, \
                messages, member_started, secretariat_started, first_contacts \
         from engagement_days where tenant_id = $1 and day >= $2 order by day",
    )
    .bind(tenant_id)
    .bind(from)
    .fetch_all(tx.conn())
    .await?)
}

/// How far first contacts have been read, locking the network's cursor row so that two
/// workers never read the same window (the second waits, then sees the first one's progress).
pub async fn lock_contacts_cursor(tx: &mut TenantTx) -> Result<Option<OffsetDateTime>, DbError> {
    let tenant_id = tx.tenant_id();
    sqlx::query(
        "insert into engagement_cursors (tenant_id, contacts_through) \
         values ($1, '2000-01-01T00:00:00Z') on conflict (tenant_id) do nothing",
    )
    .bind(tenant_id)
    .execute(tx.conn())
    .await?;
    Ok(sqlx::query_scalar(
        "select contacts_through from engagement_cursors where tenant_id = $1 for update",
    )
    .bind(tenant_id)
    .fetch_optional(tx.conn())
    .await?)
}

pub async fn set_contacts_cursor(
    tx: &mut TenantTx,
    through: OffsetDateTime,
) -> Result<(), DbError> {
    let tenant_id = tx.tenant_id();
    sqlx::query(
        "update engagement_cursors set contacts_through = $2, updated_at = now() \
         where tenant_id = $1",
    )
    .bind(tenant_id)
    .bind(through)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// A pair's first interaction as found in one window (smaller id first).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FirstContact {
    pub low: MemberId,
    pub high: MemberId,
    pub at: OffsetDateTime,
    pub mediated: bool,
}

/// Records pairs; a pair already known keeps its earlier first interaction.
pub async fn record_first_contacts(
    tx: &mut TenantTx,
    contacts: &[FirstContact],
) -> Result<(), DbError> {
    let tenant_id = tx.tenant_id();
    for chunk in contacts.chunks(10_000) {
        sqlx::query(
            "insert into member_first_contacts (tenant_id, member_low, member_high, first_at, mediated) \
             select $1, * from unnest($2::uuid[], $3::uuid[], $4::timestamptz[], $5::bool[]) \
             on conflict (tenant_id, member_low, member_high) do update set \
               first_at = excluded.first_at, mediated = excluded.mediated \
             where excluded.first_at < member_first_contacts.first_at",
        )
        .bind(tenant_id)
        .bind(chunk.iter().map(|c| c.low.0).collect::<Vec<Uuid>>())
        .bind(chunk.iter().map(|c| c.high.0).collect::<Vec<Uuid>>())
        .bind(chunk.iter().map(|c| c.at).collect::<Vec<OffsetDateTime>>())
        .bind(chunk.iter().map(|c| c.mediated).collect::<Vec<bool>>())
        .execute(tx.conn())
        .await?;
    }
    Ok(())
}

/// First contacts (not through the secretariat) per local day.
pub async fn first_contacts_by_day(
    tx: &mut TenantTx,
    window: Window,
) -> Result<Vec<(Date, i64)>, DbError> {
    let tenant_id = tx.tenant_id();
    let day = local_day("first_at", 4);
    Ok(sqlx::query_as(&format!(
        "select {day}, count(*) from member_first_contacts \
         where tenant_id = $1 and first_at >= $2 and first_at < $3 and not mediated group by 1"
    ))
    .bind(tenant_id)
    .bind(window.from)
    .bind(window.to)
    .bind(window.offset())
    .fetch_all(tx.conn())
    .await?)
}

/// Replaces the network's rates of one kind.
pub async fn replace_rates(tx: &mut TenantTx, kind: &str, rates: &[Rate]) -> Result<(), DbError> {
    let tenant_id = tx.tenant_id();
    sqlx::query("delete from engagement_rates where tenant_id = $1 and kind = $2")
        .bind(tenant_id)
        .bind(kind)
        .execute(tx.conn())
        .await?;
    sqlx::query(
        "insert into engagement_rates (tenant_id, kind, subject_id, title, at, numerator, denominator) \
         select $1, $2, * from unnest($3::uuid[], $4::text[], $5::timestamptz[], $6::int[], $7::int[])",
    )
    .bind(tenant_id)
    .bind(kind)
    .bind(rates.iter().map(|r| r.subject_id).collect::<Vec<Uuid>>())
    .bind(rates.iter().map(|r| r.title.clone()).collect::<Vec<String>>())
    .bind(rates.iter().map(|r| r.at).collect::<Vec<OffsetDateTime>>())
    .bind(rates.iter().map(|r| clamp(r.numerator)).collect::<Vec<i32>>())
    .bind(rates.iter().map(|r| clamp(r.denominator)).collect::<Vec<i32>>())
    .execute(tx.conn())
    .await?;
    Ok(())
}

fn clamp(n: i64) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// A stored rate.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct RateRow {
    pub kind: String,
    pub title: String,
    pub at: OffsetDateTime,
    pub numerator: i32,
    pub denominator: i32,
}

/// The network's rates, newest first within each kind.
pub async fn rates(tx: &mut TenantTx) -> Result<Vec<RateRow>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_as(
        "select kind, title, at, numerator, denominator from engagement_rates \
         where tenant_id = $1 order by kind, at desc",
    )
    .bind(tenant_id)
    .fetch_all(tx.conn())
    .await?)
}

/// What the first-week checklist reads, in one round trip: whether each step has happened. Every
/// part stops at its first row or two (the workspace is a budgeted page, and the large network has
/// 100,000 members).
#[derive(Debug, Clone, Copy, sqlx::FromRow)]
pub struct FirstSteps {
    pub branding: bool,
    pub employees_invited: bool,
    pub alumni_imported: bool,
    pub first_article: bool,
    pub first_recruitment: bool,
    pub first_survey: bool,
}

pub async fn first_steps(tx: &mut TenantTx) -> Result<FirstSteps, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_as(
        "select \
           coalesce((select t.ui_edited ? 'branding' or coalesce(t.branding->>'logo_key', '') <> '' \
                     from platform.tenants t where t.id = $1), false) as branding, \
           exists (select 1 from invitations where tenant_id = $1 and kind = 'employee') \
                          or (select count(*) from (select 1 from members where tenant_id = $1 \
                 and kind = 'employee' and status = 'active' limit 2) two) > 1 \
             as employees_invited, \
           exists (select 1 from member_imports where tenant_id = $1) as alumni_imported, \
           exists (select 1 from articles where tenant_id = $1 and status <> 'draft') as first_article, \
           exists (select 1 from recruitments where tenant_id = $1 and status <> 'draft') \
             as first_recruitment, \
           exists (select 1 from surveys where tenant_id = $1 and status <> 'draft') as first_survey",
    )
    .bind(tenant_id)
    .fetch_one(tx.conn())
    .await?)
}
