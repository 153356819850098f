//! The vocabulary of membership shared by every crate: a member's kind, status and role. Stored
//! as text (with CHECK constraints in the members table), read and written as these enums, and
//! shown to templates as the same lower-case words, so a typo is a compile error rather than a
//! page that silently matches nothing.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Alumni and employees are both members; the permission matrix uses the kind as a subject.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum MemberKind {
    Alumni,
    Employee,
}

/// Where a member's account stands (docs/IDENTITY.md, "Statuses").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum MemberStatus {
    PendingVerification,
    PendingApproval,
    Active,
    Rejected,
    Suspended,
    Removed,
}

/// What a member may do beyond being a member; the permission matrix uses it as a subject.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum MemberRole {
    Member,
    Secretariat,
}

macro_rules! words {
    ($type:ty { $($variant:ident => $word:literal),* $(,)? }) => {
        impl $type {
            /// Every value, in declaration order.
            pub const ALL: &'static [$type] = &[$(<$type>::$variant),*];

            /// The stored (and displayed to templates) word.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(<$type>::$variant => $word),*
                }
            }

            /// The value for a stored word, if it is one.
            pub fn parse(word: &str) -> Option<Self> {
                match word {
                    $($word => Some(<$type>::$variant),)*
                    _ => None,
                }
            }
        }

        impl fmt::Display for $type {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl PartialEq<&str> for $type {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }
    };
}

words!(MemberKind { Alumni => "alumni", Employee => "employee" });
words!(MemberStatus {
    PendingVerification => "pending_verification",
    PendingApproval => "pending_approval",
    Active => "active",
    Rejected => "rejected",
    Suspended => "suspended",
    Removed => "removed",
});
words!(MemberRole { Member => "member", Secretariat => "secretariat" });

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip_and_match_serde() {
        for kind in MemberKind::ALL {
            assert_eq!(MemberKind::parse(kind.as_str()), Some(*kind));
            assert_eq!(
                serde_json::to_string(kind).unwrap(),
                format!("\"{}\"", kind.as_str())
            );
        }
        for status in MemberStatus::ALL {
            assert_eq!(MemberStatus::parse(status.as_str()), Some(*status));
            assert_eq!(
                serde_json::to_string(status).unwrap(),
                format!("\"{}\"", status.as_str())
            );
        }
        for role in MemberRole::ALL {
            assert_eq!(MemberRole::parse(role.as_str()), Some(*role));
        }
        assert_eq!(MemberKind::parse("stranger"), None);
        assert!(MemberStatus::Active == "active");
    }
}
