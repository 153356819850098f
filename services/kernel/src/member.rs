//! The vocabulary of membership shared by every crate: a member's kind, status and role. Stored
//! as text (with CHECK constraints in the members table), read and written as these enums, and
//! shown to templates as the same lower-case words, so a typo is a compile error rather than a
//! page that silently matches nothing.

/// Defines an enum stored as a text column: the sqlx text type, the same words for serde (so
/// sessions and templates see them), `as_str`, `parse`, `ALL`, `Display` and `== "word"`.
/// Feature crates use it for their own vocabularies (post kinds, reactions, statuses).
#[macro_export]
macro_rules! text_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $($(#[$variant_meta:meta])* $variant:ident => $word:literal),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, sqlx::Type)]
        #[sqlx(type_name = "text")]
        $vis enum $name {
            $($(#[$variant_meta])* #[serde(rename = $word)] #[sqlx(rename = $word)] $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored (and displayed to templates) word.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $word),+
                }
            }

            /// The value for a stored word, if it is one.
            pub fn parse(word: &str) -> Option<Self> {
                match word {
                    $($word => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }
    };
}

text_enum! {
    /// Alumni and employees are both members; the permission matrix uses the kind as a subject.
    pub enum MemberKind {
        Alumni => "alumni",
        Employee => "employee",
    }
}

text_enum! {
    /// Where a member's account stands (docs/IDENTITY.md, "Statuses").
    pub enum MemberStatus {
        PendingVerification => "pending_verification",
        PendingApproval => "pending_approval",
        Active => "active",
        Rejected => "rejected",
        Suspended => "suspended",
                Removed => "removed",
        /// The network's "Tsunagu CS" member, the author of what platform staff draft within a
        /// support grant (docs/adr/0004-support-sessions.md); never signs in, never listed.
        Support => "support",
    }
}

text_enum! {
    /// What a member may do beyond being a member; the permission matrix uses it as a subject.
    pub enum MemberRole {
        Member => "member",
        Secretariat => "secretariat",
    }
}

impl MemberStatus {
    /// The statuses a list of members offers as filters (every one but the "Tsunagu CS" member's).
    pub const LISTED: [MemberStatus; 6] = [
        MemberStatus::PendingVerification,
        MemberStatus::PendingApproval,
        MemberStatus::Active,
        MemberStatus::Rejected,
        MemberStatus::Suspended,
        MemberStatus::Removed,
    ];
}

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
