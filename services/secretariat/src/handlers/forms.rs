//! What the secretariat area reads from its forms: a rejection's reason, pasted invitation
//! addresses, and role and status changes.

use serde::{Deserialize, Serialize};

// `forms` names this module in `mod.rs`, so the handlers' `forms::text` checks are the form
// kit's, reached through here.
pub(super) use tsunagu_web::forms::text;

#[derive(Deserialize)]
pub struct RejectForm {
    #[serde(default)]
    pub(super) reason: String,
}

#[derive(Deserialize, Serialize, Default)]
pub struct InviteForm {
    #[serde(default)]
    pub(super) emails: String,
    #[serde(default)]
    pub(super) kind: String,
}

/// Splits pasted text (one per line, or separated by commas, semicolons or spaces).
pub fn split_addresses(text: &str) -> Vec<&str> {
    let mut seen = std::collections::HashSet::new();
    text.split(|c: char| c.is_whitespace() || c == ',' || c == ';' || c == '、')
        .map(|s| s.trim().trim_matches(|c| c == '<' || c == '>'))
        .filter(|s| !s.is_empty())
        .filter(|s| seen.insert(s.to_lowercase()))
        .collect()
}

pub const MAX_INVITATIONS_PER_BATCH: usize = 200;

#[derive(Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    pub(super) role: String,
}

#[derive(Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    pub(super) action: String,
}

/// A filter's query string from its non-empty values, for "next page" and export links that
/// keep the filter (`q=%E4%BD%90&kind=alumni`).
pub(super) fn query_string(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", tsunagu_web::error::percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// `path` with `query` appended when there is one.
pub(super) fn with_query(path: &str, query: &str) -> String {
    if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    }
}

#[cfg(test)]
mod tests {
    use super::split_addresses;

    #[test]
    fn pasted_addresses_are_split_and_deduplicated() {
        let text = "a@x.jp, b@x.jp;c@x.jp\n\nA@X.jp  <d@x.jp>、e@x.jp";
        assert_eq!(
            split_addresses(text),
            vec!["a@x.jp", "b@x.jp", "c@x.jp", "d@x.jp", "e@x.jp"]
        );
    }
}
