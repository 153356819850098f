//! Events SQL (this crate owns `events`, `event_organisers`, `event_rsvps`). Every statement names
//! the tenant and runs in the member's tenant transaction (RLS). Places are given out under a lock
//! on the event's row, so parallel answers for the last place cannot overbook it.

use time::OffsetDateTime;
use tsunagu_kernel::{DbError, MemberId, MemberKind, TenantTx};
use tsunagu_surveys::segments::queries::{member_in_segment_sql, SegmentId};

tsunagu_kernel::entity_id!(
    /// An event or reunion.
    EventId
);

tsunagu_kernel::text_enum! {
    /// Where it happens.
    pub enum EventFormat {
        Offline => "offline",
        Online => "online",
        Hybrid => "hybrid",
    }
}

tsunagu_kernel::text_enum! {
    /// Who is invited.
    pub enum EventAudience {
        Everyone => "everyone",
        Alumni => "alumni",
                Employees => "employees",
        /// The members of a saved segment (`audience_segment_id`), chosen by the secretariat.
        Segment => "segment",
    }
}

tsunagu_kernel::text_enum! {
    pub enum EventStatus {
        /// A member's event waiting for the secretariat's approval.
        Pending => "pending",
        Published => "published",
        Cancelled => "cancelled",
    }
}

tsunagu_kernel::text_enum! {
    /// A member's answer.
    pub enum RsvpStatus {
        /// A confirmed place (with guests).
        Going => "going",
        /// Asked for a place when none was left; promoted in order when one frees.
        Waitlisted => "waitlisted",
        Interested => "interested",
        NotGoing => "not_going",
    }
}

impl EventAudience {
    /// Whether a member of `kind` is invited.
    pub fn includes(self, kind: MemberKind) -> bool {
        match self {
            EventAudience::Everyone => true,
            EventAudience::Alumni => kind == MemberKind::Alumni,
            EventAudience::Employees => kind == MemberKind::Employee,
            // Membership is a question for the database (`Event::in_audience_segment`).
            EventAudience::Segment => false,
        }
    }
}

/// What a create or edit form sets.
#[derive(Debug, Clone)]
pub struct EventFields {
    pub title: String,
    pub description_html: String,
    pub starts_at: OffsetDateTime,
    pub ends_at: OffsetDateTime,
    pub format: EventFormat,
    pub venue_name: String,
    pub venue_address: String,
    pub join_url: String,
    pub capacity: Option<i32>,
    pub guests_allowed: i32,
    pub rsvp_deadline: Option<OffsetDateTime>,
    pub audience: EventAudience,
    /// The segment, when the audience is one.
    pub audience_segment: Option<SegmentId>,
}

