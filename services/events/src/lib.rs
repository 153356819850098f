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

// ---- list, create, edit ------------------------------------------------------------------

#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    show: String,
}

pub async fn list_events(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
    Query(query): Query<ListQuery>,
) -> Result<Response, AppError> {
    let listing = match query.show.as_str() {
        "past" => Listing::Past,
        "mine" => Listing::Mine,
        _ => Listing::Upcoming,
    };
    let can_manage = member.may(&state, Permission::ManageEvents).await;
    let can_create = member.may(&state, Permission::CreateEvents).await;
    let mut tx = member.begin(&state).await?;
    let rows = queries::list(
        &mut tx,
        member.id(),
        member.data.kind,
        listing,
        can_manage,
        LIST_LIMIT,
    )
    .await?;
    tx.commit().await?;
    let now = OffsetDateTime::now_utc();
    let views: Vec<EventView> = rows
        .iter()
        .map(|e| view(e, &page, now, can_manage))
        .collect();
    render_page(&state, &page, "events/index.html", StatusCode::OK, |c| {
        c.insert("events", &views);
        c.insert(
            "show",
            match listing {
                Listing::Upcoming => "upcoming",
                Listing::Past => "past",
                Listing::Mine => "mine",
            },
        );
        c.insert("can_create", &can_create);
    })
}

/// A saved segment the secretariat may pick as the audience.
#[derive(Serialize)]
struct SegmentChoice {
    value: String,
    name: String,
    survey_title: String,
}

async fn render_form(
    state: &AppState,
    member: &Authorized,
    page: &Page,
    id: Option<EventId>,
    form: &EventForm,
    errors: &FieldErrors,
    status: StatusCode,
) -> Result<Response, AppError> {
    // Segments are the secretariat's tool: only it is offered them; an organiser editing an
    // event the secretariat aimed at a segment sees (and keeps) that one.
    let mut tx = member.begin(state).await?;
    let segments = if member.may(state, Permission::ManageEvents).await {
        tsunagu_surveys::segments::queries::list_all(&mut tx).await?
    } else {
        match forms::audience_segment(&form.audience) {
            Some(id) => tsunagu_surveys::segments::queries::find(&mut tx, id)
                .await?
                .into_iter()
                .collect(),
            None => Vec::new(),
        }
    };
    tx.commit().await?;
    let segments: Vec<SegmentChoice> = segments
        .into_iter()
        .map(|g| SegmentChoice {
            value: forms::audience_value(EventAudience::Segment, Some(g.id)),
            name: g.name,
            survey_title: g.survey_title,
        })
        .collect();
    render_page(state, page, "events/form.html", status, |c| {
        c.insert("segments", &segments);
        c.insert("event_id", &id.map(|id| id.to_string()));
        c.insert("form", form);
        c.insert("errors", errors);
        c.insert(
            "formats",
            &EventFormat::ALL
                .iter()
                .map(|f| f.as_str())
                .collect::<Vec<_>>(),
        );
        c.insert(
            "audiences",
            &EventAudience::ALL
                .iter()
                .filter(|a| **a != EventAudience::Segment)
                .map(|a| a.as_str())
                .collect::<Vec<_>>(),
        );
        c.insert("max_guests", &forms::MAX_GUESTS);
        c.insert("time_zone", &page_time_zone(page));
    })
}

fn page_time_zone(page: &Page) -> String {
    match &page.site {
        tsunagu_web::Site::Tenant(tenant) => tenant.time_zone.clone(),
        _ => tsunagu_tenancy::time_zone::DEFAULT_TIME_ZONE.to_owned(),
    }
}

/// A segment audience is the secretariat's to choose (an organiser may keep the one the event
/// has), and must be one of this network's segments.
async fn refused_audience(
    tx: &mut WebTx,
    fields: &queries::EventFields,
    can_manage: bool,
    current: Option<tsunagu_surveys::segments::queries::SegmentId>,
) -> Result<Option<FieldErrors>, AppError> {
    let Some(segment) = fields.audience_segment else {
        return Ok(None);
    };
    let allowed = (can_manage || current == Some(segment))
        && tsunagu_surveys::segments::queries::find(tx, segment)
            .await?
            .is_some();
    Ok((!allowed).then(|| {
        let mut errors = FieldErrors::new();
        errors.insert("audience", "errors.event.audience");
        errors
    }))
}

