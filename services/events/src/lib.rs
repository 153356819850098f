//! Events and reunions (イベント・同窓会): offline, online or both, with places, a waitlist that
//! moves up by itself, guests, an answer deadline and an audience. The secretariat creates
//! events; members too where the network allows it (tenant-config `members_may_create_events`),
//! held for approval where it asks (`member_events_need_approval`). Members answer going /
//! interested / not going (htmx in place, plain posts work too); a full event puts "going" on the
//! waitlist and the first in line is promoted, with an email, when a place frees. The online join
//! URL is shown only to confirmed attendees. Each event has a calendar file (`calendar.ics`), and
//! its organisers an attendee list with check-in and a CSV export. See docs/EVENTS.md.

pub mod activity;
pub mod forms;
pub mod ics;
pub mod jobs;
pub mod queries;

mod manage;
mod organisers;

pub use manage::*;
pub use organisers::*;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Form;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tsunagu_authz::Permission;
use tsunagu_kernel::MemberId;
use tsunagu_web::csrf::FormToken;
use tsunagu_web::csv::Csv;
use tsunagu_web::dates;
use tsunagu_web::forms::{render_page, FieldErrors};
use tsunagu_web::{AppError, AppState, Authorized, Page, WebTx};

use forms::{EventForm, RsvpForm};
use queries::{Event, EventAudience, EventFormat, EventId, EventStatus, Listing, RsvpStatus};
use tsunagu_community::media::{MediaKind, MediaStore};

pub const TEMPLATES: &[tsunagu_web::templates::EmbeddedTemplate] = tsunagu_web::templates![
    "events/index.html",
    "events/form.html",
    "events/show.html",
    "events/_rsvp.html",
    "events/attendees.html"
];

/// Events a list page shows at most.
const LIST_LIMIT: i64 = 100;
/// Confirmed attendees named on the event page at most.
const NAMES_SHOWN: i64 = 60;
/// Comments the event page shows (the newest).
const COMMENTS_SHOWN: i64 = 100;
/// Characters in one comment.
pub const MAX_COMMENT_CHARS: usize = 2000;

pub fn routes() -> tsunagu_web::routes::Routes {
    use tsunagu_authz::Permission::*;
    tsunagu_web::routes::Routes::new()
        .member("/events", ViewEvents, get(list_events))
        .member("/events", CreateEvents, post(create_event))
        .member("/events/new", CreateEvents, get(new_event))
        .member("/events/{id}", ViewEvents, get(show_event))
        // An organiser's tools (checked in `organised`), or the secretariat's.
        .member(
            "/events/{id}/edit",
            ViewEvents,
            get(edit_event).post(update_event),
        )
        .member("/events/{id}/cancel", ViewEvents, post(cancel_event))
        .member("/events/{id}/attendees", ViewEvents, get(attendees_page))
        .member("/events/{id}/attendees.csv", ViewEvents, get(attendees_csv))
        .member(
            "/events/{id}/attendees/{member}/check-in",
            ViewEvents,
            post(check_in),
        )
        .member("/events/{id}/approve", ManageEvents, post(approve_event))
        .member("/events/{id}/survey", ViewEvents, post(send_survey))
        .member("/events/{id}/rsvp", ViewEvents, post(rsvp))
        .member("/events/{id}/comments", ViewEvents, post(add_comment))
        .member(
            "/events/{id}/comments/{comment}/delete",
            ViewEvents,
            post(delete_comment),
        )
        .member("/events/{id}/calendar.ics", ViewEvents, get(calendar_file))
        .member(
            "/events/{id}/cover",
            ViewEvents,
            post(upload_cover).layer(axum::extract::DefaultBodyLimit::max(
                tsunagu_web::csrf::MAX_MULTIPART_BYTES,
            )),
        )
        .member("/events/{id}/cover/delete", ViewEvents, post(remove_cover))
        .member("/media/events/{id}", ViewEvents, get(show_cover))
        .member(
            "/events/{id}/organisers/{member}",
            ViewEvents,
            post(set_organiser),
        )
}

// ---- views -------------------------------------------------------------------------------

