//! Japanese and English for every user-visible string.
//!
//! Strings live in `locales/ja.toml` and `locales/en.toml` (nested tables, flattened to dotted
//! keys) and are embedded in the binary. `{name}` placeholders are filled from arguments. A test
//! checks both files have exactly the same keys and placeholders, so no string exists in only one
//! language. Templates call `t(key="…", lang=lang)`.

use std::collections::HashMap;
use std::fmt;

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Locale {
    Ja,
    En,
}

impl Locale {
    pub const ALL: [Locale; 2] = [Locale::Ja, Locale::En];

    pub fn parse(tag: &str) -> Option<Self> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "ja" => Some(Locale::Ja),
            "en" => Some(Locale::En),
            _ => None,
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Locale::Ja => "ja",
            Locale::En => "en",
        }
    }

    /// The language to offer in the switcher.
    pub fn other(&self) -> Locale {
        match self {
            Locale::Ja => Locale::En,
            Locale::En => Locale::Ja,
        }
    }
}

impl fmt::Display for Locale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The first supported language in an `Accept-Language` header, by quality.
pub fn from_accept_language(header: &str) -> Option<Locale> {
    let mut candidates: Vec<(f32, usize, Locale)> = header
        .split(',')
        .enumerate()
        .filter_map(|(i, part)| {
            let mut pieces = part.split(';');
            let locale = Locale::parse(pieces.next()?)?;
            let quality = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            (quality > 0.0).then_some((quality, i, locale))
        })
        .collect();
    candidates.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    candidates.first().map(|c| c.2)
}

/// The language of a page: the person's own choice, then the tenant's default, then the browser's
/// `Accept-Language`, then Japanese (the first customers' language).
pub fn negotiate(
    chosen: Option<Locale>,
    tenant_default: Option<Locale>,
    accept_language: Option<&str>,
) -> Locale {
    chosen
        .or(tenant_default)
        .or_else(|| accept_language.and_then(from_accept_language))
        .unwrap_or(Locale::Ja)
}

/// Every string in both languages.
#[derive(Debug)]
pub struct Catalog {
    ja: HashMap<String, String>,
    en: HashMap<String, String>,
}

const JA_SOURCE: &str = include_str!("../locales/ja.toml");
const EN_SOURCE: &str = include_str!("../locales/en.toml");

fn flatten(prefix: &str, table: &toml::Table, out: &mut HashMap<String, String>) {
    for (key, value) in table {
        let full = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            toml::Value::Table(inner) => flatten(&full, inner, out),
            toml::Value::String(s) => {
                out.insert(full, s.clone());
            }
            other => {
                out.insert(full, other.to_string());
            }
        }
    }
}

fn parse_catalog(source: &str, name: &str) -> HashMap<String, String> {
    let table: toml::Table = source
        .parse()
        .unwrap_or_else(|e| panic!("locales/{name}.toml is not valid TOML: {e}"));
    let mut out = HashMap::new();
    flatten("", &table, &mut out);
    out
}

impl Catalog {
    /// The embedded catalog. Panics only at start-up if a locale file is malformed, which the
    /// unit tests catch first.
    pub fn embedded() -> Self {
        Self {
            ja: parse_catalog(JA_SOURCE, "ja"),
            en: parse_catalog(EN_SOURCE, "en"),
        }
    }

    fn table(&self, locale: Locale) -> &HashMap<String, String> {
        match locale {
            Locale::Ja => &self.ja,
            Locale::En => &self.en,
        }
    }

    pub fn get(&self, locale: Locale, key: &str) -> Option<&str> {
        self.table(locale).get(key).map(String::as_str)
    }

    /// The string for `key` with `{name}` placeholders filled. A missing key shows the key itself
    /// (never a panic in a request); tests make sure none is missing.
    pub fn t(&self, locale: Locale, key: &str, args: &[(&str, &str)]) -> String {
        match self.get(locale, key) {
            Some(template) => fill(template, args),
            None => {
                tracing::warn!(i18n.key = key, lang = %locale, "missing translation");
                key.to_owned()
            }
        }
    }

    pub fn keys(&self, locale: Locale) -> impl Iterator<Item = &String> {
        self.table(locale).keys()
    }
}

/// Fills `{name}` placeholders in one pass; unknown names stay as written.
pub fn fill(template: &str, args: &[(&str, &str)]) -> String {
    if args.is_empty() || !template.contains('{') {
        return template.to_owned();
    }
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let value = after.find('}').and_then(|close| {
            let name = &after[..close];
            args.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v, close))
        });
        match value {
            Some((value, close)) => {
                out.push_str(value);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The names of `{placeholders}` in a string, sorted.
pub fn placeholders(template: &str) -> Vec<String> {
    let mut names: Vec<String> = template
        .split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name.to_owned()))
        .collect();
    names.sort();
    names.dedup();
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn both_languages_have_the_same_keys_and_placeholders() {
        let catalog = Catalog::embedded();
        let ja: BTreeSet<_> = catalog.keys(Locale::Ja).collect();
        let en: BTreeSet<_> = catalog.keys(Locale::En).collect();
        let only_ja: Vec<_> = ja.difference(&en).collect();
        let only_en: Vec<_> = en.difference(&ja).collect();
        assert!(
            only_ja.is_empty() && only_en.is_empty(),
            "only in ja: {only_ja:?}; only in en: {only_en:?}"
        );
        for key in ja {
            assert_eq!(
                placeholders(catalog.get(Locale::Ja, key).unwrap()),
                placeholders(catalog.get(Locale::En, key).unwrap()),
                "placeholders differ for {key}"
            );
            assert!(
                !catalog.get(Locale::Ja, key).unwrap().trim().is_empty(),
                "{key} is empty in ja"
            );
            assert!(
                !catalog.get(Locale::En, key).unwrap().trim().is_empty(),
                "{key} is empty in en"
            );
        }
    }

    #[test]
    fn fills_placeholders_and_falls_back_to_the_key() {
        let catalog = Catalog::embedded();
        assert_eq!(catalog.t(Locale::En, "no.such.key", &[]), "no.such.key");
        assert_eq!(fill("Hello {name}!", &[("name", "Aiko")]), "Hello Aiko!");
        assert_eq!(
            fill("{a}{b} {a} {unknown} {", &[("a", "1"), ("b", "{a}")]),
            "1{a} 1 {unknown} {",
            "one pass: a value is never filled again; unknown names and stray braces stay"
        );
    }

    #[test]
    fn negotiation_order_is_choice_then_tenant_then_browser() {
        assert_eq!(
            negotiate(Some(Locale::En), Some(Locale::Ja), Some("ja")),
            Locale::En
        );
        assert_eq!(negotiate(None, Some(Locale::En), Some("ja")), Locale::En);
        assert_eq!(
            negotiate(None, None, Some("fr-FR, en;q=0.8, ja;q=0.9")),
            Locale::Ja
        );
        assert_eq!(negotiate(None, None, Some("en-GB,en;q=0.9")), Locale::En);
        assert_eq!(negotiate(None, None, Some("fr")), Locale::Ja);
        assert_eq!(negotiate(None, None, None), Locale::Ja);
        assert_eq!(from_accept_language("ja;q=0, en;q=0.1"), Some(Locale::En));
    }
}
