//! Tenant slugs: the subdomain label of a network.

use std::fmt;

/// Labels that are never a tenant: they belong to the platform.
pub const RESERVED_LABELS: &[&str] = &["www", "console", "api", "static", "admin"];

/// A valid, non-reserved subdomain label: 2–40 of `a-z 0-9 -`, starting and ending with a letter
/// or digit, no `--` (which would collide with punycode's `xn--`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct Slug(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlugError {
    #[error("must be 2 to 40 characters long")]
    Length,
    #[error("may contain only lowercase letters a-z, digits and single hyphens, and must start and end with a letter or digit")]
    Characters,
    #[error("{0:?} is reserved for the platform")]
    Reserved(String),
}

impl Slug {
    pub fn parse(value: &str) -> Result<Self, SlugError> {
        if !(2..=40).contains(&value.len()) {
            return Err(SlugError::Length);
        }
        let chars_ok = value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !chars_ok || value.starts_with('-') || value.ends_with('-') || value.contains("--") {
            return Err(SlugError::Characters);
        }
        if RESERVED_LABELS.contains(&value) {
            return Err(SlugError::Reserved(value.to_owned()));
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_slugs() {
        for ok in ["demo", "acme", "a1", "sony-alumni", "x0-9y"] {
            assert!(Slug::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn refuses_bad_and_reserved_slugs() {
        assert_eq!(Slug::parse("a"), Err(SlugError::Length));
        assert_eq!(Slug::parse(&"a".repeat(41)), Err(SlugError::Length));
        for bad in ["Demo", "-demo", "demo-", "de--mo", "de_mo", "dé", "de.mo"] {
            assert_eq!(Slug::parse(bad), Err(SlugError::Characters), "{bad}");
        }
        for reserved in RESERVED_LABELS {
            assert!(matches!(Slug::parse(reserved), Err(SlugError::Reserved(_))));
        }
    }
}
