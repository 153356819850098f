//! 募集 Recruitments: calls for participation. Members react with 応援する cheer / 興味ある
//! interested / あとで見る see later (independent toggles, with counts; htmx updates them in
//! place, plain form posts work too). The author and the secretariat see who reacted and gather
//! the interested into a follow-up list with one action. Whether alumni may open recruitments
//! follows the tenant's permissions.

pub mod forms;
pub mod queries;
pub mod views;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Form;
use tsunagu_authz::Permission;
use tsunagu_kernel::MemberId;
use tsunagu_web::forms::FieldErrors;
use tsunagu_web::{AppError, AppState, Authorized, Page};

use crate::followups;
use crate::kinds::{FollowUpStatus, Reaction, RecruitmentStatus};
use crate::view::{fragment_or_redirect, render};
use forms::{parse_date, FollowupForm, ReactForm, RecruitmentForm, StatusForm, FOLLOWUP_STATUSES};
use views::{render_new, view, ReactorGroup, RecruitmentView};

pub fn routes() -> tsunagu_web::routes::Routes {
    use tsunagu_authz::Permission::*;
    tsunagu_web::routes::Routes::new()
        .member("/recruitments", ViewNetwork, get(list_recruitments))
        .member("/recruitments", OpenRecruitment, post(create_recruitment))
        .member("/recruitments/new", OpenRecruitment, get(new_recruitment))
        .member("/recruitments/{id}", ViewNetwork, get(show_recruitment))
        .member(
            "/recruitments/{id}/publish",
            PublishContent,
            post(publish_recruitment),
        )
        .member("/recruitments/{id}/react", ReactToRecruitment, post(react))
        // The author's own tools (checked in `can_manage`), or the secretariat's.
        .member(
            "/recruitments/{id}/status",
            ViewNetwork,
            post(update_status),
        )
        .member(
            "/recruitments/{id}/gather",
            ViewNetwork,
            post(gather_interested),
        )
        .member(
            "/recruitments/{id}/followups/{member_id}",
            ViewNetwork,
            post(update_followup),
        )
        .member("/saved", ViewNetwork, get(list_saved))
}

pub async fn list_recruitments(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
) -> Result<Response, AppError> {
    let drafts = member.may(&state, Permission::ManageRecruitments).await;
    let mut tx = member.begin(&state).await?;
    let rows = queries::list(&mut tx, member.id(), drafts).await?;
    tx.commit().await?;
    let can_open = member.may(&state, Permission::OpenRecruitment).await;
    let views: Vec<RecruitmentView> = rows
        .into_iter()
        .map(|r| view(r, page.lang, page.zone()))
        .collect();
    render(
        &state,
        &page,
        "recruitments/index.html",
        StatusCode::OK,
        |c| {
            c.insert("recruitments", &views);
            c.insert("can_open", &can_open);
            c.insert("reactions", queries::REACTIONS);
        },
    )
}

pub async fn list_saved(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
) -> Result<Response, AppError> {
    let mut tx = member.begin(&state).await?;
    let rows = queries::saved(&mut tx, member.id()).await?;
    tx.commit().await?;
    let views: Vec<RecruitmentView> = rows
        .into_iter()
        .map(|r| view(r, page.lang, page.zone()))
        .collect();
    render(
        &state,
        &page,
        "recruitments/saved.html",
        StatusCode::OK,
        |c| {
            c.insert("recruitments", &views);
            c.insert("reactions", queries::REACTIONS);
        },
    )
}

pub async fn new_recruitment(
    State(state): State<AppState>,
    _member: Authorized,
    page: Page,
) -> Result<Response, AppError> {
    render_new(
        &state,
        &page,
        &RecruitmentForm::default(),
        &FieldErrors::new(),
        StatusCode::OK,
    )
}

