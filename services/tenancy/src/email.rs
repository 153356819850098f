//! The categories of email a member can consent to, and the network's defaults for members who
//! have not chosen (tenant-config `[email_defaults]`). A member's own choices live with identity
//! (`tsunagu_identity::email_consent`); account emails (verification, password reset,
//! invitations) are not in a category: they are part of having an account.

use serde::{Deserialize, Serialize};

tsunagu_kernel::text_enum! {
    /// What an email is about, as the settings page and the unsubscribe link name it.
    pub enum EmailCategory {
        /// Private messages to the member.
        Messages => "messages",
        /// Comments and reactions on the member's own posts.
        MyPosts => "my_posts",
        Recruitments => "recruitments",
        Articles => "articles",
        Events => "events",
        /// New surveys, and the secretariat's invitations to those a survey found.
        Surveys => "surveys",
        /// The weekly digest itself.
        Digest => "digest",
    }
}

tsunagu_kernel::text_enum! {
    /// How a member gets a category's email.
    pub enum EmailDelivery {
        Off => "off",
        Immediately => "immediately",
        /// Gathered into the weekly digest.
        Digest => "digest",
    }
}

impl EmailCategory {
    /// The choices the category offers: the digest is the weekly email itself, on or off.
    pub fn choices(self) -> &'static [EmailDelivery] {
        match self {
            EmailCategory::Digest => &[EmailDelivery::Digest, EmailDelivery::Off],
            _ => &[
                EmailDelivery::Immediately,
                EmailDelivery::Digest,
                EmailDelivery::Off,
            ],
        }
    }

    pub fn allows(self, delivery: EmailDelivery) -> bool {
        self.choices().contains(&delivery)
    }
}

/// What a member who has not chosen gets, per category.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EmailDefaults {
    pub messages: EmailDelivery,
    pub my_posts: EmailDelivery,
    pub recruitments: EmailDelivery,
    pub articles: EmailDelivery,
    pub events: EmailDelivery,
    pub surveys: EmailDelivery,
    pub digest: EmailDelivery,
}

impl Default for EmailDefaults {
    /// Direct things now, news in the weekly digest.
    fn default() -> Self {
        Self {
            messages: EmailDelivery::Immediately,
            my_posts: EmailDelivery::Digest,
            recruitments: EmailDelivery::Digest,
            articles: EmailDelivery::Digest,
            events: EmailDelivery::Immediately,
            surveys: EmailDelivery::Immediately,
            digest: EmailDelivery::Digest,
        }
    }
}

impl EmailDefaults {
    pub fn of(&self, category: EmailCategory) -> EmailDelivery {
        match category {
            EmailCategory::Messages => self.messages,
            EmailCategory::MyPosts => self.my_posts,
            EmailCategory::Recruitments => self.recruitments,
            EmailCategory::Articles => self.articles,
            EmailCategory::Events => self.events,
            EmailCategory::Surveys => self.surveys,
            EmailCategory::Digest => self.digest,
        }
    }

    /// Categories whose default is not one of their choices (`digest = "immediately"`).
    pub fn invalid(&self) -> Vec<EmailCategory> {
        EmailCategory::ALL
            .iter()
            .copied()
            .filter(|c| !c.allows(self.of(*c)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_read_from_toml_and_fall_back_per_key() {
        let parsed: EmailDefaults = toml::from_str("surveys = \"off\"\ndigest = \"off\"").unwrap();
        assert_eq!(parsed.of(EmailCategory::Surveys), EmailDelivery::Off);
        assert_eq!(parsed.of(EmailCategory::Digest), EmailDelivery::Off);
        assert_eq!(
            parsed.of(EmailCategory::Messages),
            EmailDelivery::Immediately
        );
        assert!(parsed.invalid().is_empty());
        assert!(toml::from_str::<EmailDefaults>("surveys = \"weekly\"").is_err());
        assert!(toml::from_str::<EmailDefaults>("newsletter = \"off\"").is_err());
        let wrong: EmailDefaults = toml::from_str("digest = \"immediately\"").unwrap();
        assert_eq!(wrong.invalid(), vec![EmailCategory::Digest]);
    }
}
