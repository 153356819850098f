//! Parsing form input into valid values ("parse, don't validate"). Errors are i18n keys under
//! `errors.field.*`, shown next to the field.

use std::collections::BTreeMap;

/// Field name → i18n key of the problem.
pub type FieldErrors = BTreeMap<&'static str, &'static str>;

/// A syntactically valid email address, trimmed; `normalized` is what uniqueness compares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmailAddress {
    pub address: String,
    pub normalized: String,
}

impl EmailAddress {
    pub fn parse(input: &str) -> Result<Self, &'static str> {
        let address = input.trim();
        if address.is_empty() {
            return Err("errors.field.required");
        }
        let valid = address.len() <= 254
            && !address
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || "<>()[],;:\"\\".contains(c))
            && match address.rsplit_once('@') {
                Some((local, domain)) => {
                    !local.is_empty()
                        && local.len() <= 64
                        && !local.contains('@')
                        && domain.contains('.')
                        && !domain.starts_with('.')
                        && !domain.ends_with('.')
                        && !domain.contains("..")
                }
                None => false,
            };
        if !valid {
            return Err("errors.field.email");
        }
        Ok(Self {
            address: address.to_owned(),
            normalized: address.to_lowercase(),
        })
    }

    pub fn domain(&self) -> &str {
        self.normalized
            .rsplit_once('@')
            .map(|(_, d)| d)
            .unwrap_or_default()
    }

    /// Is this address at one of `domains` (or a subdomain of one)?
    pub fn is_at_any_of(&self, domains: &[String]) -> bool {
        let domain = self.domain();
        domains
            .iter()
            .any(|d| domain == d || domain.ends_with(&format!(".{d}")))
    }
}

/// A trimmed text of at most `max` characters; `min` 1 makes it required.
pub fn text(input: &str, min: usize, max: usize) -> Result<String, &'static str> {
    let value = input.trim();
    let n = value.chars().count();
    if n < min {
        return Err("errors.field.required");
    }
    if n > max {
        return Err("errors.field.too_long");
    }
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err("errors.field.invalid");
    }
    Ok(value.to_owned())
}

/// An optional year between 1900 and next year.
pub fn year(input: &str) -> Result<Option<i32>, &'static str> {
    let value = input.trim();
    if value.is_empty() {
        return Ok(None);
    }
    let this_year = time::OffsetDateTime::now_utc().year();
    match value.parse::<i32>() {
        Ok(y) if (1900..=this_year + 1).contains(&y) => Ok(Some(y)),
        _ => Err("errors.field.year"),
    }
}

pub fn password(input: &str) -> Result<String, &'static str> {
    let n = input.chars().count();
    if n < crate::password::MIN_LENGTH {
        return Err("errors.field.password_short");
    }
    if n > crate::password::MAX_LENGTH {
        return Err("errors.field.too_long");
    }
    Ok(input.to_owned())
}

/// Member kinds a form may choose.
pub fn kind(input: &str) -> Result<&'static str, &'static str> {
    match input {
        "alumni" => Ok("alumni"),
        "employee" => Ok("employee"),
        _ => Err("errors.field.required"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_addresses() {
        let e = EmailAddress::parse("  Taro.Yamada@Demo.Example.co.jp ").unwrap();
        assert_eq!(e.address, "Taro.Yamada@Demo.Example.co.jp");
        assert_eq!(e.normalized, "taro.yamada@demo.example.co.jp");
        assert!(e.is_at_any_of(&["demo.example.co.jp".into()]));
        assert!(!e.is_at_any_of(&["example.co.jp.evil".into()]));
        let sub = EmailAddress::parse("a@tokyo.demo.example.co.jp").unwrap();
        assert!(sub.is_at_any_of(&["demo.example.co.jp".into()]));
        let lookalike = EmailAddress::parse("a@evildemo.example.co.jp").unwrap();
        assert!(!lookalike.is_at_any_of(&["demo.example.co.jp".into()]));
        for bad in [
            "", "no-at", "a@b", "a@@b.c", "a b@c.d", "a@.c.d", "a@c..d", "<a@b.c>",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn texts_years_and_passwords() {
        assert_eq!(text("  山田 太郎 ", 1, 100).unwrap(), "山田 太郎");
        assert_eq!(text("   ", 1, 100), Err("errors.field.required"));
        assert_eq!(
            text(&"あ".repeat(101), 1, 100),
            Err("errors.field.too_long")
        );
        assert_eq!(year(""), Ok(None));
        assert_eq!(year("2015"), Ok(Some(2015)));
        assert!(year("1800").is_err() && year("twenty").is_err());
        assert!(password("short").is_err());
        assert!(password("long enough pw").is_ok());
    }
}
