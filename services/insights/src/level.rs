//! The level-3 indicator (docs/LEVEL3.md): a month's figures and the level they imply under the
//! network's thresholds (tenant-config `[level3]`).

use serde::Serialize;
use time::Date;
use tsunagu_tenancy::Level3Thresholds;

/// What one month of a network adds up to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct MonthFigures {
    /// Posts, 募集, events and conversations started by members.
    pub member_started: i64,
    /// The same, started by the secretariat.
    pub secretariat_started: i64,
    /// Pairs of members whose first interaction ever was this month, without the secretariat.
    pub first_contacts: i64,
}

impl MonthFigures {
    pub fn started(&self) -> i64 {
        self.member_started + self.secretariat_started
    }

    /// The members' share of what was started, in whole percent (rounded down); `None` when
    /// nothing was started.
    pub fn member_share_percent(&self) -> Option<i64> {
        let started = self.started();
        (started > 0).then(|| self.member_started * 100 / started)
    }

    /// Level 1 (hardly used), 2 (used, mostly through the secretariat) or 3 (members reach each
    /// other by themselves).
    pub fn level(&self, thresholds: &Level3Thresholds) -> u8 {
        thresholds.level(
            self.member_started,
            self.secretariat_started,
            self.first_contacts,
        )
    }
}

/// The first day of `day`'s month.
pub fn month_of(day: Date) -> Date {
    day.replace_day(1).expect("every month has a first day")
}

/// The first day of the month before `month` (a first day).
pub fn previous_month(month: Date) -> Date {
    month_of(month.previous_day().expect("dates after year -9999"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn figures(member: i64, secretariat: i64, contacts: i64) -> MonthFigures {
        MonthFigures {
            member_started: member,
            secretariat_started: secretariat,
            first_contacts: contacts,
        }
    }

    #[test]
    fn levels_follow_the_thresholds() {
        let t = Level3Thresholds::default(); // 10 started, 50 %, 10 contacts
        assert_eq!(
            figures(3, 6, 40).level(&t),
            1,
            "fewer than 10 things started"
        );
        assert_eq!(figures(2, 8, 40).level(&t), 2, "mostly the secretariat");
        assert_eq!(
            figures(5, 5, 9).level(&t),
            2,
            "half by members, too few contacts"
        );
        assert_eq!(figures(5, 5, 10).level(&t), 3, "exactly at both thresholds");
        assert_eq!(figures(30, 0, 12).level(&t), 3);
        let strict = Level3Thresholds {
            level2_min_started: 1,
            level3_member_share_percent: 80,
            level3_min_first_contacts: 1,
        };
        assert_eq!(figures(7, 3, 5).level(&strict), 2);
        assert_eq!(figures(8, 2, 5).level(&strict), 3);
    }

    #[test]
    fn share_is_none_without_activity() {
        assert_eq!(figures(0, 0, 3).member_share_percent(), None);
        assert_eq!(figures(2, 1, 0).member_share_percent(), Some(66));
    }

    #[test]
    fn months_step_back_across_years() {
        assert_eq!(month_of(date!(2026 - 03 - 31)), date!(2026 - 03 - 01));
        assert_eq!(previous_month(date!(2026 - 01 - 01)), date!(2025 - 12 - 01));
    }
}
