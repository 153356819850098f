//! The one way the product shows and reads dates and times: in the tenant's time zone, in the
//! visitor's language. Every tenant is in Japan time today; the per-tenant setting (issue #16,
//! `time_zone` in tenant-config) changes only [`Zone::of`], and an IANA zone with daylight
//! saving would change only [`Zone`]'s inside.

use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};
use tsunagu_tenancy::Tenant;

use crate::Locale;

/// The time zone dates are shown and entered in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Zone(UtcOffset);

impl Zone {
    /// Asia/Tokyo (no daylight saving, so a fixed offset is exact).
    pub const JAPAN: Zone = Zone(match UtcOffset::from_hms(9, 0, 0) {
        Ok(offset) => offset,
        Err(_) => UtcOffset::UTC,
    });

    /// The zone of a tenant's dates (tenant-config `time_zone`; Japan time for a name this
    /// build does not know, which validation keeps from happening).
    pub fn of(tenant: &Tenant) -> Zone {
        tsunagu_tenancy::time_zone::offset_minutes(&tenant.time_zone)
            .and_then(|minutes| UtcOffset::from_whole_seconds(minutes * 60).ok())
            .map(Zone)
            .unwrap_or(Zone::JAPAN)
    }

    /// The zone's offset from UTC.
    pub fn offset(self) -> UtcOffset {
        self.0
    }

    fn local(self, at: OffsetDateTime) -> OffsetDateTime {
        at.to_offset(self.0)
    }
}

/// A day: `2026年11月25日` / `25 November 2026`.
pub fn date(at: OffsetDateTime, lang: Locale, zone: Zone) -> String {
    let local = zone.local(at);
    match lang {
        Locale::Ja => format!(
            "{}年{}月{}日",
            local.year(),
            u8::from(local.month()),
            local.day()
        ),
        Locale::En => format!("{} {} {}", local.day(), local.month(), local.year()),
    }
}

/// A moment: `2026年11月25日 09:05` / `25 November 2026, 09:05`.
pub fn datetime(at: OffsetDateTime, lang: Locale, zone: Zone) -> String {
    let local = zone.local(at);
    match lang {
        Locale::Ja => format!(
            "{}年{}月{}日 {:02}:{:02}",
            local.year(),
            u8::from(local.month()),
            local.day(),
            local.hour(),
            local.minute()
        ),
        Locale::En => format!(
            "{} {} {}, {:02}:{:02}",
            local.day(),
            local.month(),
            local.year(),
            local.hour(),
            local.minute()
        ),
    }
}

/// The time of day in the zone, `19:30` (both languages).
pub fn time_of_day(at: OffsetDateTime, zone: Zone) -> String {
    let local = zone.local(at);
    format!("{:02}:{:02}", local.hour(), local.minute())
}

/// For `<time datetime="…">`: RFC 3339, in UTC as stored.
pub fn iso(at: OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// The value of a `datetime-local` input (`YYYY-MM-DDTHH:MM`) in the zone.
pub fn input_value(at: OffsetDateTime, zone: Zone) -> String {
    let local = zone.local(at);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}",
        local.year(),
        u8::from(local.month()),
        local.day(),
        local.hour(),
        local.minute()
    )
}

/// What a `datetime-local` input said, as a moment in the zone.
pub fn parse_input(value: &str, zone: Zone) -> Option<OffsetDateTime> {
    let format = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]");
    PrimitiveDateTime::parse(value.trim(), &format)
        .ok()
        .map(|t| t.assume_offset(zone.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_shown_in_the_zone_and_language() {
        // 2026-11-25 00:05 UTC is 09:05 in Japan.
        let at = time::macros::datetime!(2026-11-25 00:05 UTC);
        assert_eq!(date(at, Locale::Ja, Zone::JAPAN), "2026年11月25日");
        assert_eq!(date(at, Locale::En, Zone::JAPAN), "25 November 2026");
        assert_eq!(
            datetime(at, Locale::Ja, Zone::JAPAN),
            "2026年11月25日 09:05"
        );
        assert_eq!(
            datetime(at, Locale::En, Zone::JAPAN),
            "25 November 2026, 09:05"
        );
        // 23:30 UTC is already the next day in Japan.
        let late = time::macros::datetime!(2026-11-24 23:30 UTC);
        assert_eq!(date(late, Locale::Ja, Zone::JAPAN), "2026年11月25日");
    }

    #[test]
    fn datetime_inputs_round_trip_in_the_zone() {
        let at = time::macros::datetime!(2026-11-25 00:05 UTC);
        let value = input_value(at, Zone::JAPAN);
        assert_eq!(value, "2026-11-25T09:05");
        assert_eq!(parse_input(&value, Zone::JAPAN), Some(at));
        assert_eq!(parse_input("tomorrow", Zone::JAPAN), None);
    }
}
