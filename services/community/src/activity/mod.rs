//! The community's activity as the engagement rollups (`tsunagu-insights`) and the
//! secretariat's to-do read it: what was started per local day and by whom, comments and
//! reactions per day, and first interactions between members.

mod queries;

pub use queries::*;