pub async fn create(
    tx: &mut TenantTx,
    fields: &EventFields,
    created_by: MemberId,
    status: EventStatus,
    member_started: bool,
) -> Result<EventId, DbError> {
    let tenant_id = tx.tenant_id();
    let id = EventId::new();
    sqlx::query(
        "insert into events (tenant_id, id, title, description_html, starts_at, ends_at, format, \
                      venue_name, venue_address, join_url, capacity, guests_allowed, rsvp_deadline, audience, \
           status, member_started, created_by, audience_segment_id) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(&fields.title)
    .bind(&fields.description_html)
    .bind(fields.starts_at)
    .bind(fields.ends_at)
    .bind(fields.format)
    .bind(&fields.venue_name)
    .bind(&fields.venue_address)
    .bind(&fields.join_url)
    .bind(fields.capacity)
    .bind(fields.guests_allowed)
    .bind(fields.rsvp_deadline)
    .bind(fields.audience)
    .bind(status)
        .bind(member_started)
    .bind(created_by)
    .bind(fields.audience_segment)
    .execute(tx.conn())
    .await?;
    Ok(id)
}

/// Replaces what the form sets and raises the calendar SEQUENCE. True when the time or the place
/// changed (attendees are then told). Places freed by a larger capacity go to the waitlist.
pub async fn update(
    tx: &mut TenantTx,
    id: EventId,
    fields: &EventFields,
) -> Result<Option<(bool, Vec<MemberId>)>, DbError> {
    let tenant_id = tx.tenant_id();
    let before: Option<(OffsetDateTime, OffsetDateTime, String, String, String)> = sqlx::query_as(
        "select starts_at, ends_at, venue_name, venue_address, join_url from events \
             where tenant_id = $1 and id = $2 for update",
    )
    .bind(tenant_id)
    .bind(id)
    .fetch_optional(tx.conn())
    .await?;
    let Some((starts_at, ends_at, venue_name, venue_address, join_url)) = before else {
        return Ok(None);
    };
    let moved = starts_at != fields.starts_at
        || ends_at != fields.ends_at
        || venue_name != fields.venue_name
        || venue_address != fields.venue_address
        || join_url != fields.join_url;
    sqlx::query(
        "update events set title = $3, description_html = $4, starts_at = $5, ends_at = $6, \
           format = $7, venue_name = $8, venue_address = $9, join_url = $10, capacity = $11, \
                      guests_allowed = $12, rsvp_deadline = $13, audience = $14, audience_segment_id = $15, \
           sequence = sequence + 1, updated_at = now() \
         where tenant_id = $1 and id = $2",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(&fields.title)
    .bind(&fields.description_html)
    .bind(fields.starts_at)
    .bind(fields.ends_at)
    .bind(fields.format)
    .bind(&fields.venue_name)
    .bind(&fields.venue_address)
    .bind(&fields.join_url)
    .bind(fields.capacity)
    .bind(fields.guests_allowed)
        .bind(fields.rsvp_deadline)
    .bind(fields.audience)
    .bind(fields.audience_segment)
    .execute(tx.conn())
    .await?;
    let promoted = promote_waitlisted(tx, id).await?;
    Ok(Some((moved, promoted)))
}

/// An event as one member sees it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Event {
    pub id: EventId,
    pub title: String,
    pub description_html: String,
    pub starts_at: OffsetDateTime,
    pub ends_at: OffsetDateTime,
    pub format: EventFormat,
    pub venue_name: String,
    pub venue_address: String,
    pub join_url: String,
    pub capacity: Option<i32>,
    pub guests_allowed: i32,
    pub rsvp_deadline: Option<OffsetDateTime>,
    pub audience: EventAudience,
    pub audience_segment_id: Option<SegmentId>,
    /// The segment's name, when the audience is one.
    pub audience_segment_name: Option<String>,
    /// The viewer is in the event's audience segment (false when the audience is not one).
    pub in_audience_segment: bool,
    pub status: EventStatus,
    pub sequence: i32,
    pub member_started: bool,
    pub created_by: MemberId,
    pub created_by_name: String,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    /// Places taken by confirmed members and their guests.
    pub places_taken: i64,
    pub waitlisted: i64,
    pub interested: i64,
    /// The viewer organises it (created it, or is one of its organisers).
    pub organiser: bool,
    pub my_status: Option<RsvpStatus>,
    pub my_guests: Option<i32>,
    pub my_guest_names: Option<String>,
    pub my_checked_in: bool,
    /// The cover image's key in the media store.
    pub cover_key: Option<String>,
    /// Co-organisers' names (besides the creator), in name order, joined for display.
    pub co_organisers: Option<Vec<String>>,
}

impl Event {
    /// Places left (`None`: no limit).
    pub fn places_left(&self) -> Option<i64> {
        self.capacity
            .map(|c| (i64::from(c) - self.places_taken).max(0))
    }

    pub fn confirmed(&self) -> bool {
        self.my_status == Some(RsvpStatus::Going)
    }
}

/// The columns of an [`Event`] (`$1` the tenant, `$3` the viewer), and a function because the
/// segment test is the surveys crate's SQL.
fn event_columns() -> String {
    format!(
        "{EVENT_COLUMNS_BEFORE_AUDIENCE} e.audience, e.audience_segment_id, \
         (select g.name from segments g where g.tenant_id = e.tenant_id and g.id = e.audience_segment_id) \
           as audience_segment_name, \
         case when e.audience = 'segment' then {} else false end as in_audience_segment, \
         {EVENT_COLUMNS_AFTER_AUDIENCE}",
        member_in_segment_sql("e.audience_segment_id", "$3")
    )
}

const EVENT_COLUMNS_BEFORE_AUDIENCE: &str =
    "e.id, e.title, e.description_html, e.starts_at, e.ends_at, e.format, \
   e.venue_name, e.venue_address, e.join_url, e.capacity, e.guests_allowed, e.rsvp_deadline,";

const EVENT_COLUMNS_AFTER_AUDIENCE: &str = "e.status, e.sequence, e.member_started, e.created_by, \
   coalesce(c.name_kanji, '') as created_by_name, e.created_at, e.updated_at, \
      counts.places_taken, counts.waitlisted, counts.interested, \
   (e.created_by = $3 or exists (select 1 from event_organisers o \
     where o.tenant_id = e.tenant_id and o.event_id = e.id and o.member_id = $3)) as organiser, \
   mine.status as my_status, mine.guests as my_guests, mine.guest_names as my_guest_names, \
      (mine.checked_in_at is not null) as my_checked_in, e.cover_key, \
   (select array_agg(om.name_kanji order by om.name_kana, om.id) from event_organisers o \
     join members om on om.tenant_id = o.tenant_id and om.id = o.member_id \
     where o.tenant_id = e.tenant_id and o.event_id = e.id) as co_organisers";

/// The joins [`event_columns`] reads: the creator, the viewer's own answer, and the answers
/// counted in one pass over the event's rows (three correlated counts read them three times:
/// 12.5 → 4.8 ms for a list of 30 events with 200 answers each, `explain analyze` on the bench
/// data).
const EVENT_JOINS: &str =
    "left join members c on c.tenant_id = e.tenant_id and c.id = e.created_by \
   left join event_rsvps mine on mine.tenant_id = e.tenant_id and mine.event_id = e.id \
     and mine.member_id = $3 \
   left join lateral (select \
       coalesce(sum(1 + r.guests) filter (where r.status = 'going'), 0)::int8 as places_taken, \
       count(*) filter (where r.status = 'waitlisted') as waitlisted, \
       count(*) filter (where r.status = 'interested') as interested \
     from event_rsvps r where r.tenant_id = e.tenant_id and r.event_id = e.id) counts on true";

/// The event, as `viewer` sees it (whatever its status or audience: the caller decides).
pub async fn find(
    tx: &mut TenantTx,
    id: EventId,
    viewer: MemberId,
) -> Result<Option<Event>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_as(&format!(
        "select {columns} from events e {EVENT_JOINS} \
         where e.tenant_id = $1 and e.id = $2",
        columns = event_columns()
    ))
    .bind(tenant_id)
    .bind(id)
    .bind(viewer)
    .fetch_optional(tx.conn())
    .await?)
}

