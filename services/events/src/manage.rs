//! The events list and the create, edit and approve forms; who is told when an event changes.

use super::*;
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
    let can_manage = member.may(state, Permission::ManageEvents).await;
    let current = forms::audience_segment(&form.audience);
    // A member's form without a segment (the usual case) needs no transaction at all.
    let segments = if can_manage || current.is_some() {
        let mut tx = member.begin(state).await?;
        let segments = match current {
            _ if can_manage => tsunagu_surveys::segments::queries::list_all(&mut tx).await?,
            Some(id) => tsunagu_surveys::segments::queries::find(&mut tx, id)
                .await?
                .into_iter()
                .collect(),
            None => Vec::new(),
        };
        tx.commit().await?;
        segments
    } else {
        Vec::new()
    };
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
    // Events drafted by platform staff within a support grant always wait for the secretariat's
    // approval (docs/adr/0004-support-sessions.md); members' only where the network says so.
    let held = !is_secretariat
        && (member.support().is_some() || member.tenant.features.member_events_need_approval);
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
