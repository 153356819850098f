//! What the directory reads from members: the search query and the profile form (with the
//! tenant's custom fields and each field's audience).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::queries;
use super::views::audience_of;

// `forms` names this module in `mod.rs`, so the handlers' `forms::text` and `forms::year` checks
// are the form kit's, reached through here.
pub(super) use tsunagu_web::forms::{text, year};

/// Who may see a field.
pub const AUDIENCES: &[&str] = &["members", "employees", "secretariat"];
/// Fields whose visibility the member chooses, with their default audience.
pub const VISIBLE_FIELDS: &[(&str, &str)] = &[
    ("email", "secretariat"),
    ("years", "members"),
    ("department", "members"),
    ("current_organisation", "members"),
    ("title", "members"),
    ("skills", "members"),
    ("ask_me_about", "members"),
    ("links", "members"),
];

#[derive(Deserialize, Default)]
pub struct DirectoryQuery {
    #[serde(default)]
    pub(super) q: String,
    #[serde(default)]
    pub(super) kind: String,
    #[serde(default)]
    pub(super) department: String,
    #[serde(default)]
    pub(super) same_time: String,
    #[serde(default)]
    pub(super) year: String,
    #[serde(default)]
    pub(super) after: String,
}

#[derive(Deserialize, Serialize, Default)]
pub struct ProfileForm {
    #[serde(default)]
    pub(super) name_kanji: String,
    #[serde(default)]
    pub(super) name_kana: String,
    #[serde(default)]
    pub(super) name_romaji: String,
    #[serde(default)]
    pub(super) joined_year: String,
    #[serde(default)]
    pub(super) left_year: String,
    #[serde(default)]
    pub(super) department: String,
    #[serde(default)]
    pub(super) current_organisation: String,
    #[serde(default)]
    pub(super) title: String,
    /// Comma- or newline-separated.
    #[serde(default)]
    pub(super) skills: String,
    #[serde(default)]
    pub(super) ask_me_about: String,
    /// One per line.
    #[serde(default)]
    pub(super) links: String,
    #[serde(default)]
    visibility_email: String,
    #[serde(default)]
    visibility_years: String,
    #[serde(default)]
    visibility_department: String,
    #[serde(default)]
    visibility_current_organisation: String,
    #[serde(default)]
    visibility_title: String,
    #[serde(default)]
    visibility_skills: String,
    #[serde(default)]
    visibility_ask_me_about: String,
    #[serde(default)]
    visibility_links: String,
    /// The tenant's custom fields (`custom__<key>` and `visibility__custom__<key>` in the form).
    #[serde(skip_deserializing)]
    pub(super) custom: Vec<CustomFieldInput>,
}

#[derive(Serialize, Default, Clone)]
pub struct CustomFieldInput {
    key: String,
    label: String,
    value: String,
    visibility: String,
}

pub(super) fn custom_inputs(
    tenant: &tsunagu_tenancy::Tenant,
    lang: tsunagu_web::Locale,
    values: &BTreeMap<String, String>,
    visibility: &BTreeMap<String, String>,
) -> Vec<CustomFieldInput> {
    tenant
        .profile_fields
        .iter()
        .map(|f| CustomFieldInput {
            key: f.key.clone(),
            label: if lang == tsunagu_web::Locale::Ja {
                f.label_ja.clone()
            } else {
                f.label_en.clone()
            },
            value: values.get(&f.key).cloned().unwrap_or_default(),
            visibility: visibility
                .get(&format!("custom.{}", f.key))
                .cloned()
                .unwrap_or_else(|| "members".into()),
        })
        .collect()
}

impl ProfileForm {
    pub(super) fn visibility_of(&self, field: &str) -> &str {
        match field {
            "email" => &self.visibility_email,
            "years" => &self.visibility_years,
            "department" => &self.visibility_department,
            "current_organisation" => &self.visibility_current_organisation,
            "title" => &self.visibility_title,
            "skills" => &self.visibility_skills,
            "ask_me_about" => &self.visibility_ask_me_about,
            _ => &self.visibility_links,
        }
    }
}

/// The edit form filled from a stored profile.
pub(super) fn form_from_profile(p: &queries::Profile) -> ProfileForm {
    let v = &p.field_visibility.0;
    ProfileForm {
        visibility_email: audience_of(v, "email").to_owned(),
        visibility_years: audience_of(v, "years").to_owned(),
        visibility_department: audience_of(v, "department").to_owned(),
        visibility_current_organisation: audience_of(v, "current_organisation").to_owned(),
        visibility_title: audience_of(v, "title").to_owned(),
        visibility_skills: audience_of(v, "skills").to_owned(),
        visibility_ask_me_about: audience_of(v, "ask_me_about").to_owned(),
        visibility_links: audience_of(v, "links").to_owned(),
        name_kanji: p.name_kanji.clone(),
        name_kana: p.name_kana.clone(),
        name_romaji: p.name_romaji.clone(),
        joined_year: p.joined_year.map(|y| y.to_string()).unwrap_or_default(),
        left_year: p.left_year.map(|y| y.to_string()).unwrap_or_default(),
        department: p.department.clone(),
        current_organisation: p.current_organisation.clone(),
        title: p.title.clone(),
        skills: p.skills.join(", "),
        ask_me_about: p.ask_me_about.clone(),
        links: p.links.0.join("\n"),
        custom: Vec::new(),
    }
}