#[derive(Serialize)]
struct EventView {
    id: String,
    title: String,
    description_html: String,
    status: &'static str,
    format: &'static str,
    audience: &'static str,
    /// The segment's name, when the audience is one.
    audience_segment_name: Option<String>,
    date_label: String,
    time_label: String,
    starts_iso: String,
    ends_iso: String,
    venue_name: String,
    venue_address: String,
    map_url: Option<String>,
    /// Only for confirmed attendees and organisers.
    join_url: Option<String>,
    capacity: Option<i32>,
    places_left: Option<i64>,
    places_taken: i64,
    waitlisted: i64,
    interested: i64,
    guests_allowed: i32,
    deadline_label: Option<String>,
    rsvp_open: bool,
    past: bool,
    organiser: bool,
    organiser_name: String,
    member_started: bool,
    my_status: Option<&'static str>,
    my_guests: i32,
    my_guest_names: String,
    my_checked_in: bool,
    /// The cover's version (its key) for the image URL, when there is one.
    cover: Option<String>,
    /// Joined in the template with the language's list separator.
    co_organisers: Vec<String>,
}

fn view(event: &Event, page: &Page, now: OffsetDateTime, can_manage: bool) -> EventView {
    let zone = page.zone();
    let organiser = event.organiser || can_manage;
    let starts_local = dates::date(event.starts_at, page.lang, zone);
    let ends_same_day = dates::date(event.ends_at, page.lang, zone) == starts_local;
    let time_label = format!(
        "{} – {}",
        dates::datetime(event.starts_at, page.lang, zone),
        if ends_same_day {
            dates::time_of_day(event.ends_at, zone)
        } else {
            dates::datetime(event.ends_at, page.lang, zone)
        }
    );
    let offline = event.format != EventFormat::Online;
    EventView {
        id: event.id.to_string(),
        title: event.title.clone(),
        description_html: event.description_html.clone(),
        status: event.status.as_str(),
        format: event.format.as_str(),
        audience: event.audience.as_str(),
        audience_segment_name: event.audience_segment_name.clone(),
        date_label: starts_local,
        time_label,
        starts_iso: dates::iso(event.starts_at),
        ends_iso: dates::iso(event.ends_at),
        venue_name: event.venue_name.clone(),
        venue_address: event.venue_address.clone(),
        map_url: (offline && !(event.venue_address.is_empty() && event.venue_name.is_empty()))
            .then(|| map_url(&event.venue_name, &event.venue_address)),
        join_url: (event.format != EventFormat::Offline
            && !event.join_url.is_empty()
            && (event.confirmed() || organiser))
            .then(|| event.join_url.clone()),
        capacity: event.capacity,
        places_left: event.places_left(),
        places_taken: event.places_taken,
        waitlisted: event.waitlisted,
        interested: event.interested,
        guests_allowed: event.guests_allowed,
        deadline_label: event
            .rsvp_deadline
            .map(|d| dates::datetime(d, page.lang, zone)),
        rsvp_open: event.status == EventStatus::Published
            && now <= event.ends_at
            && event.rsvp_deadline.is_none_or(|d| now <= d),
        past: event.ends_at < now,
        organiser,
        organiser_name: event.created_by_name.clone(),
        member_started: event.member_started,
        my_status: event.my_status.map(RsvpStatus::as_str),
        my_guests: event.my_guests.unwrap_or(0),
        my_guest_names: event.my_guest_names.clone().unwrap_or_default(),
        my_checked_in: event.my_checked_in,
        cover: event.cover_key.clone(),
        co_organisers: event.co_organisers.clone().unwrap_or_default(),
    }
}

/// A map search for the venue (no API key, opens in the member's map app on a phone).
fn map_url(name: &str, address: &str) -> String {
    let query = if address.is_empty() {
        name.to_owned()
    } else {
        format!("{name} {address}")
    };
    format!(
        "https://www.google.com/maps/search/?api=1&query={}",
        percent_encode(query.trim())
    )
}

fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

// ---- access ------------------------------------------------------------------------------

/// May this member see the event at all? Published and cancelled events whose audience includes
/// them; pending ones only for their organisers and the secretariat.
fn visible(event: &Event, member: &Authorized, can_manage: bool) -> bool {
    if event.organiser || can_manage {
        return true;
    }
    event.status != EventStatus::Pending
        && (event.audience.includes(member.data.kind) || event.in_audience_segment)
}

/// The event as this member may see it, in `tx`, with whether they may manage every event.
async fn load(
    state: &AppState,
    member: &Authorized,
    tx: &mut WebTx,
    id: EventId,
) -> Result<(Event, bool), AppError> {
    let can_manage = member.may(state, Permission::ManageEvents).await;
    let event = queries::find(tx, id, member.id())
        .await?
        .filter(|e| visible(e, member, can_manage))
        .ok_or(AppError::NotFound)?;
    Ok((event, can_manage))
}

