//! What organisers do around an event: the attendee list with check-in and its CSV export,
//! the post-event survey, comments, the cover image and co-organisers.

use super::*;
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
    if member.support().is_some() {
        // Comments speak for a member; platform staff have no voice in the network.
        return Err(AppError::Forbidden);
    }
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