/// Which events a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    /// Not yet ended, soonest first.
    Upcoming,
    /// Ended, latest first.
    Past,
    /// The viewer answered going, waitlisted or interested, or organises it; soonest first.
    Mine,
}

/// Events for a list page. A member sees published events whose audience includes them and
/// their own (pending or cancelled) events; `all_pending` (the secretariat) adds everyone's
/// pending events, to approve them.
pub async fn list(
    tx: &mut TenantTx,
    viewer: MemberId,
    viewer_kind: MemberKind,
    listing: Listing,
    all_pending: bool,
    limit: i64,
) -> Result<Vec<Event>, DbError> {
    let tenant_id = tx.tenant_id();
    let (when, order) = match listing {
        Listing::Upcoming => ("e.ends_at >= now()", "e.starts_at, e.id"),
        Listing::Past => ("e.ends_at < now()", "e.starts_at desc, e.id desc"),
        Listing::Mine => (
            "e.ends_at >= now() - interval '30 days' \
             and (mine.status in ('going', 'waitlisted', 'interested') or e.created_by = $3 \
                  or exists (select 1 from event_organisers o where o.tenant_id = e.tenant_id \
                             and o.event_id = e.id and o.member_id = $3))",
            "e.starts_at, e.id",
        ),
    };
    Ok(sqlx::query_as(&format!(
        "select {columns} from events e {EVENT_JOINS} \
         where e.tenant_id = $1 and {when} \
           and ((e.status <> 'pending' and (e.audience = 'everyone' or e.audience = $4 \
                 or e.created_by = $3 \
                 or (e.audience = 'segment' and {in_segment}))) \
                                or (e.status = 'pending' and (e.created_by = $3 or $5))) \
         order by {order} limit $2",
        columns = event_columns(),
        in_segment = member_in_segment_sql("e.audience_segment_id", "$3")
    ))
    .bind(tenant_id)
    .bind(limit)
    .bind(viewer)
    .bind(match viewer_kind {
        MemberKind::Alumni => "alumni",
        MemberKind::Employee => "employees",
    })
    .bind(all_pending)
    .fetch_all(tx.conn())
    .await?)
}