pub async fn create_recruitment(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
    form_token: tsunagu_web::csrf::FormToken,
    Form(form): Form<RecruitmentForm>,
) -> Result<Response, AppError> {
    let mut errors = FieldErrors::new();
    let title = forms::text(&form.title, 1, 200)
        .map_err(|e| errors.insert("title", e))
        .ok();
    let body = forms::text(&form.body, 1, 10_000)
        .map_err(|e| errors.insert("body", e))
        .ok();
    let deadline = parse_date(&form.deadline)
        .map_err(|e| errors.insert("deadline", e))
        .ok()
        .flatten();
    if let Some(d) = deadline {
        if d < time::OffsetDateTime::now_utc().date() {
            errors.insert("deadline", "errors.field.date_past");
        }
    }
    let (Some(title), Some(body)) = (title, body) else {
        return render_new(
            &state,
            &page,
            &form,
            &errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    };
    if !errors.is_empty() {
        return render_new(
            &state,
            &page,
            &form,
            &errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    let mut tx = member.begin(&state).await?;
    if !form_token.claim(&mut tx, member.id()).await? {
        // This very form was already published (a resubmission): nothing new.
        tx.rollback().await?;
        return Ok(Redirect::to("/recruitments?notice=published").into_response());
    }
    // What platform staff open waits for the secretariat (docs/adr/0004-support-sessions.md).
    let status = if member.support().is_some() {
        RecruitmentStatus::Draft
    } else {
        RecruitmentStatus::Open
    };
    let id = queries::create(&mut tx, member.id(), &title, &body, deadline, status).await?;
    tx.commit().await?;
    let notice = if status == RecruitmentStatus::Draft {
        "recruitment_drafted"
    } else {
        "published"
    };
    Ok(Redirect::to(&format!("/recruitments/{id}?notice={notice}")).into_response())
}

/// `POST /recruitments/{id}/publish`: the secretariat's one-click approval of a draft 募集.
pub async fn publish_recruitment(
    State(state): State<AppState>,
    member: Authorized,
    Path(id): Path<queries::RecruitmentId>,
) -> Result<Response, AppError> {
    let mut tx = member.begin(&state).await?;
    if queries::publish_draft(&mut tx, id).await?.is_none() {
        tx.rollback().await?;
        return Err(AppError::NotFound);
    }
    tsunagu_kernel::audit::record(
        &mut tx,
        "recruitment.published",
        "recruitment",
        Some(id.as_uuid()),
        serde_json::json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/recruitments/{id}?notice=published")).into_response())
}

/// May this member see who reacted and manage follow-ups? The author, or the secretariat.
async fn can_manage(state: &AppState, member: &Authorized, author: MemberId) -> bool {
    author == member.id() || member.may(state, Permission::ManageRecruitments).await
}

pub async fn show_recruitment(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
    Path(id): Path<queries::RecruitmentId>,
) -> Result<Response, AppError> {
    let drafts = member.may(&state, Permission::ManageRecruitments).await;
    let can_publish = member.may(&state, Permission::PublishContent).await;
    let mut tx = member.begin(&state).await?;
    let recruitment = if drafts {
        queries::find_including_drafts(&mut tx, id, member.id()).await?
    } else {
        queries::find(&mut tx, id, member.id()).await?
    }
    .ok_or(AppError::NotFound)?;
    let manage = can_manage(&state, &member, recruitment.author_id).await;
    let (groups, followups) = if manage {
        let all = queries::reactors(&mut tx, id).await?;
        let groups: Vec<ReactorGroup> = queries::REACTIONS
            .iter()
            .map(|reaction| ReactorGroup {
                reaction: *reaction,
                people: all
                    .iter()
                    .filter(|r| r.reaction == *reaction)
                    .cloned()
                    .collect(),
            })
            .collect();
        let followups = match followups::queries::find_recruitment_list(&mut tx, id).await? {
            Some(list) => followups::queries::entries(&mut tx, list).await?,
            None => Vec::new(),
        };
        (groups, followups)
    } else {
        (Vec::new(), Vec::new())
    };
    tx.commit().await?;
    let v = view(recruitment, page.lang, page.zone());
    render(
        &state,
        &page,
        "recruitments/show.html",
        StatusCode::OK,
        |c| {
            c.insert("recruitment", &v);
            c.insert("reactions", queries::REACTIONS);
            c.insert("can_manage", &manage);
            c.insert("can_publish", &can_publish);
            c.insert("reactor_groups", &groups);
            c.insert("followups", &followups);
            c.insert("followup_statuses", FOLLOWUP_STATUSES);
        },
    )
}

pub async fn react(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
    headers: HeaderMap,
    Path(id): Path<queries::RecruitmentId>,
    Form(form): Form<ReactForm>,
) -> Result<Response, AppError> {
    let Some(reaction) = Reaction::parse(&form.reaction) else {
        return Err(AppError::BadRequest("unknown reaction".into()));
    };
    let mut tx = member.begin(&state).await?;
    let on = queries::toggle_reaction(&mut tx, id, member.id(), reaction)
        .await?
        .ok_or(AppError::NotFound)?;
    let recruitment = queries::find(&mut tx, id, member.id())
        .await?
        .ok_or(AppError::NotFound)?;
    // The author hears about cheers and interest, not about "see later".
    if on && reaction != Reaction::SeeLater {
        crate::notifications::notify(
            &mut tx,
            &[recruitment.author_id],
            "recruitment_reacted",
            Some(member.id()),
            &recruitment.title,
            &format!("/recruitments/{id}"),
        )
        .await?;
    }
    tx.commit().await?;
    let v = view(recruitment, page.lang, page.zone());
    fragment_or_redirect(
        &state,
        &page,
        &headers,
        "recruitments/_reactions.html",
        &format!("/recruitments/{id}"),
        |c| {
            c.insert("recruitment", &v);
            c.insert("reactions", queries::REACTIONS);
        },
    )
}

pub async fn update_status(
    State(state): State<AppState>,
    member: Authorized,
    Path(id): Path<queries::RecruitmentId>,
    Form(form): Form<StatusForm>,
) -> Result<Response, AppError> {
    let Some(status) =
        RecruitmentStatus::parse(&form.status).filter(|s| *s != RecruitmentStatus::Draft)
    else {
        return Err(AppError::BadRequest("unknown status".into()));
    };
    let mut tx = member.begin(&state).await?;
    let recruitment = queries::find(&mut tx, id, member.id())
        .await?
        .ok_or(AppError::NotFound)?;
    if !can_manage(&state, &member, recruitment.author_id).await {
        return Err(AppError::Forbidden);
    }
    queries::set_status(&mut tx, id, status).await?;
    // Everyone who said they were interested hears that it opened or closed.
    let interested: Vec<MemberId> = queries::reactors(&mut tx, id)
        .await?
        .into_iter()
        .filter(|r| r.reaction == Reaction::Interested)
        .map(|r| r.member_id)
        .collect();
    crate::notifications::notify(
        &mut tx,
        &interested,
        "recruitment_changed",
        Some(member.id()),
        &recruitment.title,
        &format!("/recruitments/{id}"),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/recruitments/{id}?notice=saved")).into_response())
}

pub async fn gather_interested(
    State(state): State<AppState>,
    member: Authorized,
    Path(id): Path<queries::RecruitmentId>,
) -> Result<Response, AppError> {
    let mut tx = member.begin(&state).await?;
    let recruitment = queries::find(&mut tx, id, member.id())
        .await?
        .ok_or(AppError::NotFound)?;
    if !can_manage(&state, &member, recruitment.author_id).await {
        return Err(AppError::Forbidden);
    }
    let added = followups::queries::gather_interested(&mut tx, id).await?;
    tsunagu_kernel::audit::record(
        &mut tx,
        "recruitment.gathered",
        "recruitment",
        Some(id.as_uuid()),
        serde_json::json!({ "added": added }),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/recruitments/{id}?notice=gathered#followups")).into_response())
}

pub async fn update_followup(
    State(state): State<AppState>,
    member: Authorized,
    Path((id, member_id)): Path<(queries::RecruitmentId, MemberId)>,
    Form(form): Form<FollowupForm>,
) -> Result<Response, AppError> {
    let Some(status) =
        FollowUpStatus::parse(&form.status).filter(|status| FOLLOWUP_STATUSES.contains(status))
    else {
        return Err(AppError::BadRequest("unknown follow-up status".into()));
    };
    let note = forms::text(&form.note, 0, 2000)
        .map_err(|_| AppError::BadRequest("note too long".into()))?;
    let mut tx = member.begin(&state).await?;
    let recruitment = queries::find(&mut tx, id, member.id())
        .await?
        .ok_or(AppError::NotFound)?;
    if !can_manage(&state, &member, recruitment.author_id).await {
        return Err(AppError::Forbidden);
    }
    let list = followups::queries::find_recruitment_list(&mut tx, id).await?;
    let updated = match list {
        Some(list) => followups::queries::update(&mut tx, list, member_id, status, &note).await?,
        None => false,
    };
    if !updated {
        tx.rollback().await?;
        return Err(AppError::NotFound);
    }
    tx.commit().await?;
    Ok(Redirect::to(&format!("/recruitments/{id}?notice=saved#followups")).into_response())
}
