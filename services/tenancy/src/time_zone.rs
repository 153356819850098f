//! The network's time zone (tenant-config `time_zone`, default Asia/Tokyo): every date the product
//! shows or reads is in it. Only zones without daylight saving are offered, each a fixed offset,
//! so no time-zone database is needed; a zone that changes its clocks would need one (tzdb), and
//! is refused until a network asks for it.

/// IANA names of the zones a network may choose, with their offset from UTC in minutes.
pub const TIME_ZONES: &[(&str, i32)] = &[
    ("Asia/Tokyo", 9 * 60),
    ("Asia/Seoul", 9 * 60),
    ("Asia/Shanghai", 8 * 60),
    ("Asia/Taipei", 8 * 60),
    ("Asia/Hong_Kong", 8 * 60),
    ("Asia/Singapore", 8 * 60),
    ("Asia/Manila", 8 * 60),
    ("Asia/Bangkok", 7 * 60),
    ("Asia/Jakarta", 7 * 60),
    ("Asia/Ho_Chi_Minh", 7 * 60),
    ("Asia/Kolkata", 5 * 60 + 30),
    ("Asia/Dubai", 4 * 60),
    ("UTC", 0),
];

pub const DEFAULT_TIME_ZONE: &str = "Asia/Tokyo";

/// The offset of a supported zone, in minutes east of UTC.
pub fn offset_minutes(zone: &str) -> Option<i32> {
    TIME_ZONES
        .iter()
        .find(|(name, _)| *name == zone)
        .map(|(_, minutes)| *minutes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokyo_is_nine_hours_ahead_and_unknown_zones_have_no_offset() {
        assert_eq!(offset_minutes("Asia/Tokyo"), Some(540));
        assert_eq!(offset_minutes("Asia/Kolkata"), Some(330));
        assert_eq!(
            offset_minutes("Europe/London"),
            None,
            "daylight saving: not offered"
        );
        assert_eq!(offset_minutes(DEFAULT_TIME_ZONE), Some(540));
    }
}