/// What an answer did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RsvpOutcome {
    /// Where the member stands now.
    pub status: RsvpStatus,
    /// Members moved from the waitlist to a place by this change.
    pub promoted: Vec<MemberId>,
}

/// Records `member`'s answer. "Going" takes a place (for them and their guests) if enough are
/// left, and otherwise joins the waitlist; giving places back promotes the waitlist in order.
/// The event's row is locked for the whole decision, so concurrent answers are served one at a
/// time and the capacity is never exceeded.
pub async fn answer(
    tx: &mut TenantTx,
    id: EventId,
    member: MemberId,
    wanted: RsvpStatus,
    guests: i32,
    guest_names: &str,
) -> Result<RsvpOutcome, DbError> {
    let tenant_id = tx.tenant_id();
    let capacity: Option<i32> = sqlx::query_scalar(
        "select capacity from events where tenant_id = $1 and id = $2 for update",
    )
    .bind(tenant_id)
    .bind(id)
    .fetch_one(tx.conn())
    .await?;
    let current: Option<(RsvpStatus, i32)> = sqlx::query_as(
        "select status, guests from event_rsvps \
         where tenant_id = $1 and event_id = $2 and member_id = $3",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(member)
    .fetch_optional(tx.conn())
    .await?;
    let (status, guests) = match wanted {
        RsvpStatus::Going | RsvpStatus::Waitlisted => {
            let others: i64 = sqlx::query_scalar(
                "select coalesce(sum(1 + guests), 0)::int8 from event_rsvps \
                 where tenant_id = $1 and event_id = $2 and status = 'going' and member_id <> $3",
            )
            .bind(tenant_id)
            .bind(id)
            .bind(member)
            .fetch_one(tx.conn())
            .await?;
            let fits = capacity.is_none_or(|c| others + 1 + i64::from(guests) <= i64::from(c));
            // Someone already waiting keeps their turn: only a member already holding a place
            // may change it in place; a newcomer goes behind the queue when one exists.
            let queue: i64 = sqlx::query_scalar(
                "select count(*) from event_rsvps where tenant_id = $1 and event_id = $2 \
                 and status = 'waitlisted' and member_id <> $3",
            )
            .bind(tenant_id)
            .bind(id)
            .bind(member)
            .fetch_one(tx.conn())
            .await?;
            let holds_place = matches!(current, Some((RsvpStatus::Going, _)));
            if fits && (holds_place || queue == 0) {
                (RsvpStatus::Going, guests)
            } else {
                (RsvpStatus::Waitlisted, guests)
            }
        }
        other => (other, 0),
    };
    sqlx::query(
        "insert into event_rsvps (tenant_id, event_id, member_id, status, guests, guest_names, \
           waitlisted_at) \
         values ($1, $2, $3, $4, $5, $6, case when $4 = 'waitlisted' then now() end) \
         on conflict (tenant_id, event_id, member_id) do update set \
           status = excluded.status, guests = excluded.guests, guest_names = excluded.guest_names, \
           responded_at = now(), \
           waitlisted_at = case when excluded.status = 'waitlisted' \
             then coalesce(event_rsvps.waitlisted_at, now()) end",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(member)
    .bind(status)
    .bind(guests)
    .bind(
        if status == RsvpStatus::Going || status == RsvpStatus::Waitlisted {
            guest_names
        } else {
            ""
        },
    )
    .execute(tx.conn())
    .await?;
    let gave_back = match current {
        Some((RsvpStatus::Going, before)) => status != RsvpStatus::Going || guests < before,
        _ => false,
    };
    let promoted = if gave_back {
        promote_waitlisted(tx, id).await?
    } else {
        Vec::new()
    };
    Ok(RsvpOutcome { status, promoted })
}

/// Moves waitlisted members to places, first come first served, while the first in line fits
/// (nobody is skipped for a smaller party). The caller holds the event's row lock.
async fn promote_waitlisted(tx: &mut TenantTx, id: EventId) -> Result<Vec<MemberId>, DbError> {
    let tenant_id = tx.tenant_id();
    let capacity: Option<i32> =
        sqlx::query_scalar("select capacity from events where tenant_id = $1 and id = $2")
            .bind(tenant_id)
            .bind(id)
            .fetch_one(tx.conn())
            .await?;
    let taken: i64 = sqlx::query_scalar(
        "select coalesce(sum(1 + guests), 0)::int8 from event_rsvps \
         where tenant_id = $1 and event_id = $2 and status = 'going'",
    )
    .bind(tenant_id)
    .bind(id)
    .fetch_one(tx.conn())
    .await?;
    let queue: Vec<(MemberId, i32)> = sqlx::query_as(
        "select member_id, guests from event_rsvps \
         where tenant_id = $1 and event_id = $2 and status = 'waitlisted' \
         order by waitlisted_at, member_id",
    )
    .bind(tenant_id)
    .bind(id)
    .fetch_all(tx.conn())
    .await?;
    let mut free = capacity.map(|c| i64::from(c) - taken);
    let mut promoted = Vec::new();
    for (member, guests) in queue {
        let needed = 1 + i64::from(guests);
        if let Some(left) = free {
            if needed > left {
                break;
            }
            free = Some(left - needed);
        }
        promoted.push(member);
    }
    if !promoted.is_empty() {
        sqlx::query(
            "update event_rsvps set status = 'going', waitlisted_at = null, responded_at = now() \
             where tenant_id = $1 and event_id = $2 and member_id = any($3)",
        )
        .bind(tenant_id)
        .bind(id)
        .bind(&promoted)
        .execute(tx.conn())
        .await?;
    }
    Ok(promoted)
}

/// One line of the attendee list.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Attendee {
    pub member_id: MemberId,
    pub name_kanji: String,
    pub name_kana: String,
    pub email: String,
    pub kind: MemberKind,
    pub status: RsvpStatus,
    pub guests: i32,
    pub guest_names: String,
    pub responded_at: OffsetDateTime,
    pub checked_in_at: Option<OffsetDateTime>,
}

/// Everyone who answered going, waitlisted or interested: confirmed first (by name), then the
/// waitlist in order, then the interested.
pub async fn attendees(tx: &mut TenantTx, id: EventId) -> Result<Vec<Attendee>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_as(
        "select r.member_id, m.name_kanji, m.name_kana, m.email, m.kind, r.status, r.guests, \
           r.guest_names, r.responded_at, r.checked_in_at \
         from event_rsvps r join members m on m.tenant_id = r.tenant_id and m.id = r.member_id \
         where r.tenant_id = $1 and r.event_id = $2 and r.status <> 'not_going' \
           and m.status = 'active' \
         order by case r.status when 'going' then 0 when 'waitlisted' then 1 else 2 end, \
           case when r.status = 'waitlisted' then r.waitlisted_at end, m.name_kana, m.id",
    )
    .bind(tenant_id)
    .bind(id)
    .fetch_all(tx.conn())
    .await?)
}

