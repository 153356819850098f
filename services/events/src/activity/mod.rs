//! Events as the engagement rollups (`tsunagu-insights`) and the secretariat's to-do read them.

mod queries;

pub use queries::*;
