//! What feature crates report to the engagement rollups (`tsunagu-insights`): counts per local
//! day and first interactions between members. The shapes are shared here so that insights reads
//! each crate's data through that crate's own functions instead of naming its tables.

use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::MemberId;

/// A stretch of time to count, and the network's UTC offset that turns instants into local days.
#[derive(Clone, Copy, Debug)]
pub struct Window {
    pub from: OffsetDateTime,
    /// Exclusive.
    pub to: OffsetDateTime,
    /// Seconds east of UTC (the network's time zone).
    pub offset_seconds: i32,
}

impl Window {
    /// The offset as SQL wants it for `at time zone make_interval(secs => $n)`.
    pub fn offset(&self) -> f64 {
        f64::from(self.offset_seconds)
    }
}

/// The SQL expression for the local day of a `timestamptz` column, with the offset in seconds
/// bound as parameter `$param` (a `float8`).
pub fn local_day(column: &str, param: u8) -> String {
    format!("({column} at time zone make_interval(secs => ${param}::float8))::date")
}

/// How many things of one kind were started on a local day, by the secretariat or by members.
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct DayTally {
    pub day: Date,
    pub by_secretariat: bool,
    pub count: i64,
}

/// One member reaching another: a message in a conversation they share, a comment on the
/// other's post, a reaction to the other's 募集. `go_between` is whoever brought them together
/// when someone did (the member who started the conversation).
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Interaction {
    pub from_member: MemberId,
    pub to_member: MemberId,
    pub at: OffsetDateTime,
    pub go_between: Option<MemberId>,
}

/// A share of a whole: a survey's respondents of its audience, an event's attendees of those
/// going.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Rate {
    pub subject_id: Uuid,
    pub title: String,
    pub at: OffsetDateTime,
    pub numerator: i64,
    pub denominator: i64,
}
