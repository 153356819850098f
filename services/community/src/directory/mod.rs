//! The member directory and profiles: search that works for Japanese (kanji, kana, romaji,
//! partial matches) and English, facets (alumni/employee, department, "here at the same time as
//! me"), keyset pagination; profile pages that show each field only to its audience; editing
//! one's own profile with per-field visibility.

pub mod forms;
pub mod queries;
pub mod views;

pub use views::can_see;

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Form;
use tsunagu_kernel::moderation::SubjectKind;
use tsunagu_web::forms::{FieldErrors, ReportForm};
use tsunagu_web::{AppError, AppState, Authorized, Page};

use crate::view::render;

/// A search longer than this (characters, normalised) is one a person rarely types: a name, a
/// company or a skill is shorter. Long searches cost the most (every token of the longest
/// queries), so each member gets [`LONG_SEARCHES_PER_WINDOW`] of them per [`SEARCH_WINDOW`].
pub const LONG_QUERY_CHARS: usize = 20;
pub const LONG_SEARCHES_PER_WINDOW: u32 = 10;
pub const SEARCH_WINDOW: std::time::Duration = std::time::Duration::from_secs(10);

/// Refuses a member's long search past [`LONG_SEARCHES_PER_WINDOW`]: the per-network meter
/// (`web::limits`) keeps a network's searches from taking the machine from other networks, and
/// this keeps one member's script from taking the network's share. A refusal waits as long as
/// the meter's longest wait before it answers 503, so a flood spends its time waiting, not on
/// the CPU; the count is kept in Redis under the tenant's prefix.
async fn searches_at_a_human_pace(state: &AppState, member: &Authorized) -> Result<(), AppError> {
    let key = format!("t:{}:search-rate:{}", member.tenant.id, member.id());
    if state
        .rate_limiter
        .hit(&key, LONG_SEARCHES_PER_WINDOW, SEARCH_WINDOW)
        .await
        .is_err()
    {
        tokio::time::sleep(tsunagu_web::limits::WAIT_FOR_SLOT).await;
        tracing::warn!(tenant.id = %member.tenant.id, member.id = %member.id(), "long directory search refused: over the per-member rate");
        return Err(AppError::Busy);
    }
    Ok(())
}
use forms::{
    custom_inputs, form_from_profile, DirectoryQuery, ProfileForm, AUDIENCES, VISIBLE_FIELDS,
};
use queries::{DirectoryFilter, ProfileUpdate};
use views::{audience_of, card, render_edit, years_label, DirectoryCard, ProfileView};

pub fn routes() -> tsunagu_web::routes::Routes {
    use tsunagu_authz::Permission::*;
    tsunagu_web::routes::Routes::new()
        .member("/members", ViewDirectory, get(list_members))
        .member("/members/{id}", ViewDirectory, get(show_member))
        .member("/members/{id}/report", ViewDirectory, post(report_profile))
        .member(
            "/profile",
            ManageOwnAccount,
            get(edit_profile).post(update_profile),
        )
        .member(
            "/profile/photo",
            ManageOwnAccount,
            post(upload_photo).layer(axum::extract::DefaultBodyLimit::max(
                tsunagu_web::csrf::MAX_MULTIPART_BYTES,
            )),
        )
        .member(
            "/profile/photo/delete",
            ManageOwnAccount,
            post(delete_photo),
        )
        .member("/media/photos/{id}", ViewDirectory, get(show_photo))
}

fn department_facet_key(tenant: tsunagu_kernel::TenantId) -> String {
    format!("t:{{{tenant}}}:directory:departments")
}

