//! The surveys' vocabularies, stored as text (with CHECK constraints in the migration).

use tsunagu_kernel::text_enum;

text_enum! {
    /// Where a survey stands. An `open` survey whose `opens_at` is still ahead is scheduled, and
    /// one whose `closes_at` has passed is closed: see [`crate::queries::Survey::phase`].
    pub enum SurveyStatus {
        Draft => "draft",
        Open => "open",
        Closed => "closed",
    }
}

text_enum! {
    /// What a question asks for.
    pub enum QuestionKind {
        /// One of the options (and "other: ___" if allowed).
        Single => "single",
        /// Any of the options (and "other: ___" if allowed).
        Multiple => "multiple",
        /// 1 to 5.
        Scale => "scale",
        /// One line, up to [`crate::answers::SHORT_TEXT_CHARS`] characters.
        ShortText => "short_text",
        /// Paragraphs, up to [`crate::answers::LONG_TEXT_CHARS`] characters.
        LongText => "long_text",
        /// Yes or no.
        YesNo => "yes_no",
    }
}

impl QuestionKind {
    /// Questions answered by picking from the survey's own options.
    pub fn has_options(self) -> bool {
        matches!(self, QuestionKind::Single | QuestionKind::Multiple)
    }

    /// Questions answered with free text.
    pub fn is_text(self) -> bool {
        matches!(self, QuestionKind::ShortText | QuestionKind::LongText)
    }
}

text_enum! {
    /// Who is asked.
    pub enum Audience {
        Everyone => "everyone",
        Alumni => "alumni",
        Employees => "employees",
        /// The members of a saved segment (`surveys.audience_segment_id`), as it is when they
        /// look: segments are live.
        Segment => "segment",
        /// The members checked in at an event (`surveys.audience_event_id`): a post-event
        /// survey. Set when the survey is made from the event; the builder keeps it.
        Event => "event",
    }
}

impl Audience {
    /// The audiences that name no segment, as the builder lists them before the segments.
    pub const BY_KIND: &'static [Audience] =
        &[Audience::Everyone, Audience::Alumni, Audience::Employees];

    /// The member kind the audience is limited to, if any.
    pub fn member_kind(self) -> Option<tsunagu_kernel::MemberKind> {
        match self {
            Audience::Everyone | Audience::Segment | Audience::Event => None,
            Audience::Alumni => Some(tsunagu_kernel::MemberKind::Alumni),
            Audience::Employees => Some(tsunagu_kernel::MemberKind::Employee),
        }
    }
}
