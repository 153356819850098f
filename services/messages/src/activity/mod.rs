//! Messages as the engagement rollups (`tsunagu-insights`) and the secretariat's to-do read
//! them: counts and pairs only, never a message's text (the secretariat cannot read private
//! conversations, docs/MESSAGES.md).

mod queries;

pub use queries::*;
