//! Calendar files (RFC 5545) for an event: one VEVENT with the network's time zone (a VTIMEZONE
//! of one fixed offset: the zones offered have no daylight saving), a UID that stays the same
//! across changes, and a SEQUENCE raised on every change, so calendar apps update the entry they
//! already have. A cancelled event is sent with `METHOD:CANCEL` and `STATUS:CANCELLED`.

use std::fmt::Write as _;

use time::{OffsetDateTime, UtcOffset};

/// What the file says about the event.
pub struct CalendarEvent<'a> {
    /// Stable for the event's life: `<event id>@<network host>`.
    pub uid: String,
    pub sequence: i32,
    pub title: &'a str,
    /// Plain text.
    pub description: &'a str,
    pub location: &'a str,
    pub url: &'a str,
    pub starts_at: OffsetDateTime,
    pub ends_at: OffsetDateTime,
    /// When the event last changed (DTSTAMP of a METHOD:REQUEST / CANCEL is the change's time).
    pub stamp: OffsetDateTime,
    pub time_zone: &'a str,
    pub offset: UtcOffset,
    pub organizer_name: &'a str,
    pub cancelled: bool,
}

/// Why the file is sent: for download or a calendar subscription (PUBLISH), as an invitation
/// update by email (REQUEST), or to withdraw it (CANCEL).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Publish,
    Request,
    Cancel,
}

impl Method {
    fn as_str(self) -> &'static str {
        match self {
            Method::Publish => "PUBLISH",
            Method::Request => "REQUEST",
            Method::Cancel => "CANCEL",
        }
    }
}

/// The whole `.ics` file, CRLF line endings, lines folded at 75 octets.
pub fn calendar(event: &CalendarEvent<'_>, method: Method) -> String {
    let mut lines: Vec<String> = Vec::new();
    let mut push = |line: String| lines.push(line);
    push("BEGIN:VCALENDAR".into());
    push("VERSION:2.0".into());
    push("PRODID:-//Tsunagu//Events//EN".into());
    push("CALSCALE:GREGORIAN".into());
    push(format!("METHOD:{}", method.as_str()));
    push("BEGIN:VTIMEZONE".into());
    push(format!("TZID:{}", event.time_zone));
    push("BEGIN:STANDARD".into());
    push("DTSTART:19700101T000000".into());
    push(format!("TZOFFSETFROM:{}", offset(event.offset)));
    push(format!("TZOFFSETTO:{}", offset(event.offset)));
    push(format!("TZNAME:{}", zone_abbreviation(event.offset)));
    push("END:STANDARD".into());
    push("END:VTIMEZONE".into());
    push("BEGIN:VEVENT".into());
    push(format!("UID:{}", escape(&event.uid)));
    push(format!("SEQUENCE:{}", event.sequence));
    push(format!("DTSTAMP:{}", utc(event.stamp)));
    push(format!(
        "DTSTART;TZID={}:{}",
        event.time_zone,
        local(event.starts_at, event.offset)
    ));
    push(format!(
        "DTEND;TZID={}:{}",
        event.time_zone,
        local(event.ends_at, event.offset)
    ));
    push(format!("SUMMARY:{}", escape(event.title)));
    if !event.description.is_empty() {
        push(format!("DESCRIPTION:{}", escape(event.description)));
    }
    if !event.location.is_empty() {
        push(format!("LOCATION:{}", escape(event.location)));
    }
    if !event.url.is_empty() {
        push(format!("URL:{}", event.url));
    }
    push(format!(
        "ORGANIZER;CN={}:mailto:no-reply@tsunagu.invalid",
        quote_param(event.organizer_name)
    ));
    push(format!(
        "STATUS:{}",
        if event.cancelled || method == Method::Cancel {
            "CANCELLED"
        } else {
            "CONFIRMED"
        }
    ));
    push("END:VEVENT".into());
    push("END:VCALENDAR".into());
    let mut out = String::new();
    for line in lines {
        fold(&line, &mut out);
    }
    out
}

fn utc(at: OffsetDateTime) -> String {
    let at = at.to_offset(UtcOffset::UTC);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

fn local(at: OffsetDateTime, offset: UtcOffset) -> String {
    let at = at.to_offset(offset);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

fn offset(offset: UtcOffset) -> String {
    let (hours, minutes, _) = offset.as_hms();
    let sign = if offset.is_negative() { '-' } else { '+' };
    format!("{sign}{:02}{:02}", hours.abs(), minutes.abs())
}

fn zone_abbreviation(offset: UtcOffset) -> String {
    match offset.whole_minutes() {
        540 => "JST".into(),
        0 => "UTC".into(),
        _ => format!("UTC{}", self::offset(offset)),
    }
}

/// TEXT escaping (RFC 5545 3.3.11): backslash, semicolon, comma, newline.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// A parameter value: quoted, without the characters a quoted value cannot hold.
fn quote_param(text: &str) -> String {
    let clean: String = text
        .chars()
        .filter(|c| *c != '"' && !c.is_control())
        .collect();
    format!("\"{clean}\"")
}

/// Writes `line` folded into pieces of at most 75 octets (never inside a UTF-8 character), each
/// ended by CRLF, continuation lines starting with a space.
fn fold(line: &str, out: &mut String) {
    let mut width = 0;
    for c in line.chars() {
        let len = c.len_utf8();
        if width + len > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += len;
    }
    let _ = out.write_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{datetime, offset};

    fn sample(title: &str) -> CalendarEvent<'_> {
        CalendarEvent {
            uid: "0190-1@demo.example".into(),
            sequence: 2,
            title,
            description: "一行目\n二行目, with a comma; and a semicolon",
            location: "東京都千代田区丸の内1-1",
            url: "https://demo.example/events/0190-1",
            starts_at: datetime!(2027-01-15 10:00 UTC),
            ends_at: datetime!(2027-01-15 12:00 UTC),
            stamp: datetime!(2026-12-04 09:30:15 UTC),
            time_zone: "Asia/Tokyo",
            offset: offset!(+9),
            organizer_name: "事務局 \"花子\"",
            cancelled: false,
        }
    }

    #[test]
    fn times_are_local_to_the_zone_and_text_is_escaped() {
        let text = calendar(&sample("新年会"), Method::Publish);
        assert!(text.contains("DTSTART;TZID=Asia/Tokyo:20270115T190000\r\n"));
        assert!(text.contains("DTEND;TZID=Asia/Tokyo:20270115T210000\r\n"));
        assert!(text.contains("DTSTAMP:20261204T093015Z\r\n"));
        assert!(text.contains("TZOFFSETTO:+0900\r\n"));
        assert!(text.contains("SEQUENCE:2\r\n"));
        assert!(text.contains("DESCRIPTION:一行目\\n二行目\\, with a comma\\; and a semicolon"));
        assert!(text.contains("ORGANIZER;CN=\"事務局 花子\":"));
        assert!(text.ends_with("END:VCALENDAR\r\n"));
        assert!(
            !text.replace("\r\n", "").contains('\n'),
            "only CRLF line ends"
        );
    }

    #[test]
    fn long_lines_fold_at_75_octets_without_splitting_a_character() {
        let title = "とても長いイベントの名前".repeat(10);
        let text = calendar(&sample(&title), Method::Cancel);
        for line in text.split("\r\n") {
            assert!(line.len() <= 75, "{} octets: {line}", line.len());
        }
        let unfolded = text.replace("\r\n ", "");
        assert!(unfolded.contains(&format!("SUMMARY:{title}\r\n")));
        assert!(text.contains("METHOD:CANCEL\r\n"));
        assert!(text.contains("STATUS:CANCELLED\r\n"));
    }
}
