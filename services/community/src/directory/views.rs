//! What the directory shows: member cards and profile pages (each field only to its audience),
//! and the profile editor.

use std::collections::BTreeMap;
use tsunagu_kernel::MemberId;

use axum::http::StatusCode;
use axum::response::Response;
use serde::Serialize;
use tsunagu_web::forms::FieldErrors;
use tsunagu_web::{AppError, AppState, CurrentMember, Page};

use super::forms::{ProfileForm, AUDIENCES, VISIBLE_FIELDS};
use super::queries::DirectoryRow;
use crate::view::render;

/// Can `viewer` see a field meant for `audience`?
pub fn can_see(viewer: &CurrentMember, owner: MemberId, audience: &str) -> bool {
    if viewer.id() == owner || viewer.is_secretariat() {
        return true;
    }
    match audience {
        "members" => true,
        "employees" => viewer.data.kind == tsunagu_kernel::MemberKind::Employee,
        _ => false,
    }
}

pub(super) fn audience_of<'a>(visibility: &'a BTreeMap<String, String>, field: &str) -> &'a str {
    visibility
        .get(field)
        .map(String::as_str)
        .unwrap_or_else(|| {
            VISIBLE_FIELDS
                .iter()
                .find(|(f, _)| *f == field)
                .map(|(_, d)| *d)
                .unwrap_or("members")
        })
}

#[derive(Serialize)]
pub(super) struct DirectoryCard {
    id: tsunagu_kernel::MemberId,
    name_kanji: String,
    name_kana: String,
    name_romaji: String,
    kind: tsunagu_kernel::MemberKind,
    years: Option<String>,
    department: Option<String>,
    organisation: Option<String>,
    title: Option<String>,
    /// Cache-busting version of the photo, when there is one.
    photo: Option<String>,
}

pub(super) fn years_label(joined: Option<i32>, left: Option<i32>) -> Option<String> {
    match (joined, left) {
        (None, None) => None,
        (j, l) => Some(format!(
            "{}–{}",
            j.map(|y| y.to_string()).unwrap_or_default(),
            l.map(|y| y.to_string()).unwrap_or_default()
        )),
    }
}

pub(super) fn card(viewer: &CurrentMember, row: DirectoryRow) -> DirectoryCard {
    let visibility: BTreeMap<String, String> =
        serde_json::from_value(row.field_visibility.0.clone()).unwrap_or_default();
    let show = |field: &str, value: String| {
        (!value.is_empty() && can_see(viewer, row.id, audience_of(&visibility, field)))
            .then_some(value)
    };
    DirectoryCard {
        years: years_label(row.joined_year, row.left_year)
            .filter(|_| can_see(viewer, row.id, audience_of(&visibility, "years"))),
        department: show("department", row.department),
        organisation: show("current_organisation", row.current_organisation),
        title: show("title", row.title),
        photo: row.photo_key,
        id: row.id,
        name_kanji: row.name_kanji,
        name_kana: row.name_kana,
        name_romaji: row.name_romaji,
        kind: row.kind,
    }
}

#[derive(Serialize)]
pub(super) struct ProfileView {
    pub(super) id: tsunagu_kernel::MemberId,
    pub(super) name_kanji: String,
    pub(super) name_kana: String,
    pub(super) name_romaji: String,
    pub(super) kind: tsunagu_kernel::MemberKind,
    pub(super) is_self: bool,
    /// (field, value) pairs the viewer may see, in display order.
    pub(super) fields: Vec<(String, String)>,
    pub(super) skills: Vec<String>,
    pub(super) links: Vec<String>,
    pub(super) stale: bool,
    pub(super) photo: Option<String>,
    /// (label, value) of the tenant's custom fields the viewer may see.
    pub(super) custom: Vec<(String, String)>,
}

impl ProfileView {
    /// The profile as plain text, one line per field: what a report keeps.
    pub(super) fn as_text(&self) -> String {
        let mut lines = vec![self.name_kanji.clone()];
        for (label, value) in self.custom.iter().chain(&self.fields) {
            lines.push(format!("{label}: {value}"));
        }
        if !self.skills.is_empty() {
            lines.push(format!("skills: {}", self.skills.join(", ")));
        }
        lines.extend(self.links.iter().cloned());
        lines.join("\n")
    }
}

pub(super) fn render_edit(
    state: &AppState,
    page: &Page,
    form: &ProfileForm,
    errors: &FieldErrors,
    status: StatusCode,
    photo: Option<&str>,
) -> Result<Response, AppError> {
    render(state, page, "directory/edit_profile.html", status, |c| {
        c.insert("form", form);
        c.insert("errors", errors);
        c.insert("audiences", AUDIENCES);
        c.insert(
            "visible_fields",
            &VISIBLE_FIELDS.iter().map(|(f, _)| *f).collect::<Vec<_>>(),
        );
        c.insert("photo", &photo);
    })
}