/// Ticks (or unticks) a confirmed attendee as having come. False when they hold no place.
pub async fn check_in(
    tx: &mut TenantTx,
    id: EventId,
    member: MemberId,
    came: bool,
) -> Result<bool, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query(
        "update event_rsvps set checked_in_at = case when $4 then coalesce(checked_in_at, now()) end \
         where tenant_id = $1 and event_id = $2 and member_id = $3 and status = 'going'",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(member)
    .bind(came)
    .execute(tx.conn())
    .await?
    .rows_affected()
        == 1)
}

/// Cancels the event (the calendar SEQUENCE goes up) and returns who held a place or waited.
pub async fn cancel(tx: &mut TenantTx, id: EventId) -> Result<Vec<MemberId>, DbError> {
    let tenant_id = tx.tenant_id();
    sqlx::query(
        "update events set status = 'cancelled', sequence = sequence + 1, updated_at = now() \
         where tenant_id = $1 and id = $2 and status <> 'cancelled'",
    )
    .bind(tenant_id)
    .bind(id)
    .execute(tx.conn())
    .await?;
    holders(tx, id).await
}

/// Members holding a place or waiting for one.
pub async fn holders(tx: &mut TenantTx, id: EventId) -> Result<Vec<MemberId>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_scalar(
        "select member_id from event_rsvps where tenant_id = $1 and event_id = $2 \
         and status in ('going', 'waitlisted')",
    )
    .bind(tenant_id)
    .bind(id)
    .fetch_all(tx.conn())
    .await?)
}

