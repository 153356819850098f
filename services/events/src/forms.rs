//! The event form and the RSVP form: what they accept and the message for what they refuse.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tsunagu_web::dates::{self, Zone};
use tsunagu_web::forms::{text, FieldErrors};

use crate::queries::{Event, EventAudience, EventFields, EventFormat, RsvpStatus};
use tsunagu_surveys::segments::queries::SegmentId;

/// The most places an event may offer.
pub const MAX_CAPACITY: i32 = 100_000;
/// The most guests a member may bring (the network sets the event's own limit, 0 to this).
pub const MAX_GUESTS: i32 = 3;

/// The create / edit form as sent (strings, so a wrong value comes back as typed).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct EventForm {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub starts_at: String,
    #[serde(default)]
    pub ends_at: String,
    #[serde(default)]
    pub format: String,
    #[serde(default)]
    pub venue_name: String,
    #[serde(default)]
    pub venue_address: String,
    #[serde(default)]
    pub join_url: String,
    #[serde(default)]
    pub capacity: String,
    #[serde(default)]
    pub guests_allowed: String,
    #[serde(default)]
    pub rsvp_deadline: String,
    #[serde(default)]
    pub audience: String,
}

impl EventForm {
    /// A new event's form: offline, everyone, no guests.
    pub fn blank() -> Self {
        Self {
            format: EventFormat::Offline.as_str().into(),
            audience: EventAudience::Everyone.as_str().into(),
            guests_allowed: "0".into(),
            ..Self::default()
        }
    }

    /// The form of an existing event, for editing.
    pub fn of(event: &Event, zone: Zone) -> Self {
        Self {
            title: event.title.clone(),
            // Shown as stored (sanitised HTML), as the article editor does; saved through the
            // same sanitiser again.
            description: event.description_html.clone(),
            starts_at: dates::input_value(event.starts_at, zone),
            ends_at: dates::input_value(event.ends_at, zone),
            format: event.format.as_str().into(),
            venue_name: event.venue_name.clone(),
            venue_address: event.venue_address.clone(),
            join_url: event.join_url.clone(),
            capacity: event.capacity.map(|c| c.to_string()).unwrap_or_default(),
            guests_allowed: event.guests_allowed.to_string(),
            rsvp_deadline: event
                .rsvp_deadline
                .map(|d| dates::input_value(d, zone))
                .unwrap_or_default(),
            audience: audience_value(event.audience, event.audience_segment_id),
        }
    }