/// As [`load`], and only for the event's organisers and the secretariat (others: 403).
async fn organised(
    state: &AppState,
    member: &Authorized,
    tx: &mut WebTx,
    id: EventId,
) -> Result<Event, AppError> {
    let (event, can_manage) = load(state, member, tx, id).await?;
    if event.organiser || can_manage {
        Ok(event)
    } else {
        Err(AppError::Forbidden)
    }
}

// ---- telling members -----------------------------------------------------------------------

/// What to tell members about an event: `kind` names the notification and the email
/// (`email.<kind>`); `calendar` is attached to the email.
#[derive(Clone)]
struct Tell<'a> {
    kind: &'static str,
    title: &'a str,
    path: &'a str,
    calendar: Option<String>,
}

/// Tells `members` (never the actor) in the app and by email (the "events" consent category).
async fn tell(
    state: &AppState,
    member: &Authorized,
    tx: &mut WebTx,
    members: &[MemberId],
    what: &Tell<'_>,
) -> Result<(), AppError> {
    let members: Vec<MemberId> = members
        .iter()
        .copied()
        .filter(|m| *m != member.id())
        .collect();
    if members.is_empty() {
        return Ok(());
    }
    tsunagu_community::notifications::notify(
        tx,
        &members,
        what.kind,
        Some(member.id()),
        what.title,
        what.path,
    )
    .await?;
    tsunagu_identity::email::send_to_consenting(
        tx,
        &state.web,
        &state.config,
        &member.tenant,
        tsunagu_tenancy::EmailCategory::Events,
        &members,
        &tsunagu_identity::email::ConsentEmail {
            kind: what.kind,
            args: vec![("title", what.title.to_owned())],
            action_url: Some(format!(
                "{}{}",
                state.config.tenant_origin(&member.tenant.slug),
                what.path
            )),
            calendar: what.calendar.clone(),
        },
    )
    .await?;
    Ok(())
}

// ---- the event page and answers ----------------------------------------------------------

pub async fn show_event(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
    Path(id): Path<EventId>,
) -> Result<Response, AppError> {
    render_event(&state, &member, &page, id, None, StatusCode::OK).await
}

#[derive(Serialize)]
struct CommentView {
    id: String,
    author_id: String,
    author_name: String,
    mine: bool,
    paragraphs: Vec<Vec<tsunagu_community::view::Segment>>,
    created_label: String,
    created_iso: String,
}

async fn render_event(
    state: &AppState,
    member: &Authorized,
    page: &Page,
    id: EventId,
    rsvp_error: Option<&str>,
    status: StatusCode,
) -> Result<Response, AppError> {
    render_event_page(state, member, page, id, rsvp_error, None, status).await
}

/// The event page; `comment` is a refused comment (its text and why) shown in its form.
async fn render_event_page(
    state: &AppState,
    member: &Authorized,
    page: &Page,
    id: EventId,
    rsvp_error: Option<&str>,
    comment: Option<(&str, &str)>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let (comment_body, comment_error) = match comment {
        Some((body, error)) => (Some(body), Some(error)),
        None => (None, None),
    };
    let mut tx = member.begin(state).await?;
    let (event, can_manage) = load(state, member, &mut tx, id).await?;
    let going = queries::going_names(&mut tx, id, NAMES_SHOWN).await?;
    let comments = queries::comments(&mut tx, id, COMMENTS_SHOWN).await?;
    tx.commit().await?;
    let comments: Vec<CommentView> = comments
        .into_iter()
        .map(|c| CommentView {
            id: c.id.to_string(),
            author_id: c.author_id.to_string(),
            mine: c.author_id == member.id(),
            author_name: c.author_name,
            paragraphs: tsunagu_community::view::linkify(&c.body),
            created_label: dates::datetime(c.created_at, page.lang, page.zone()),
            created_iso: dates::iso(c.created_at),
        })
        .collect();
    let v = view(&event, page, OffsetDateTime::now_utc(), can_manage);
    let going: Vec<(String, String)> = going
        .into_iter()
        .map(|(id, name)| (id.to_string(), name))
        .collect();
    render_page(state, page, "events/show.html", status, |c| {
        c.insert("event", &v);
        c.insert("going", &going);
        c.insert("can_manage", &can_manage);
        c.insert("rsvp_error", &rsvp_error.unwrap_or(""));
        c.insert("comments", &comments);
        c.insert("comment_error", &comment_error.unwrap_or(""));
        c.insert("comment_body", comment_body.unwrap_or(""));
        c.insert("max_comment_chars", &MAX_COMMENT_CHARS);
    })
}