/// The department facet, cached in Redis for five minutes per tenant: computing it reads every
/// member of the tenant (70 ms at 100,000 members, on every directory page). A profile save
/// clears it; other changes (imports, removals) show within the five minutes. Redis trouble only
/// costs the query.
async fn department_facet(
    state: &AppState,
    tx: &mut tsunagu_kernel::TenantTx,
) -> Result<Vec<String>, AppError> {
    let key = department_facet_key(tx.tenant_id());
    if let Ok(mut conn) = state.redis.get().await {
        let cached: Option<String> = redis::cmd("GET")
            .arg(&key)
            .query_async(&mut *conn)
            .await
            .unwrap_or(None);
        if let Some(list) = cached.and_then(|json| serde_json::from_str(&json).ok()) {
            return Ok(list);
        }
    }
    let list = queries::departments(tx).await?;
    if let (Ok(mut conn), Ok(json)) = (state.redis.get().await, serde_json::to_string(&list)) {
        let _: Result<(), _> = redis::cmd("SET")
            .arg(&key)
            .arg(json)
            .arg("EX")
            .arg(300)
            .query_async(&mut *conn)
            .await;
    }
    Ok(list)
}

async fn forget_department_facet(state: &AppState, tenant: tsunagu_kernel::TenantId) {
    if let Ok(mut conn) = state.redis.get().await {
        let _: Result<i64, _> = redis::cmd("DEL")
            .arg(department_facet_key(tenant))
            .query_async(&mut *conn)
            .await;
    }
}

pub async fn list_members(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
    Query(query): Query<DirectoryQuery>,
) -> Result<Response, AppError> {
    let q = query.q.trim();
    let tokens = tsunagu_kernel::search::query_tokens(q);
    // A text search costs what the visitor typed: it waits for one of this network's few
    // slots and runs under the search statement timeout, so no network can hold the pool.
    let (_slot, mut tx) = if tokens.is_empty() {
        let tx = member.begin(&state).await?;
        (None, tx)
    } else {
        if tsunagu_kernel::search::normalize_query(q).chars().count() > LONG_QUERY_CHARS {
            searches_at_a_human_pace(&state, &member).await?;
        }
        let slot = state.expensive.enter(member.tenant.id).await?;
        let tx = member.begin_search(&state).await?;
        (Some(slot), tx)
    };
    let mut filter = DirectoryFilter {
        query: (!tokens.is_empty()).then(|| (tsunagu_kernel::search::normalize_query(q), tokens)),
        kind: tsunagu_kernel::MemberKind::parse(&query.kind),
        department: Some(query.department.trim().to_owned()).filter(|d| !d.is_empty()),
        ..DirectoryFilter::default()
    };
    let me = tsunagu_identity::queries::find_by_id(&mut tx, member.id())
        .await?
        .ok_or(AppError::NotFound)?;
    let can_overlap = me.joined_year.is_some();
    if query.same_time == "1" {
        if let Some(joined) = me.joined_year {
            let this_year = time::OffsetDateTime::now_utc().year();
            filter.overlapping = Some((joined, me.left_year.unwrap_or(this_year)));
        }
    }
    filter.in_year = forms::year(&query.year).ok().flatten();
    if let Some((kana, id)) = query.after.split_once('|') {
        if let Ok(id) = id.parse::<tsunagu_kernel::MemberId>() {
            filter.after = Some((kana.to_owned(), id));
        }
    }
    let mut rows = queries::search(&mut tx, &filter).await?;
    let departments = department_facet(&state, &mut tx).await?;
    tx.commit().await?;
    let more = rows.len() as i64 > queries::PAGE_SIZE;
    rows.truncate(queries::PAGE_SIZE as usize);
    let next_cursor = more
        .then(|| rows.last().map(|r| format!("{}|{}", r.name_kana, r.id)))
        .flatten();
    let cards: Vec<DirectoryCard> = rows.into_iter().map(|r| card(&member, r)).collect();
    // A card offers "write" when this member may use messages (a network can switch them off).
    let can_message = member
        .may(&state, tsunagu_authz::Permission::UseMessages)
        .await;
    render(&state, &page, "directory/index.html", StatusCode::OK, |c| {
        c.insert("members", &cards);
        c.insert("viewer_id", &member.id().to_string());
        c.insert("can_message", &can_message);
        c.insert("q", q);
        c.insert("kind", &query.kind);
        c.insert("department", &query.department);
        c.insert("same_time", &(query.same_time == "1"));
        c.insert(
            "year",
            &filter.in_year.map(|y| y.to_string()).unwrap_or_default(),
        );
        c.insert("can_overlap", &can_overlap);
        c.insert("departments", &departments);
        c.insert("next_cursor", &next_cursor);
    })
}