    /// The checked fields, or every problem by field. `now` refuses a start in the past for a
    /// new event (an edit may keep a past start: the event happened).
    pub fn validate(
        &self,
        zone: Zone,
        now: OffsetDateTime,
        is_new: bool,
    ) -> Result<EventFields, FieldErrors> {
        let mut errors = FieldErrors::new();
        let title = text(&self.title, 1, 200)
            .map_err(|e| errors.insert("title", e))
            .ok();
        let description = text(&self.description, 0, 10_000)
            .map_err(|e| errors.insert("description", e))
            .ok();
        let starts_at = dates::parse_input(&self.starts_at, zone);
        if starts_at.is_none() {
            errors.insert("starts_at", "errors.event.date_required");
        }
        let ends_at = dates::parse_input(&self.ends_at, zone);
        if ends_at.is_none() {
            errors.insert("ends_at", "errors.event.date_required");
        }
        if let (Some(start), Some(end)) = (starts_at, ends_at) {
            if end <= start {
                errors.insert("ends_at", "errors.event.ends_before_start");
            }
            if is_new && start < now {
                errors.insert("starts_at", "errors.event.starts_in_past");
            }
        }
        let format = EventFormat::parse(&self.format);
        if format.is_none() {
            errors.insert("format", "errors.event.format");
        }
        let venue_name = text(&self.venue_name, 0, 200)
            .map_err(|e| errors.insert("venue_name", e))
            .ok();
        let venue_address = text(&self.venue_address, 0, 300)
            .map_err(|e| errors.insert("venue_address", e))
            .ok();
        let join_url = self.join_url.trim().to_owned();
        let offline = matches!(format, Some(EventFormat::Offline | EventFormat::Hybrid));
        let online = matches!(format, Some(EventFormat::Online | EventFormat::Hybrid));
        if offline && venue_name.as_deref().is_some_and(str::is_empty) {
            errors.insert("venue_name", "errors.event.venue_required");
        }
        if online && join_url.is_empty() {
            errors.insert("join_url", "errors.event.join_url_required");
        } else if !join_url.is_empty()
            && (!(join_url.starts_with("https://") || join_url.starts_with("http://"))
                || join_url.chars().count() > 500
                || join_url.contains(char::is_whitespace))
        {
            errors.insert("join_url", "errors.event.join_url");
        }
        let capacity = match self.capacity.trim() {
            "" => Some(None),
            raw => match raw.parse::<i32>() {
                Ok(n) if (1..=MAX_CAPACITY).contains(&n) => Some(Some(n)),
                _ => {
                    errors.insert("capacity", "errors.event.capacity");
                    None
                }
            },
        };
        let guests_allowed = match self.guests_allowed.trim() {
            "" => Some(0),
            raw => match raw.parse::<i32>() {
                Ok(n) if (0..=MAX_GUESTS).contains(&n) => Some(n),
                _ => {
                    errors.insert("guests_allowed", "errors.event.guests_allowed");
                    None
                }
            },
        };
        let rsvp_deadline = match self.rsvp_deadline.trim() {
            "" => Some(None),
            raw => match dates::parse_input(raw, zone) {
                Some(deadline) if ends_at.is_none_or(|end| deadline <= end) => Some(Some(deadline)),
                Some(_) => {
                    errors.insert("rsvp_deadline", "errors.event.deadline_after_end");
                    None
                }
                None => {
                    errors.insert("rsvp_deadline", "errors.event.date_required");
                    None
                }
            },
        };
        let audience = parse_audience(self.audience.trim());
        if audience.is_none() {
            errors.insert("audience", "errors.event.audience");
        }
        match (
            title,
            description,
            starts_at,
            ends_at,
            format,
            venue_name,
            venue_address,
            capacity,
            guests_allowed,
            rsvp_deadline,
            audience,
        ) {
            (
                Some(title),
                Some(description),
                Some(starts_at),
                Some(ends_at),
                Some(format),
                Some(venue_name),
                Some(venue_address),
                Some(capacity),
                Some(guests_allowed),
                Some(rsvp_deadline),
                Some(audience),
            ) if errors.is_empty() => Ok(EventFields {
                title,
                description_html: text_to_html(&description),
                starts_at,
                ends_at,
                venue_name: if offline { venue_name } else { String::new() },
                venue_address: if offline {
                    venue_address
                } else {
                    String::new()
                },
                join_url: if online { join_url } else { String::new() },
                format,
                capacity,
                guests_allowed,
                rsvp_deadline,
                audience: audience.0,
                audience_segment: audience.1,
            }),
            _ => Err(errors),
        }
    }
}

/// The audience as the form's select names it: `everyone`, `alumni`, `employees`, or
/// `segment:<id>` for a saved segment.
pub fn audience_value(audience: EventAudience, segment: Option<SegmentId>) -> String {
    match segment {
        Some(id) if audience == EventAudience::Segment => format!("segment:{id}"),
        _ => audience.as_str().to_owned(),
    }
}

/// The segment a form's audience names, if it names one.
pub fn audience_segment(value: &str) -> Option<SegmentId> {
    parse_audience(value.trim()).and_then(|(_, segment)| segment)
}

fn parse_audience(value: &str) -> Option<(EventAudience, Option<SegmentId>)> {
    match value.strip_prefix("segment:") {
        Some(id) => Some((EventAudience::Segment, Some(id.parse().ok()?))),
        None => EventAudience::parse(value)
            .filter(|a| *a != EventAudience::Segment)
            .map(|a| (a, None)),
    }
}

/// The description: plain text (paragraphs separated by a blank line) or the articles' HTML,
/// kept as sanitised HTML either way (`community::articles::forms::sanitize_body`).
fn text_to_html(text: &str) -> String {
    tsunagu_community::articles::forms::sanitize_body(text)
}

/// The RSVP form.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RsvpForm {
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub guests: String,
    #[serde(default)]
    pub guest_names: String,
}

impl RsvpForm {
    /// The answer, or the message why not.
    pub fn validate(
        &self,
        event: &Event,
        now: OffsetDateTime,
    ) -> Result<(RsvpStatus, i32, String), &'static str> {
        let status = match RsvpStatus::parse(&self.status) {
            Some(RsvpStatus::Waitlisted) | None => return Err("errors.event.rsvp_status"),
            Some(status) => status,
        };
        if event.rsvp_deadline.is_some_and(|d| now > d) || now > event.ends_at {
            return Err("errors.event.rsvp_closed");
        }
        let guests = match self.guests.trim() {
            "" => 0,
            raw => raw.parse::<i32>().map_err(|_| "errors.event.guests")?,
        };
        if guests < 0 || guests > event.guests_allowed {
            return Err("errors.event.guests");
        }
        let names = text(&self.guest_names, 0, 500).map_err(|_| "errors.event.guest_names")?;
        Ok((status, guests, names))
    }
}