pub async fn rsvp(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
    headers: HeaderMap,
    Path(id): Path<EventId>,
    Form(form): Form<RsvpForm>,
) -> Result<Response, AppError> {
    if member.support().is_some() {
        // Platform staff help organise events; they do not attend them.
        return Err(AppError::Forbidden);
    }
    let mut tx = member.begin(&state).await?;
    let (event, can_manage) = load(&state, &member, &mut tx, id).await?;
    let now = OffsetDateTime::now_utc();
    let answer = if event.status != EventStatus::Published {
        Err("errors.event.not_open")
    } else {
        form.validate(&event, now)
    };
    let (wanted, guests, names) = match answer {
        Ok(answer) => answer,
        Err(message) => {
            tx.rollback().await?;
            return if tsunagu_community::view::is_htmx(&headers) {
                let v = view(&event, &page, now, can_manage);
                render_page(
                    &state,
                    &page,
                    "events/_rsvp.html",
                    StatusCode::UNPROCESSABLE_ENTITY,
                    |c| {
                        c.insert("event", &v);
                        c.insert("rsvp_error", message);
                    },
                )
            } else {
                render_event(
                    &state,
                    &member,
                    &page,
                    id,
                    Some(message),
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await
            };
        }
    };
    let outcome = queries::answer(&mut tx, id, member.id(), wanted, guests, &names).await?;
    let url = format!("/events/{id}");
    if !outcome.promoted.is_empty() {
        let invitation = calendar_text(&state, &member, &event, true, ics::Method::Request);
        tell(
            &state,
            &member,
            &mut tx,
            &outcome.promoted,
            &Tell {
                kind: "event_promoted",
                title: &event.title,
                path: &url,
                calendar: Some(invitation),
            },
        )
        .await?;
    }
    if outcome.status == RsvpStatus::Going && event.my_status != Some(RsvpStatus::Going) {
        confirm(&state, &member, &mut tx, &event).await?;
    }
    tx.commit().await?;
    if tsunagu_community::view::is_htmx(&headers) {
        let mut tx = member.begin(&state).await?;
        let (event, can_manage) = load(&state, &member, &mut tx, id).await?;
        tx.commit().await?;
        let v = view(&event, &page, OffsetDateTime::now_utc(), can_manage);
        render_page(&state, &page, "events/_rsvp.html", StatusCode::OK, |c| {
            c.insert("event", &v);
            c.insert("rsvp_error", "");
        })
    } else {
        let notice = format!("rsvp_{}", outcome.status.as_str());
        Ok(Redirect::to(&format!("{url}?notice={notice}#rsvp")).into_response())
    }
}

/// The member's confirmation email (the "events" category): when and where, the join URL of an
/// online event, and the calendar file's address.
async fn confirm(
    state: &AppState,
    member: &Authorized,
    tx: &mut WebTx,
    event: &Event,
) -> Result<(), AppError> {
    let origin = state.config.tenant_origin(&member.tenant.slug);
    let zone = dates::Zone::of(&member.tenant);
    let lang =
        tsunagu_identity::email::member_locale(member.data.locale.as_deref(), &member.tenant);
    let when = dates::datetime(event.starts_at, lang, zone);
    let place = match event.format {
        EventFormat::Offline => format!("{} {}", event.venue_name, event.venue_address),
        EventFormat::Online => event.join_url.clone(),
        EventFormat::Hybrid => format!(
            "{} {} / {}",
            event.venue_name, event.venue_address, event.join_url
        ),
    };
    tsunagu_identity::email::send_to_consenting(
        tx,
        &state.web,
        &state.config,
        &member.tenant,
        tsunagu_tenancy::EmailCategory::Events,
        &[member.id()],
        &tsunagu_identity::email::ConsentEmail {
            kind: "event_confirmed",
            args: vec![
                ("title", event.title.clone()),
                ("when", when),
                ("place", place.trim().to_owned()),
                (
                    "calendar",
                    format!("{origin}/events/{}/calendar.ics", event.id),
                ),
            ],
            action_url: Some(format!("{origin}/events/{}", event.id)),
            calendar: Some(calendar_text(
                state,
                member,
                event,
                true,
                ics::Method::Request,
            )),
        },
    )
    .await?;
    Ok(())
}

pub async fn cancel_event(
    State(state): State<AppState>,
    member: Authorized,
    Path(id): Path<EventId>,
) -> Result<Response, AppError> {
    let mut tx = member.begin(&state).await?;
    let event = organised(&state, &member, &mut tx, id).await?;
    if event.status == EventStatus::Cancelled {
        tx.rollback().await?;
        return Ok(Redirect::to(&format!("/events/{id}")).into_response());
    }
    let holders = queries::cancel(&mut tx, id).await?;
    let cancelled = queries::find(&mut tx, id, member.id())
        .await?
        .ok_or(AppError::NotFound)?;
    let url = format!("/events/{id}");
    tell(
        &state,
        &member,
        &mut tx,
        &holders,
        &Tell {
            kind: "event_cancelled",
            title: &event.title,
            path: &url,
            // Removes the entry from the calendars it was added to.
            calendar: Some(calendar_text(
                &state,
                &member,
                &cancelled,
                false,
                ics::Method::Cancel,
            )),
        },
    )
    .await?;
    tsunagu_kernel::audit::record(
        &mut tx,
        "event.cancelled",
        "event",
        Some(id.as_uuid()),
        serde_json::json!({ "title": event.title, "told": holders.len() }),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("{url}?notice=event_cancelled")).into_response())
}

