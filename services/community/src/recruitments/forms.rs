//! What the recruitments pages read from members: a new recruitment, a reaction, a status and
//! a follow-up.

use serde::{Deserialize, Serialize};
use time::Date;

use crate::kinds::FollowUpStatus;

// `forms` names this module in `mod.rs`, so the handlers' `forms::text` checks are the form
// kit's, reached through here.
pub(super) use tsunagu_web::forms::text;

/// The statuses of a 募集's follow-up list.
pub const FOLLOWUP_STATUSES: &[FollowUpStatus] = crate::followups::ListKind::Recruitment.statuses();

#[derive(Deserialize, Serialize, Default)]
pub struct RecruitmentForm {
    #[serde(default)]
    pub(super) title: String,
    #[serde(default)]
    pub(super) body: String,
    /// YYYY-MM-DD, optional.
    #[serde(default)]
    pub(super) deadline: String,
}

pub(super) fn parse_date(value: &str) -> Result<Option<Date>, &'static str> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    Date::parse(
        value,
        &time::macros::format_description!("[year]-[month]-[day]"),
    )
    .map(Some)
    .map_err(|_| "errors.field.date")
}

#[derive(Deserialize)]
pub struct ReactForm {
    #[serde(default)]
    pub(super) reaction: String,
}

#[derive(Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    pub(super) status: String,
}

#[derive(Deserialize)]
pub struct FollowupForm {
    #[serde(default)]
    pub(super) status: String,
    #[serde(default)]
    pub(super) note: String,
}
