//! The settings a network's secretariat edits in the app, and who owns them.
//!
//! A tenant's settings come from two places: its `tenant-config/` file (the platform's, applied
//! by `tenant apply`) and the secretariat's settings page. The rule (docs/TENANT_CONFIG.md "Files
//! and the settings page"): the file seeds every section and governs the platform-owned ones (name,
//! status, plan, language, time zone, profile fields, level-3 thresholds); the sections of
//! [`Section`] become the app's once the secretariat saves them, recorded with the time in
//! `tenants.ui_edited`. From then on `tenant apply` keeps the app's value and reports that it did
//! (never silently); `tenant apply --take-file` hands the sections back to the file.

use crate::registry::{Branding, Features, Signup};
use crate::EmailDefaults;

tsunagu_kernel::text_enum! {
    /// A section of the settings page, stored as one JSON column of `platform.tenants`.
    pub enum Section {
        Branding => "branding",
        Signup => "signup",
        Features => "features",
        EmailDefaults => "email_defaults",
    }
}

impl Section {
    /// The column of `platform.tenants` holding the section (the same word, checked here so that
    /// only these four can be named in SQL).
    pub fn column(self) -> &'static str {
        self.as_str()
    }
}

/// The four sections as they are stored now, with when each was last saved in the app.
#[derive(Debug, Clone, Default)]
pub struct EditableSettings {
    pub branding: Branding,
    pub signup: Signup,
    pub features: Features,
    pub email_defaults: EmailDefaults,
    /// Section word → when the app last saved it (RFC 3339); absent: the file owns it.
    pub ui_edited: std::collections::BTreeMap<String, String>,
}