pub async fn approve_event(
    State(state): State<AppState>,
    member: Authorized,
    Path(id): Path<EventId>,
) -> Result<Response, AppError> {
    let mut tx = member.begin(&state).await?;
    let (event, _) = load(&state, &member, &mut tx, id).await?;
    if !queries::approve(&mut tx, id).await? {
        tx.rollback().await?;
        return Ok(Redirect::to(&format!("/events/{id}")).into_response());
    }
    tsunagu_community::notifications::notify(
        &mut tx,
        &[event.created_by],
        "event_approved",
        Some(member.id()),
        &event.title,
        &format!("/events/{id}"),
    )
    .await?;
    tsunagu_kernel::audit::record(
        &mut tx,
        "event.approved",
        "event",
        Some(id.as_uuid()),
        serde_json::json!({ "title": event.title }),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/events/{id}?notice=event_approved")).into_response())
}

/// `GET /events/{id}/calendar.ics`: the event for a calendar app. The join URL of an online event
/// is in it only for a confirmed attendee (or an organiser).
pub async fn calendar_file(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
    Path(id): Path<EventId>,
) -> Result<Response, AppError> {
    let mut tx = member.begin(&state).await?;
    let (event, can_manage) = load(&state, &member, &mut tx, id).await?;
    tx.commit().await?;
    let v = view(&event, &page, OffsetDateTime::now_utc(), can_manage);
    let method = if event.status == EventStatus::Cancelled {
        ics::Method::Cancel
    } else {
        ics::Method::Publish
    };
    let body = calendar_text(&state, &member, &event, v.join_url.is_some(), method);
    Ok((
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"event.ics\"",
            ),
            (header::CACHE_CONTROL, "private, no-store"),
        ],
        body,
    )
        .into_response())
}

/// The event's calendar file; the join URL only when `with_join_url` (a confirmed attendee or
/// an organiser).
fn calendar_text(
    state: &AppState,
    member: &Authorized,
    event: &Event,
    with_join_url: bool,
    method: ics::Method,
) -> String {
    let join_url = (with_join_url && !event.join_url.is_empty()).then_some(event.join_url.as_str());
    let origin = state.config.tenant_origin(&member.tenant.slug);
    let host = origin
        .split_once("://")
        .map(|(_, host)| host)
        .unwrap_or(&origin);
    let zone = dates::Zone::of(&member.tenant);
    let location = match (event.format, join_url) {
        (EventFormat::Online, Some(url)) => url.to_owned(),
        (EventFormat::Online, None) => String::new(),
        (_, _) => format!("{} {}", event.venue_name, event.venue_address)
            .trim()
            .to_owned(),
    };
    let mut description = format!("{origin}/events/{}", event.id);
    if let (EventFormat::Hybrid, Some(url)) = (event.format, join_url) {
        description = format!("{url}\n{description}");
    }
    let url = format!("{origin}/events/{}", event.id);
    let cancelled = event.status == EventStatus::Cancelled;
    ics::calendar(
        &ics::CalendarEvent {
            uid: format!("{}@{host}", event.id),
            sequence: event.sequence,
            title: &event.title,
            description: &description,
            location: &location,
            url: &url,
            starts_at: event.starts_at,
            ends_at: event.ends_at,
            stamp: event.updated_at,
            time_zone: &member.tenant.time_zone,
            offset: zone.offset(),
            organizer_name: &member.tenant.name,
            cancelled,
        },
        method,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_links_search_for_the_venue() {
        assert_eq!(
            map_url("本社", "東京都千代田区1-1"),
            "https://www.google.com/maps/search/?api=1&query=%E6%9C%AC%E7%A4%BE%20%E6%9D%B1%E4%BA%AC%E9%83%BD%E5%8D%83%E4%BB%A3%E7%94%B0%E5%8C%BA1-1"
        );
    }
}