pub async fn show_member(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
    Path(id): Path<tsunagu_kernel::MemberId>,
) -> Result<Response, AppError> {
    let mut tx = member.begin(&state).await?;
    let profile = queries::find_profile(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    let view = visible_profile(&member, &page, profile);
    render(
        &state,
        &page,
        "directory/profile.html",
        StatusCode::OK,
        |c| {
            c.insert("profile", &view);
        },
    )
}

/// A profile as this viewer may see it (each field's audience applied).
fn visible_profile(member: &Authorized, page: &Page, profile: queries::Profile) -> ProfileView {
    let visibility = &profile.field_visibility.0;
    let sees = |field: &str| can_see(member, profile.id, audience_of(visibility, field));
    let mut fields = Vec::new();
    if sees("years") {
        if let Some(years) = years_label(profile.joined_year, profile.left_year) {
            fields.push(("years".to_owned(), years));
        }
    }
    for (field, value) in [
        ("department", &profile.department),
        ("current_organisation", &profile.current_organisation),
        ("title", &profile.title),
        ("ask_me_about", &profile.ask_me_about),
        ("email", &profile.email),
    ] {
        if sees(field) && !value.is_empty() {
            fields.push((field.to_owned(), value.clone()));
        }
    }
    let is_self = profile.id == member.id();
    let age = time::OffsetDateTime::now_utc() - profile.profile_updated_at;
    ProfileView {
        skills: if sees("skills") {
            profile.skills.clone()
        } else {
            Vec::new()
        },
        links: if sees("links") {
            profile.links.0.clone()
        } else {
            Vec::new()
        },
        stale: is_self
            && age.whole_days() > i64::from(member.tenant.features.profile_stale_after_days),
        photo: profile.photo_key.clone(),
        custom: member
            .tenant
            .profile_fields
            .iter()
            .filter(|f| sees(&format!("custom.{}", f.key)))
            .filter_map(|f| {
                let value = profile
                    .custom_fields
                    .0
                    .get(&f.key)
                    .filter(|v| !v.is_empty())?;
                let label = if page.lang == tsunagu_web::Locale::Ja {
                    &f.label_ja
                } else {
                    &f.label_en
                };
                Some((label.clone(), value.clone()))
            })
            .collect(),
        id: profile.id,
        name_kanji: profile.name_kanji,
        name_kana: profile.name_kana,
        name_romaji: profile.name_romaji,
        kind: profile.kind,
        is_self,
        fields,
    }
}

/// `POST /members/{id}/report`: a member reports a profile to the secretariat, with a copy of
/// what they could see of it.
pub async fn report_profile(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
    Path(id): Path<tsunagu_kernel::MemberId>,
    Form(form): Form<ReportForm>,
) -> Result<Response, AppError> {
    let reason = form.reason()?;
    if id == member.id() {
        return Err(AppError::BadRequest(
            "you cannot report your own profile".into(),
        ));
    }
    let mut tx = member.begin(&state).await?;
    let profile = queries::find_profile(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let snapshot = visible_profile(&member, &page, profile).as_text();
    crate::timeline::file_report(
        &mut tx,
        SubjectKind::Profile,
        id.as_uuid(),
        id,
        member.id(),
        &reason,
        &snapshot,
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/members/{id}?notice=reported")).into_response())
}

pub async fn edit_profile(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
) -> Result<Response, AppError> {
    let mut tx = member.begin(&state).await?;
    let p = queries::find_profile(&mut tx, member.id())
        .await?
        .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    let mut form = form_from_profile(&p);
    form.custom = custom_inputs(
        &member.tenant,
        page.lang,
        &p.custom_fields.0,
        &p.field_visibility.0,
    );
    render_edit(
        &state,
        &page,
        &form,
        &FieldErrors::new(),
        StatusCode::OK,
        p.photo_key.as_deref(),
    )
}

pub async fn update_profile(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    // The fixed fields by name, and the tenant's custom fields from the raw pairs.
    let mut form: ProfileForm = serde_urlencoded::from_bytes(&body)
        .map_err(|e| AppError::BadRequest(format!("unreadable form: {e}")))?;
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body)
        .map_err(|e| AppError::BadRequest(format!("unreadable form: {e}")))?;
    let submitted = |name: String| {
        pairs
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let mut custom_values = BTreeMap::new();
    let mut custom_visibility = BTreeMap::new();
    for field in &member.tenant.profile_fields {
        custom_values.insert(
            field.key.clone(),
            submitted(format!("custom__{}", field.key)),
        );
        let audience = submitted(format!("visibility__custom__{}", field.key));
        custom_visibility.insert(
            format!("custom.{}", field.key),
            if audience.is_empty() {
                "members".to_owned()
            } else {
                audience
            },
        );
    }
    form.custom = custom_inputs(
        &member.tenant,
        page.lang,
        &custom_values,
        &custom_visibility,
    );
    let mut errors = FieldErrors::new();
    let mut check = |field: &'static str, r: Result<String, &'static str>| {
        r.map_err(|e| errors.insert(field, e)).unwrap_or_default()
    };
    let name_kanji = check("name_kanji", forms::text(&form.name_kanji, 1, 100));
    let name_kana = check("name_kana", forms::text(&form.name_kana, 0, 100));
    let name_romaji = check("name_romaji", forms::text(&form.name_romaji, 0, 100));
    let department = check("department", forms::text(&form.department, 0, 200));
    let current_organisation = check(
        "current_organisation",
        forms::text(&form.current_organisation, 0, 200),
    );
    let title = check("title", forms::text(&form.title, 0, 200));
    let ask_me_about = check("ask_me_about", forms::text(&form.ask_me_about, 0, 1000));
    let joined_year = forms::year(&form.joined_year)
        .map_err(|e| errors.insert("joined_year", e))
        .ok()
        .flatten();
    let left_year = forms::year(&form.left_year)
        .map_err(|e| errors.insert("left_year", e))
        .ok()
        .flatten();
    if let (Some(j), Some(l)) = (joined_year, left_year) {
        if l < j {
            errors.insert("left_year", "errors.field.left_before_joined");
        }
    }
    let skills: Vec<String> = form
        .skills
        .split([',', '\n', '、'])
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect();
    if skills.len() > 30 || skills.iter().any(|s| s.chars().count() > 50) {
        errors.insert("skills", "errors.field.too_long");
    }
    let links: Vec<String> = form
        .links
        .lines()
        .map(|l| l.trim().to_owned())
        .filter(|l| !l.is_empty())
        .collect();
    if links.len() > 10
        || links.iter().any(|l| {
            !(l.starts_with("https://") || l.starts_with("http://"))
                || l.len() > 300
                || l.contains(['"', '<', '>', ' '])
        })
    {
        errors.insert("links", "errors.field.links");
    }
    let mut custom_fields = BTreeMap::new();
    for (key, value) in &custom_values {
        match forms::text(value, 0, 200) {
            Ok(value) => {
                custom_fields.insert(key.clone(), value);
            }
            Err(e) => {
                errors.insert("custom", e);
            }
        }
    }
    let mut visibility = BTreeMap::new();
    for (key, audience) in &custom_visibility {
        if !AUDIENCES.contains(&audience.as_str()) {
            errors.insert("visibility", "errors.field.invalid");
        }
        visibility.insert(key.clone(), audience.clone());
    }
    for (field, _) in VISIBLE_FIELDS {
        let audience = form.visibility_of(field);
        if !AUDIENCES.contains(&audience) {
            errors.insert("visibility", "errors.field.invalid");
        }
        visibility.insert((*field).to_owned(), audience.to_owned());
    }
    if !errors.is_empty() {
        let mut tx = member.begin(&state).await?;
        let current_photo = queries::photo_key(&mut tx, member.id()).await?;
        tx.commit().await?;
        return render_edit(
            &state,
            &page,
            &form,
            &errors,
            StatusCode::UNPROCESSABLE_ENTITY,
            current_photo.as_deref(),
        );
    }
    let mut tx = member.begin(&state).await?;
    queries::update_profile(
        &mut tx,
        member.id(),
        &ProfileUpdate {
            name_kanji: &name_kanji,
            name_kana: &name_kana,
            name_romaji: &name_romaji,
            joined_year,
            left_year,
            department: &department,
            current_organisation: &current_organisation,
            title: &title,
            skills: &skills,
            ask_me_about: &ask_me_about,
            links: &links,
            field_visibility: &visibility,
            custom_fields: &custom_fields,
        },
    )
    .await?;
    // Post cards show the author's name.
    tx.changed_version(crate::timeline::cache::VERSION);
    tx.commit().await?;
    forget_department_facet(&state, member.tenant.id).await;
    state
        .sessions
        .update_all(member.tenant.id, member.id(), |s| {
            s.display_name = name_kanji.clone()
        })
        .await?;
    Ok(Redirect::to(&format!("/members/{}?notice=saved", member.id())).into_response())
}

/// `POST /profile/photo` (multipart, field `photo`): checks, resizes and stores the image, then
/// replaces the member's photo. A bad file shows its reason on the profile form and changes
/// nothing.
pub async fn upload_photo(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
    mut multipart: axum::extract::Multipart,
) -> Result<Response, AppError> {
    let mut bytes = Vec::new();
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| AppError::BadRequest(format!("unreadable form: {e}")))?
    {
        if field.name() == Some("photo") {
            bytes = field
                .bytes()
                .await
                .map_err(|e| AppError::BadRequest(format!("unreadable upload: {e}")))?
                .to_vec();
        }
    }
    let store = crate::media::MediaStore::new(&state.config.data_dir);
    let key = match store
        .save(member.tenant.id, crate::media::MediaKind::Photo, bytes)
        .await
        .map_err(anyhow::Error::from)?
    {
        Ok(key) => key,
        Err(e) => {
            let mut errors = FieldErrors::new();
            errors.insert("photo", e.message_key());
            let mut tx = member.begin(&state).await?;
            let p = queries::find_profile(&mut tx, member.id())
                .await?
                .ok_or(AppError::NotFound)?;
            tx.commit().await?;
            let mut form = form_from_profile(&p);
            form.custom = custom_inputs(
                &member.tenant,
                page.lang,
                &p.custom_fields.0,
                &p.field_visibility.0,
            );
            return render_edit(
                &state,
                &page,
                &form,
                &errors,
                StatusCode::UNPROCESSABLE_ENTITY,
                p.photo_key.as_deref(),
            );
        }
    };
    let mut tx = member.begin(&state).await?;
    let previous = queries::set_photo(&mut tx, member.id(), Some(&key)).await?;
    tx.commit().await?;
    if let Some(previous) = previous {
        store
            .delete(member.tenant.id, crate::media::MediaKind::Photo, &previous)
            .await;
    }
    Ok(Redirect::to(&format!("/members/{}?notice=saved", member.id())).into_response())
}

pub async fn delete_photo(
    State(state): State<AppState>,
    member: Authorized,
) -> Result<Response, AppError> {
    let mut tx = member.begin(&state).await?;
    let previous = queries::set_photo(&mut tx, member.id(), None).await?;
    tx.commit().await?;
    if let Some(previous) = previous {
        crate::media::MediaStore::new(&state.config.data_dir)
            .delete(member.tenant.id, crate::media::MediaKind::Photo, &previous)
            .await;
    }
    Ok(Redirect::to("/profile?notice=saved").into_response())
}

/// `GET /media/photos/{member}`: only for members of the same tenant (the file lives under this
/// tenant's directory and the key comes from this tenant's row).
pub async fn show_photo(
    State(state): State<AppState>,
    member: Authorized,
    Path(id): Path<tsunagu_kernel::MemberId>,
) -> Result<Response, AppError> {
    let mut tx = member.begin(&state).await?;
    let key = queries::photo_key(&mut tx, id).await?;
    tx.commit().await?;
    crate::view::serve_image(
        &state,
        member.tenant.id,
        crate::media::MediaKind::Photo,
        key,
    )
    .await
}
