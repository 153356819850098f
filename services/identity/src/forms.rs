//! Parsing identity's form input (passwords, member kinds); the general form kit (field errors,
//! email addresses, texts, years) is `tsunagu_web::forms`, re-exported here.

use tsunagu_kernel::MemberKind;
pub use tsunagu_web::forms::*;

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
pub fn kind(input: &str) -> Result<MemberKind, &'static str> {
    MemberKind::parse(input).ok_or("errors.field.required")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_and_kinds() {
        assert!(password("short").is_err());
        assert!(password("long enough pw").is_ok());
        assert_eq!(kind("alumni"), Ok(MemberKind::Alumni));
        assert!(kind("secretariat").is_err());
    }
}