/// Members whose answer is `status`.
pub async fn members_with(
    tx: &mut TenantTx,
    id: EventId,
    status: RsvpStatus,
) -> Result<Vec<MemberId>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_scalar(
        "select member_id from event_rsvps where tenant_id = $1 and event_id = $2 and status = $3",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(status)
    .fetch_all(tx.conn())
    .await?)
}

/// Publishes a pending event (the secretariat's approval). False when it was not pending.
pub async fn approve(tx: &mut TenantTx, id: EventId) -> Result<bool, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query(
        "update events set status = 'published', updated_at = now() \
         where tenant_id = $1 and id = $2 and status = 'pending'",
    )
    .bind(tenant_id)
    .bind(id)
    .execute(tx.conn())
    .await?
    .rows_affected()
        == 1)
}

/// Names of confirmed attendees for members to see (active members only), in name order.
pub async fn going_names(
    tx: &mut TenantTx,
    id: EventId,
    limit: i64,
) -> Result<Vec<(MemberId, String)>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_as(
        "select m.id, m.name_kanji from event_rsvps r \
         join members m on m.tenant_id = r.tenant_id and m.id = r.member_id \
         where r.tenant_id = $1 and r.event_id = $2 and r.status = 'going' and m.status = 'active' \
         order by m.name_kana, m.id limit $3",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(limit)
    .fetch_all(tx.conn())
    .await?)
}

/// A reminder due: a confirmed member of an event starting soon.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DueReminder {
    pub event_id: EventId,
    pub member_id: MemberId,
    pub title: String,
    pub starts_at: OffsetDateTime,
}

/// Claims the reminders due now: confirmed answers to published events starting within
/// `within`, not yet reminded. Marking them reminded in this transaction is the claim: a second
/// worker running at the same moment waits for this one's commit, then finds them reminded and
/// skips them, so each member is reminded once.
pub async fn take_due_reminders(
    tx: &mut TenantTx,
    within: time::Duration,
) -> Result<Vec<DueReminder>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_as(
        "update event_rsvps r set reminded_at = now() \
         from events e \
         where r.tenant_id = $1 and e.tenant_id = r.tenant_id and e.id = r.event_id \
           and r.status = 'going' and r.reminded_at is null and e.status = 'published' \
           and e.starts_at > now() and e.starts_at <= now() + make_interval(secs => $2) \
         returning r.event_id, r.member_id, e.title, e.starts_at",
    )
    .bind(tenant_id)
    .bind(within.as_seconds_f64())
    .fetch_all(tx.conn())
    .await?)
}

tsunagu_kernel::entity_id!(
    /// A comment on an event.
    CommentId
);

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Comment {
    pub id: CommentId,
    pub author_id: MemberId,
    pub author_name: String,
    pub body: String,
    pub created_at: OffsetDateTime,
}

