//! The shared web kit: templates and i18n, static assets, branding stylesheets, error pages and
//! the small pieces every site's handlers share. Feature crates render through [`WebKit`] and
//! return [`error::AppError`]; the gateway turns errors into pages in the visitor's language.

pub mod access;
pub mod assets;
pub mod csrf;
pub mod csv;
pub mod dates;
pub mod error;
pub mod forms;
pub mod i18n;
pub mod input;
pub mod limits;
pub mod media;
pub mod rate_limit;
pub mod routes;
pub mod session;
pub mod state;
pub mod support;
pub mod templates;
pub mod theme;
pub mod versions;

pub use access::{Access, Authorized, Visitor, WebTx};
pub use error::AppError;
pub use i18n::Locale;
pub use templates::{Layout, SiteView, WebKit};

/// The cookie holding a visitor's chosen language (before sign-in; a member's own preference
/// replaces it once identity lands).
pub const LANG_COOKIE: &str = "tsunagu_lang";
pub mod site;
pub use site::{ClientIp, CurrentMember, EffectiveHost, MaybeMember, Page, Site};
pub use state::AppState;