pub async fn new_event(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
) -> Result<Response, AppError> {
    render_form(
        &state,
        &member,
        &page,
        None,
        &EventForm::blank(),
        &FieldErrors::new(),
        StatusCode::OK,
    )
    .await
}

pub async fn create_event(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
    form_token: FormToken,
    Form(form): Form<EventForm>,
) -> Result<Response, AppError> {
    let now = OffsetDateTime::now_utc();
    let fields = match form.validate(page.zone(), now, true) {
        Ok(fields) => fields,
        Err(errors) => {
            return render_form(
                &state,
                &member,
                &page,
                None,
                &form,
                &errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    };
    let is_secretariat = member.may(&state, Permission::ManageEvents).await;
    let held = !is_secretariat && member.tenant.features.member_events_need_approval;
    let mut tx = member.begin(&state).await?;
    if let Some(errors) = refused_audience(&mut tx, &fields, is_secretariat, None).await? {
        tx.rollback().await?;
        return render_form(
            &state,
            &member,
            &page,
            None,
            &form,
            &errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    if !form_token.claim(&mut tx, member.id()).await? {
        // The same form again (a double click, a resubmission): the first one stands.
        tx.rollback().await?;
        return Ok(Redirect::to("/events?show=mine").into_response());
    }
    let id = queries::create(
        &mut tx,
        &fields,
        member.id(),
        if held {
            EventStatus::Pending
        } else {
            EventStatus::Published
        },
        !is_secretariat,
    )
    .await?;
    tsunagu_kernel::audit::record(
        &mut tx,
        "event.created",
        "event",
        Some(id.as_uuid()),
        serde_json::json!({ "title": fields.title, "held_for_approval": held }),
    )
    .await?;
    tx.commit().await?;
    let notice = if held { "event_held" } else { "event_created" };
    Ok(Redirect::to(&format!("/events/{id}?notice={notice}")).into_response())
}

pub async fn edit_event(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
    Path(id): Path<EventId>,
) -> Result<Response, AppError> {
    let mut tx = member.begin(&state).await?;
    let event = organised(&state, &member, &mut tx, id).await?;
    tx.commit().await?;
    render_form(
        &state,
        &member,
        &page,
        Some(id),
        &EventForm::of(&event, page.zone()),
        &FieldErrors::new(),
        StatusCode::OK,
    )
    .await
}

pub async fn update_event(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
    Path(id): Path<EventId>,
    Form(form): Form<EventForm>,
) -> Result<Response, AppError> {
    let mut tx = member.begin(&state).await?;
    let event = organised(&state, &member, &mut tx, id).await?;
    if event.status == EventStatus::Cancelled {
        tx.rollback().await?;
        return Ok(
            Redirect::to(&format!("/events/{id}?notice=event_is_cancelled")).into_response(),
        );
    }
    let fields = match form.validate(page.zone(), OffsetDateTime::now_utc(), false) {
        Ok(fields) => fields,
        Err(errors) => {
            tx.rollback().await?;
            return render_form(
                &state,
                &member,
                &page,
                Some(id),
                &form,
                &errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let can_manage = member.may(&state, Permission::ManageEvents).await;
    if let Some(errors) =
        refused_audience(&mut tx, &fields, can_manage, event.audience_segment_id).await?
    {
        tx.rollback().await?;
        return render_form(
            &state,
            &member,
            &page,
            Some(id),
            &form,
            &errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let (moved, promoted) = queries::update(&mut tx, id, &fields)
        .await?
        .ok_or(AppError::NotFound)?;
    let updated = queries::find(&mut tx, id, member.id())
        .await?
        .ok_or(AppError::NotFound)?;
    // Confirmed attendees get the updated calendar entry (same UID, higher SEQUENCE) with the
    // join URL; those waiting are told without one.
    let invitation = Some(calendar_text(
        &state,
        &member,
        &updated,
        true,
        ics::Method::Request,
    ));
    let url = format!("/events/{id}");
    if moved {
        let going = queries::members_with(&mut tx, id, RsvpStatus::Going).await?;
        let waiting = queries::members_with(&mut tx, id, RsvpStatus::Waitlisted).await?;
        let going: Vec<MemberId> = going
            .into_iter()
            .filter(|m| !promoted.contains(m))
            .collect();
        let told = Tell {
            kind: "event_changed",
            title: &fields.title,
            path: &url,
            calendar: invitation.clone(),
        };
        tell(&state, &member, &mut tx, &going, &told).await?;
        tell(
            &state,
            &member,
            &mut tx,
            &waiting,
            &Tell {
                calendar: None,
                ..told
            },
        )
        .await?;
    }
    tell(
        &state,
        &member,
        &mut tx,
        &promoted,
        &Tell {
            kind: "event_promoted",
            title: &fields.title,
            path: &url,
            calendar: invitation,
        },
    )
    .await?;
    tsunagu_kernel::audit::record(
        &mut tx,
        "event.updated",
        "event",
        Some(id.as_uuid()),
        serde_json::json!({ "title": fields.title, "moved": moved }),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("{url}?notice=event_saved")).into_response())
}

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

// ---- organisers: attendees, check-in, export ---------------------------------------------

#[derive(Serialize)]
struct AttendeeView {
    member_id: String,
    name: String,
    kind: &'static str,
    status: &'static str,
    guests: i32,
    guest_names: String,
    responded_label: String,
    checked_in: bool,
    organiser: bool,
    creator: bool,
}

pub async fn attendees_page(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
    Path(id): Path<EventId>,
) -> Result<Response, AppError> {
    let mut tx = member.begin(&state).await?;
    let event = organised(&state, &member, &mut tx, id).await?;
    let rows = queries::attendees(&mut tx, id).await?;
    let survey = tsunagu_surveys::playbook::of_event(&mut tx, id.as_uuid()).await?;
    let co_organisers = queries::co_organisers(&mut tx, id).await?;
    tx.commit().await?;
    let zone = page.zone();
    let attendees: Vec<AttendeeView> = rows
        .into_iter()
        .map(|a| AttendeeView {
            member_id: a.member_id.to_string(),
            name: a.name_kanji,
            kind: a.kind.as_str(),
            status: a.status.as_str(),
            guests: a.guests,
            guest_names: a.guest_names,
            responded_label: dates::datetime(a.responded_at, page.lang, zone),
            checked_in: a.checked_in_at.is_some(),
            organiser: co_organisers.contains(&a.member_id),
            creator: a.member_id == event.created_by,
        })
        .collect();
    let came = attendees.iter().filter(|a| a.checked_in).count();
    let now = OffsetDateTime::now_utc();
    let v = view(&event, &page, now, true);
    let reads_results = member.may(&state, Permission::ManageSurveys).await;
    render_page(
        &state,
        &page,
        "events/attendees.html",
        StatusCode::OK,
        |c| {
            c.insert("event", &v);
            c.insert("attendees", &attendees);
            c.insert("came", &came);
            c.insert("can_survey", &(event.starts_at <= now));
            c.insert("reads_results", &reads_results);
            c.insert("survey_id", &survey.map(|s| s.to_string()));
        },
    )
}

/// `POST /events/{id}/survey`: the post-event survey to those who were checked in, with one
/// action by an organiser (or the secretariat). Its results live in the secretariat's survey
/// pages. Once per event; before the event has started, or with nobody checked in, nothing is
/// sent.
pub async fn send_survey(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
    Path(id): Path<EventId>,
) -> Result<Response, AppError> {
    let mut tx = member.begin(&state).await?;
    let event = organised(&state, &member, &mut tx, id).await?;
    let back = format!("/events/{id}/attendees");
    let reads_results = member.may(&state, Permission::ManageSurveys).await;
    let results = |survey: tsunagu_surveys::queries::SurveyId, notice: &str| {
        if reads_results {
            format!("/secretariat/surveys/{survey}?notice={notice}")
        } else {
            format!("{back}?notice={notice}")
        }
    };
    if let Some(survey) = tsunagu_surveys::playbook::of_event(&mut tx, id.as_uuid()).await? {
        tx.rollback().await?;
        return Ok(Redirect::to(&results(survey, "event_survey_sent")).into_response());
    }
    let came = queries::attendees(&mut tx, id)
        .await?
        .iter()
        .filter(|a| a.checked_in_at.is_some())
        .count();
    if event.starts_at > OffsetDateTime::now_utc() || came == 0 {
        tx.rollback().await?;
        return Ok(Redirect::to(&format!("{back}?notice=event_survey_too_early")).into_response());
    }
    let lang = tsunagu_web::Locale::parse(&member.tenant.default_locale).unwrap_or(page.lang);
    let (survey, asked) = tsunagu_surveys::playbook::post_event_survey(
        &mut tx,
        &state.web,
        lang,
        member.id(),
        id.as_uuid(),
        &event.title,
    )
    .await?;
    tsunagu_kernel::audit::record(
        &mut tx,
        "event.survey_sent",
        "event",
        Some(id.as_uuid()),
        serde_json::json!({ "title": event.title, "survey": survey.to_string(), "asked": asked }),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&results(survey, "event_survey_sent")).into_response())
}

#[derive(Deserialize)]
pub struct CommentForm {
    #[serde(default)]
    body: String,
}

/// `POST /events/{id}/comments`: a comment on an event the member can see (its organiser is told).
pub async fn add_comment(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
    form_token: FormToken,
    Path(id): Path<EventId>,
    Form(form): Form<CommentForm>,
) -> Result<Response, AppError> {
    let body = match tsunagu_web::forms::text(&form.body, 1, MAX_COMMENT_CHARS) {
        Ok(body) => body,
        Err(error) => {
            return render_event_page(
                &state,
                &member,
                &page,
                id,
                None,
                Some((&form.body, error)),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    };
    let mut tx = member.begin(&state).await?;
    let (event, _) = load(&state, &member, &mut tx, id).await?;
    if !form_token.claim(&mut tx, member.id()).await? {
        // The same comment sent twice (a double click): the first stands.
        tx.rollback().await?;
        return Ok(Redirect::to(&format!("/events/{id}#comments")).into_response());
    }
    let comment = queries::add_comment(&mut tx, id, member.id(), &body).await?;
    tsunagu_community::notifications::notify(
        &mut tx,
        &[event.created_by],
        "event_commented",
        Some(member.id()),
        &event.title,
        &format!("/events/{id}#comments"),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/events/{id}#c-{comment}")).into_response())
}

/// Deletes a comment: its author, or the event's organisers and the secretariat (moderation).
pub async fn delete_comment(
    State(state): State<AppState>,
    member: Authorized,
    Path((id, comment)): Path<(EventId, queries::CommentId)>,
) -> Result<Response, AppError> {
    let mut tx = member.begin(&state).await?;
    let (event, can_manage) = load(&state, &member, &mut tx, id).await?;
    let moderates = event.organiser || can_manage;
    if !queries::delete_comment(&mut tx, id, comment, member.id(), moderates).await? {
        return Err(AppError::NotFound);
    }
    tx.commit().await?;
    Ok(Redirect::to(&format!("/events/{id}#comments")).into_response())
}

/// `POST /events/{id}/cover`: an organiser sets the cover image (checked, resized, stripped of
/// metadata as every upload); the page says why when the file is refused.
pub async fn upload_cover(
    State(state): State<AppState>,
    member: Authorized,
    Path(id): Path<EventId>,
    multipart: axum::extract::Multipart,
) -> Result<Response, AppError> {
    let mut tx = member.begin(&state).await?;
    organised(&state, &member, &mut tx, id).await?;
    tx.commit().await?;
    let (_, file) = tsunagu_community::view::read_multipart(multipart, "cover").await?;
    let store = MediaStore::new(&state.config.data_dir);
    let saved = store
        .save(member.tenant.id, MediaKind::Cover, file.unwrap_or_default())
        .await
        .map_err(anyhow::Error::from)?;
    let key = match saved {
        Ok(key) => key,
        Err(refused) => {
            // Back to the page, which says why (too large in bytes or pixels, not an image) and
            // the limits; nothing changed.
            let reason = match refused {
                tsunagu_community::media::UploadError::Empty => "empty",
                tsunagu_community::media::UploadError::TooLarge => "too_large",
                tsunagu_community::media::UploadError::TooManyPixels => "too_many_pixels",
                tsunagu_community::media::UploadError::NotAnImage => "not_an_image",
            };
            return Ok(Redirect::to(&format!("/events/{id}?notice=cover_{reason}")).into_response());
        }
    };
    let mut tx = member.begin(&state).await?;
    let old = queries::set_cover(&mut tx, id, Some(&key)).await?;
    tx.commit().await?;
    if let Some(old) = old {
        store.delete(member.tenant.id, MediaKind::Cover, &old).await;
    }
    Ok(Redirect::to(&format!("/events/{id}?notice=cover_saved")).into_response())
}

pub async fn remove_cover(
    State(state): State<AppState>,
    member: Authorized,
    Path(id): Path<EventId>,
) -> Result<Response, AppError> {
    let mut tx = member.begin(&state).await?;
    organised(&state, &member, &mut tx, id).await?;
    let old = queries::set_cover(&mut tx, id, None).await?;
    tx.commit().await?;
    if let Some(old) = old {
        MediaStore::new(&state.config.data_dir)
            .delete(member.tenant.id, MediaKind::Cover, &old)
            .await;
    }
    Ok(Redirect::to(&format!("/events/{id}")).into_response())
}

/// `GET /media/events/{id}`: the cover of an event the viewer may see.
pub async fn show_cover(
    State(state): State<AppState>,
    member: Authorized,
    Path(id): Path<EventId>,
) -> Result<Response, AppError> {
    let mut tx = member.begin(&state).await?;
    let (event, _) = load(&state, &member, &mut tx, id).await?;
    tx.commit().await?;
    tsunagu_community::view::serve_image(
        &state,
        member.tenant.id,
        MediaKind::Cover,
        event.cover_key,
    )
    .await
}

#[derive(Deserialize)]
pub struct OrganiserForm {
    #[serde(default)]
    organiser: String,
}

/// `POST /events/{id}/organisers/{member}`: an organiser makes someone who answered the event a
/// co-organiser (`organiser=1`), or no longer one.
pub async fn set_organiser(
    State(state): State<AppState>,
    member: Authorized,
    Path((id, who)): Path<(EventId, MemberId)>,
    Form(form): Form<OrganiserForm>,
) -> Result<Response, AppError> {
    let mut tx = member.begin(&state).await?;
    let event = organised(&state, &member, &mut tx, id).await?;
    if who == event.created_by {
        return Err(AppError::BadRequest("the creator always organises".into()));
    }
    let make = form.organiser == "1";
    if !queries::set_organiser(&mut tx, id, who, make).await? && make {
        return Err(AppError::NotFound);
    }
    tx.commit().await?;
    Ok(Redirect::to(&format!("/events/{id}/attendees#a-{who}")).into_response())
}

#[derive(Deserialize)]
pub struct CheckInForm {
    #[serde(default)]
    came: String,
}

pub async fn check_in(
    State(state): State<AppState>,
    member: Authorized,
    Path((id, attendee)): Path<(EventId, MemberId)>,
    Form(form): Form<CheckInForm>,
) -> Result<Response, AppError> {
    let mut tx = member.begin(&state).await?;
    organised(&state, &member, &mut tx, id).await?;
    if !queries::check_in(&mut tx, id, attendee, form.came == "1").await? {
        return Err(AppError::NotFound);
    }
    tx.commit().await?;
    Ok(Redirect::to(&format!("/events/{id}/attendees#a-{attendee}")).into_response())
}

/// `GET /events/{id}/attendees.csv`: the attendee list for Excel (UTF-8 with a BOM, CRLF).
pub async fn attendees_csv(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
    Path(id): Path<EventId>,
) -> Result<Response, AppError> {
    let mut tx = member.begin(&state).await?;
    let event = organised(&state, &member, &mut tx, id).await?;
    let rows = queries::attendees(&mut tx, id).await?;
    tsunagu_kernel::audit::record(
        &mut tx,
        "event.exported",
        "event",
        Some(id.as_uuid()),
        serde_json::json!({ "title": event.title, "rows": rows.len() }),
    )
    .await?;
    tx.commit().await?;
    let t = |key: &str| state.web.catalog.t(page.lang, key, &[]);
    let zone = page.zone();
    let mut out = Csv::new();
    let header: Vec<String> = [
        "events.csv.name",
        "events.csv.reading",
        "events.csv.email",
        "events.csv.kind",
        "events.csv.status",
        "events.csv.guests",
        "events.csv.guest_names",
        "events.csv.responded",
        "events.csv.checked_in",
    ]
    .iter()
    .map(|k| t(k))
    .collect();
    out.row(&header);
    for a in rows {
        out.row(&[
            a.name_kanji,
            a.name_kana,
            a.email,
            t(&format!("member.kind.{}", a.kind.as_str())),
            t(&format!("events.status.{}", a.status.as_str())),
            a.guests.to_string(),
            a.guest_names,
            dates::input_value(a.responded_at, zone).replace('T', " "),
            a.checked_in_at
                .map(|at| dates::input_value(at, zone).replace('T', " "))
                .unwrap_or_default(),
        ]);
    }
    Ok(out.into_download("attendees.csv"))
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
