//! The library itself: one TOML file per template in `library/`, embedded in the binary and
//! checked when it loads (a unit test loads every file). Each template is bilingual (`ja`, `en`
//! for every text) and versioned (`version`, `updated`, `changes`); what a network made from it
//! remembers the version (`playbook_uses`).

use serde::Deserialize;
use tsunagu_web::Locale;

/// The library's files, in the order the pages list them.
const FILES: &[&str] = &[
    include_str!("../library/career-survey.toml"),
    include_str!("../library/welcome-survey.toml"),
    include_str!("../library/interview-article.toml"),
    include_str!("../library/reunion-speaker.toml"),
    include_str!("../library/online-reunion.toml"),
];

/// A text in both languages.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Text {
    pub ja: String,
    pub en: String,
}

impl Text {
    pub fn get(&self, lang: Locale) -> &str {
        match lang {
            Locale::Ja => &self.ja,
            Locale::En => &self.en,
        }
    }
}

/// A list of texts in both languages (a question's options).
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Texts {
    pub ja: Vec<String>,
    pub en: Vec<String>,
}

impl Texts {
    pub fn get(&self, lang: Locale) -> &[String] {
        match lang {
            Locale::Ja => &self.ja,
            Locale::En => &self.en,
        }
    }
}

/// What a template becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Survey,
    Article,
    Recruitment,
    Event,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Survey => "survey",
            Kind::Article => "article",
            Kind::Recruitment => "recruitment",
            Kind::Event => "event",
        }
    }

    /// The support scope under which staff may make this kind (docs/CONSOLE.md).
    pub fn scope(self) -> &'static str {
        match self {
            Kind::Survey => "surveys",
            Kind::Article => "content",
            Kind::Recruitment => "recruitments",
            Kind::Event => "events",
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    /// A survey question kind (`single`, `multiple`, `scale`, `short_text`, `long_text`,
    /// `yes_no`).
    pub kind: String,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub allow_other: bool,
    pub prompt: Text,
    pub help: Option<Text>,
    pub options: Option<Texts>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SurveyPart {
    #[serde(default)]
    pub anonymous: bool,
    pub intro: Text,
    pub questions: Vec<Question>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArticlePart {
    /// Sanitised again when a draft is made, like every article body.
    pub body: Text,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecruitmentPart {
    pub body: Text,
    /// The deadline, this many weeks after the draft is made (none: no deadline).
    pub deadline_weeks: Option<i64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventPart {
    pub description: Text,
    /// When the draft puts the event: this many weeks ahead, at this hour in the network's
    /// time zone, lasting this many minutes (the secretariat changes it before approving).
    pub weeks_ahead: i64,
    pub hour: u8,
    pub minutes: i64,
}

/// One template.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Playbook {
    pub key: String,
    pub kind: Kind,
    pub version: i32,
    pub updated: String,
    pub changes: String,
    pub title: Text,
    pub summary: Text,
    pub survey: Option<SurveyPart>,
    pub article: Option<ArticlePart>,
    pub recruitment: Option<RecruitmentPart>,
    pub event: Option<EventPart>,
}

/// Why a library file was refused.
#[derive(Debug, thiserror::Error)]
pub enum LibraryError {
    #[error("playbook file {0}: {1}")]
    Parse(usize, toml::de::Error),
    #[error("playbook {0}: {1}")]
    Invalid(String, &'static str),
}

impl Playbook {
    fn check(self) -> Result<Self, LibraryError> {
        let invalid = |why| Err(LibraryError::Invalid(self.key.clone(), why));
        if self.key.is_empty()
            || !self
                .key
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return invalid("the key is lower-case letters, digits and hyphens");
        }
        if self.version < 1 {
            return invalid("versions start at 1");
        }
        let parts = [
            self.survey.is_some(),
            self.article.is_some(),
            self.recruitment.is_some(),
            self.event.is_some(),
        ];
        let expected = match self.kind {
            Kind::Survey => 0,
            Kind::Article => 1,
            Kind::Recruitment => 2,
            Kind::Event => 3,
        };
        if parts.iter().filter(|p| **p).count() != 1 || !parts[expected] {
            return invalid("exactly the part of its kind");
        }
        if let Some(survey) = &self.survey {
            if survey.questions.is_empty() {
                return invalid("a survey needs questions");
            }
            for question in &survey.questions {
                let choice = matches!(question.kind.as_str(), "single" | "multiple");
                if !matches!(
                    question.kind.as_str(),
                    "single" | "multiple" | "scale" | "short_text" | "long_text" | "yes_no"
                ) {
                    return invalid("an unknown question kind");
                }
                match &question.options {
                    Some(options) if choice => {
                        if options.ja.len() < 2 || options.ja.len() != options.en.len() {
                            return invalid(
                                "choices need two options or more, the same in both languages",
                            );
                        }
                    }
                    None if !choice => {}
                    _ => return invalid("options belong to choice questions only"),
                }
            }
        }
        if let Some(event) = &self.event {
            if event.hour > 23 || !(15..=24 * 60).contains(&event.minutes) || event.weeks_ahead < 1
            {
                return invalid("an event hour 0 to 23, 15 minutes to a day, a week ahead or more");
            }
        }
        Ok(self)
    }
}

/// Every template, checked.
pub fn load() -> Result<Vec<Playbook>, LibraryError> {
    let mut playbooks: Vec<Playbook> = Vec::new();
    for (index, text) in FILES.iter().enumerate() {
        let playbook: Playbook = toml::from_str(text).map_err(|e| LibraryError::Parse(index, e))?;
        let playbook = playbook.check()?;
        if playbooks.iter().any(|p| p.key == playbook.key) {
            return Err(LibraryError::Invalid(
                playbook.key,
                "two files share the key",
            ));
        }
        playbooks.push(playbook);
    }
    Ok(playbooks)
}

/// The library, loaded once (it is part of the binary, so a bad file fails the unit test, not a
/// visitor).
pub fn library() -> &'static [Playbook] {
    static LIBRARY: std::sync::OnceLock<Vec<Playbook>> = std::sync::OnceLock::new();
    LIBRARY.get_or_init(|| match load() {
        Ok(playbooks) => playbooks,
        Err(error) => {
            tracing::error!(%error, "the playbook library failed to load");
            Vec::new()
        }
    })
}

/// The template with this key.
pub fn find(key: &str) -> Option<&'static Playbook> {
    library().iter().find(|p| p.key == key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_of_the_library_loads_and_covers_each_kind() {
        let playbooks = load().expect("the library loads");
        assert_eq!(playbooks.len(), FILES.len());
        for kind in [Kind::Survey, Kind::Article, Kind::Recruitment, Kind::Event] {
            assert!(playbooks.iter().any(|p| p.kind == kind), "{kind:?}");
        }
        let career = playbooks.iter().find(|p| p.key == "career-survey").unwrap();
        assert_eq!(career.title.get(Locale::En), "Career survey");
        assert!(career.survey.as_ref().unwrap().questions.len() >= 4);
    }

    #[test]
    fn a_template_must_be_whole_and_consistent() {
        let broken = r#"
key = "Bad Key"
kind = "survey"
version = 1
updated = "2026-11-01"
changes = ""
title = { ja = "題", en = "Title" }
summary = { ja = "", en = "" }
"#;
        let playbook: Playbook = toml::from_str(broken).unwrap();
        assert!(playbook.check().is_err());
        let no_part = broken.replace("Bad Key", "fine");
        let playbook: Playbook = toml::from_str(&no_part).unwrap();
        assert!(playbook.check().is_err(), "a survey without its part");
        assert!(toml::from_str::<Playbook>(&format!("{no_part}\nextra = 1")).is_err());
    }
}