/// The event's comments, oldest first (the newest `limit`).
pub async fn comments(tx: &mut TenantTx, id: EventId, limit: i64) -> Result<Vec<Comment>, DbError> {
    let tenant_id = tx.tenant_id();
    let mut rows: Vec<Comment> = sqlx::query_as(
        "select c.id, c.author_id, m.name_kanji as author_name, c.body, c.created_at \
         from event_comments c join members m on m.tenant_id = c.tenant_id and m.id = c.author_id \
         where c.tenant_id = $1 and c.event_id = $2 \
         order by c.created_at desc, c.id desc limit $3",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(limit)
    .fetch_all(tx.conn())
    .await?;
    rows.reverse();
    Ok(rows)
}

pub async fn add_comment(
    tx: &mut TenantTx,
    id: EventId,
    author: MemberId,
    body: &str,
) -> Result<CommentId, DbError> {
    let tenant_id = tx.tenant_id();
    let comment = CommentId::new();
    sqlx::query(
        "insert into event_comments (tenant_id, id, event_id, author_id, body) \
         values ($1, $2, $3, $4, $5)",
    )
    .bind(tenant_id)
    .bind(comment)
    .bind(id)
    .bind(author)
    .bind(body)
    .execute(tx.conn())
    .await?;
    Ok(comment)
}

/// Deletes a comment of the event: its author's, or anyone's when `any` (organisers and the
/// secretariat moderate). False when there was no such comment to delete.
pub async fn delete_comment(
    tx: &mut TenantTx,
    id: EventId,
    comment: CommentId,
    member: MemberId,
    any: bool,
) -> Result<bool, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query(
        "delete from event_comments \
         where tenant_id = $1 and event_id = $2 and id = $3 and ($5 or author_id = $4)",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(comment)
    .bind(member)
    .bind(any)
    .execute(tx.conn())
    .await?
    .rows_affected()
        == 1)
}

/// Sets (or removes) the event's cover; returns the key it replaced, whose file the caller
/// deletes after commit.
pub async fn set_cover(
    tx: &mut TenantTx,
    id: EventId,
    key: Option<&str>,
) -> Result<Option<String>, DbError> {
    let tenant_id = tx.tenant_id();
    let old: Option<Option<String>> = sqlx::query_scalar(
        "select cover_key from events where tenant_id = $1 and id = $2 for update",
    )
    .bind(tenant_id)
    .bind(id)
    .fetch_optional(tx.conn())
    .await?;
    sqlx::query(
        "update events set cover_key = $3, updated_at = now() where tenant_id = $1 and id = $2",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(key)
    .execute(tx.conn())
    .await?;
    Ok(old.flatten())
}

/// Makes `member` a co-organiser (they manage the event as its creator does), or no longer one.
/// Only members who answered the event can be chosen. False when nothing changed.
pub async fn set_organiser(
    tx: &mut TenantTx,
    id: EventId,
    member: MemberId,
    organiser: bool,
) -> Result<bool, DbError> {
    let tenant_id = tx.tenant_id();
    let changed = if organiser {
        sqlx::query(
            "insert into event_organisers (tenant_id, event_id, member_id) \
             select $1, $2, $3 where exists (select 1 from event_rsvps r \
               where r.tenant_id = $1 and r.event_id = $2 and r.member_id = $3) \
             on conflict do nothing",
        )
    } else {
        sqlx::query(
            "delete from event_organisers where tenant_id = $1 and event_id = $2 and member_id = $3",
        )
    }
    .bind(tenant_id)
    .bind(id)
    .bind(member)
    .execute(tx.conn())
    .await?
    .rows_affected();
    Ok(changed == 1)
}

/// The event's co-organisers (besides its creator).
pub async fn co_organisers(tx: &mut TenantTx, id: EventId) -> Result<Vec<MemberId>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_scalar(
        "select member_id from event_organisers where tenant_id = $1 and event_id = $2",
    )
    .bind(tenant_id)
    .bind(id)
    .fetch_all(tx.conn())
    .await?)
}
