//! The community's vocabularies, stored as text columns (each with its CHECK constraint) and
//! handled as enums (`tsunagu_kernel::text_enum!`): templates see the same words.

tsunagu_kernel::text_enum! {
    /// A timeline post, or a casual one that expires (where the tenant allows them).
    pub enum PostKind {
        Post => "post",
        Casual => "casual",
    }
}

tsunagu_kernel::text_enum! {
    /// Whether a 募集 still takes reactions.
        pub enum RecruitmentStatus {
        /// Opened by platform staff within a support grant, or made from a template: waits for
        /// the secretariat's approval, seen only by those who manage 募集.
        Draft => "draft",
        Open => "open",
        Closed => "closed",
    }
}

tsunagu_kernel::text_enum! {
    /// A member's reaction to a 募集.
    pub enum Reaction {
        Cheer => "cheer",
        Interested => "interested",
        SeeLater => "see_later",
    }
}

tsunagu_kernel::text_enum! {
    /// Where the author stands with an interested member (the follow-up list).
    pub enum FollowUpStatus {
        ToContact => "to_contact",
        Contacted => "contacted",
        Met => "met",
        Sent => "sent",
        Replied => "replied",
        Accepted => "accepted",
        Declined => "declined",
        Done => "done",
    }
}

tsunagu_kernel::text_enum! {
    /// An article's state: a draft, scheduled for a time, or published.
    pub enum ArticleStatus {
        Draft => "draft",
        Scheduled => "scheduled",
        Published => "published",
    }
}
