//! Follow-up lists: the people the secretariat (or a 募集's author) follows up one by one, each
//! with a status and a note. One model for every source: the members gathered from a 募集
//! ("interested") and the recipients of an outreach to a survey segment
//! (`tsunagu_surveys::outreach`). Each kind of list offers its own statuses.

pub mod queries;

use crate::kinds::FollowUpStatus;

tsunagu_kernel::entity_id!(
    /// A follow-up list.
    FollowUpListId
);

tsunagu_kernel::text_enum! {
    /// Where a list's people come from.
    pub enum ListKind {
        Recruitment => "recruitment",
        Outreach => "outreach",
    }
}

impl ListKind {
    /// The statuses a list of this kind offers, in the order of the work.
    pub const fn statuses(self) -> &'static [FollowUpStatus] {
        use FollowUpStatus::*;
        match self {
            ListKind::Recruitment => &[ToContact, Contacted, Met, Declined],
            ListKind::Outreach => &[Sent, Replied, Accepted, Declined, Done],
        }
    }

    /// The status a person starts with.
    pub fn first_status(self) -> FollowUpStatus {
        self.statuses()[0]
    }
}
