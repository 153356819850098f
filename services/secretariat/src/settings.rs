//! The network's settings page (`/secretariat/settings`): branding (logo, colours with a contrast
//! check, welcome text), the sign-up policy and employee email domains, feature switches and the
//! email defaults. Each section saves on its own; a saved section becomes the app's, so
//! `tenant apply` keeps it (see `tsunagu_tenancy::settings` and docs/TENANT_CONFIG.md). Every
//! save is audited with the section before and after, and every replica hears of it at once.

use std::collections::BTreeMap;

use axum::extract::{Multipart, Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::{Deserialize, Serialize};
use tsunagu_kernel::audit;
use tsunagu_tenancy::settings::{EditableSettings, Section};
use tsunagu_tenancy::settings_queries;
use tsunagu_tenancy::{Branding, EmailCategory, EmailDefaults, Features, Signup};
use tsunagu_web::forms::{render_page, text, FieldErrors};
use tsunagu_web::media::{MediaKind, MediaStore};
use tsunagu_web::theme::{contrast_of, MIN_CONTRAST};
use tsunagu_web::{AppError, AppState, Authorized, Page, Visitor};

/// The switches of `[features]`, in the order the page lists them (labels: `settings.switch.*`).
const SWITCHES: &[&str] = &[
    "messages",
    "events",
    "members_may_create_events",
    "member_events_need_approval",
    "surveys",
    "casual_posts",
    "alumni_may_open_recruitments",
];

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct BrandingForm {
    #[serde(default)]
    logo_text: String,
    #[serde(default)]
    tagline: String,
    #[serde(default)]
    primary_color: String,
    #[serde(default)]
    accent_color: String,
    #[serde(default)]
    welcome_title: String,
    #[serde(default)]
    welcome_body: String,
}

impl From<&Branding> for BrandingForm {
    fn from(b: &Branding) -> Self {
        Self {
            logo_text: b.logo_text.clone(),
            tagline: b.tagline.clone(),
            primary_color: b.primary_color.clone(),
            accent_color: b.accent_color.clone(),
            welcome_title: b.welcome_title.clone(),
            welcome_body: b.welcome_body.clone(),
        }
    }
}

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct SignupForm {
    #[serde(default)]
    alumni_policy: String,
    /// One domain per line (or separated by commas or spaces).
    #[serde(default)]
    employee_email_domains: String,
}

impl From<&Signup> for SignupForm {
    fn from(s: &Signup) -> Self {
        Self {
            alumni_policy: s.alumni_policy.clone(),
            employee_email_domains: s.employee_email_domains.join("\n"),
        }
    }
}

/// A colour as the page checks it.
#[derive(Debug, Serialize)]
struct ContrastView {
    field: &'static str,
    colour: String,
    /// Text on the colour, e.g. "7.2".
    on: String,
    /// The colour as link text on white.
    as_text: String,
    ok: bool,
}

fn contrast_views(form: &BrandingForm) -> Vec<ContrastView> {
    // The accent is only ever a background (badges, highlights); the primary is also link text.
    [
        ("primary_color", &form.primary_color, true),
        ("accent_color", &form.accent_color, false),
    ]
    .into_iter()
    .filter_map(|(field, colour, is_text)| {
        let colour = colour.trim().to_ascii_lowercase();
        let (on, as_text) = contrast_of(&colour)?;
        Some(ContrastView {
            field,
            ok: on >= MIN_CONTRAST && (!is_text || as_text >= MIN_CONTRAST),
            on: format!("{on:.1}"),
            as_text: if is_text {
                format!("{as_text:.1}")
            } else {
                String::new()
            },
            colour,
        })
    })
    .collect()
}

#[derive(Debug, Serialize)]
struct SwitchView {
    key: &'static str,
    on: bool,
}

#[derive(Debug, Serialize)]
struct EmailRow {
    category: EmailCategory,
    chosen: String,
    choices: Vec<&'static str>,
}

/// What the page shows: each section's form (as stored, or as submitted when it was refused).
struct Forms {
    branding: BrandingForm,
    signup: SignupForm,
    features: BTreeMap<String, bool>,
    stale_days: String,
    email: BTreeMap<String, String>,
}

impl Forms {
    fn of(settings: &EditableSettings) -> Self {
        let features = serde_json::to_value(&settings.features).unwrap_or_default();
        let email = serde_json::to_value(&settings.email_defaults).unwrap_or_default();
        Self {
            branding: BrandingForm::from(&settings.branding),
            signup: SignupForm::from(&settings.signup),
            features: SWITCHES
                .iter()
                .map(|k| ((*k).to_owned(), features[*k].as_bool().unwrap_or(false)))
                .collect(),
            stale_days: settings.features.profile_stale_after_days.to_string(),
            email: EmailCategory::ALL
                .iter()
                .map(|c| {
                    (
                        c.as_str().to_owned(),
                        email[c.as_str()].as_str().unwrap_or("off").to_owned(),
                    )
                })
                .collect(),
        }
    }
}

async fn render_settings(
    state: &AppState,
    page: &Page,
    member: &Authorized,
    replace: impl FnOnce(&mut Forms),
    errors: &FieldErrors,
    status: StatusCode,
) -> Result<Response, AppError> {
    let mut tx = member.begin(state).await?;
    let settings = settings_queries::editable(&mut tx).await?;
    tx.commit().await?;
    let mut forms = Forms::of(&settings);
    replace(&mut forms);
    let edited: BTreeMap<String, String> = settings
        .ui_edited
        .iter()
        .filter_map(|(section, at)| {
            let at =
                time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339)
                    .ok()?;
            Some((
                section.clone(),
                tsunagu_web::dates::datetime(at, page.lang, page.zone()),
            ))
        })
        .collect();
    let switches: Vec<SwitchView> = SWITCHES
        .iter()
        .map(|key| SwitchView {
            key,
            on: forms.features.get(*key).copied().unwrap_or(false),
        })
        .collect();
    let email: Vec<EmailRow> = EmailCategory::ALL
        .iter()
        .map(|c| EmailRow {
            category: *c,
            chosen: forms.email.get(c.as_str()).cloned().unwrap_or_default(),
            choices: c.choices().iter().map(|d| d.as_str()).collect(),
        })
        .collect();
    let logo = (!settings.branding.logo_key.is_empty())
        .then(|| format!("/branding/logo/{}", settings.branding.logo_key));
    render_page(state, page, "secretariat/settings.html", status, |c| {
        c.insert("section", "settings");
        c.insert("contrast", &contrast_views(&forms.branding));
        c.insert("min_contrast", &MIN_CONTRAST);
        c.insert("branding", &forms.branding);
        c.insert("signup", &forms.signup);
        c.insert("switches", &switches);
        c.insert("stale_days", &forms.stale_days);
        c.insert("email", &email);
        c.insert("edited", &edited);
        c.insert("logo", &logo);
        c.insert("errors", errors);
        c.insert("policies", tsunagu_tenancy::config_file::ALUMNI_POLICIES);
    })
}

/// The page again with what was refused (422): nothing was saved.
async fn refused(
    state: &AppState,
    page: &Page,
    member: &Authorized,
    replace: impl FnOnce(&mut Forms),
    errors: &FieldErrors,
) -> Result<Response, AppError> {
    render_settings(
        state,
        page,
        member,
        replace,
        errors,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

/// `GET /secretariat/settings`.
pub async fn show_settings(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
) -> Result<Response, AppError> {
    render_settings(
        &state,
        &page,
        &member,
        |_| {},
        &FieldErrors::new(),
        StatusCode::OK,
    )
    .await
}

/// Saves one section as the app's, audited with before and after, and tells every replica.
async fn save_section(
    state: &AppState,
    member: &Authorized,
    section: Section,
    change: impl FnOnce(&EditableSettings) -> serde_json::Value,
) -> Result<(), AppError> {
    let mut tx = member.begin(state).await?;
    let before_settings = settings_queries::editable(&mut tx).await?;
    let before = section_value(&before_settings, section);
    let after = change(&before_settings);
    settings_queries::save(&mut tx, section, &after).await?;
    audit::record(
        &mut tx,
        "settings.updated",
        "tenant",
        Some(member.tenant.id.0),
        serde_json::json!({ "section": section, "before": before, "after": after }),
    )
    .await?;
    tx.commit().await?;
    state.tenant_changed(&member.tenant.slug).await;
    Ok(())
}

fn section_value(settings: &EditableSettings, section: Section) -> serde_json::Value {
    match section {
        Section::Branding => serde_json::to_value(&settings.branding),
        Section::Signup => serde_json::to_value(&settings.signup),
        Section::Features => serde_json::to_value(&settings.features),
        Section::EmailDefaults => serde_json::to_value(&settings.email_defaults),
    }
    .unwrap_or_default()
}

fn saved(anchor: &str) -> Response {
    Redirect::to(&format!(
        "/secretariat/settings?notice=settings_saved#{anchor}"
    ))
    .into_response()
}

fn colour(input: &str) -> Result<String, &'static str> {
    let value = input.trim().to_ascii_lowercase();
    if contrast_of(&value).is_none() {
        return Err("errors.field.colour");
    }
    Ok(value)
}

/// `POST /secretariat/settings/branding`.
pub async fn save_branding(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
    Form(form): Form<BrandingForm>,
) -> Result<Response, AppError> {
    let mut errors = FieldErrors::new();
    let mut field = |name: &'static str, result: Result<String, &'static str>| {
        result.unwrap_or_else(|key| {
            errors.insert(name, key);
            String::new()
        })
    };
    let logo_text = field("logo_text", text(&form.logo_text, 1, 24));
    let tagline = field("tagline", text(&form.tagline, 0, 200));
    let welcome_title = field("welcome_title", text(&form.welcome_title, 0, 120));
    let welcome_body = field("welcome_body", text(&form.welcome_body, 0, 2000));
    let primary_color = field("primary_color", colour(&form.primary_color));
    let accent_color = field("accent_color", colour(&form.accent_color));
    for check in contrast_views(&BrandingForm {
        primary_color: primary_color.clone(),
        accent_color: accent_color.clone(),
        ..BrandingForm::default()
    }) {
        if !check.ok {
            errors.insert(check.field, "errors.field.contrast");
        }
    }
    if !errors.is_empty() {
        return refused(
            &state,
            &page,
            &member,
            |forms| forms.branding = form,
            &errors,
        )
        .await;
    }
    save_section(&state, &member, Section::Branding, |before| {
        serde_json::to_value(Branding {
            primary_color,
            accent_color,
            logo_text,
            tagline,
            welcome_title,
            welcome_body,
            logo_key: before.branding.logo_key.clone(),
        })
        .unwrap_or_default()
    })
    .await?;
    Ok(saved("branding"))
}

/// `POST /secretariat/settings/signup`.
pub async fn save_signup(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
    Form(form): Form<SignupForm>,
) -> Result<Response, AppError> {
    let mut errors = FieldErrors::new();
    if !tsunagu_tenancy::config_file::ALUMNI_POLICIES.contains(&form.alumni_policy.as_str()) {
        errors.insert("alumni_policy", "errors.field.choice");
    }
    let mut domains: Vec<String> = Vec::new();
    for word in form
        .employee_email_domains
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|w| !w.is_empty())
    {
        let word = word.trim_start_matches('@');
        match tsunagu_kernel::config::parse_base_domain(word) {
            Ok(domain) if domain.contains('.') => {
                if !domains.contains(&domain) {
                    domains.push(domain);
                }
            }
            _ => {
                errors.insert("employee_email_domains", "errors.field.email_domain");
            }
        }
    }
    if domains.len() > 20 {
        errors.insert("employee_email_domains", "errors.field.too_many_domains");
    }
    if !errors.is_empty() {
        return refused(&state, &page, &member, |forms| forms.signup = form, &errors).await;
    }
    save_section(&state, &member, Section::Signup, |_| {
        serde_json::to_value(Signup {
            employee_email_domains: domains,
            alumni_policy: form.alumni_policy.clone(),
        })
        .unwrap_or_default()
    })
    .await?;
    Ok(saved("signup"))
}

/// `POST /secretariat/settings/features`: a checked box is on, an absent one off.
pub async fn save_features(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let value = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let stale_days = value("profile_stale_after_days").unwrap_or("").trim();
    let stale: Option<u32> = stale_days.parse().ok().filter(|d| (30..=3650).contains(d));
    let Some(stale) = stale else {
        let mut errors = FieldErrors::new();
        errors.insert("profile_stale_after_days", "errors.field.stale_days");
        let submitted: BTreeMap<String, bool> = SWITCHES
            .iter()
            .map(|k| ((*k).to_owned(), value(k).is_some()))
            .collect();
        let stale_days = stale_days.to_owned();
        return refused(
            &state,
            &page,
            &member,
            |forms| {
                forms.features = submitted;
                forms.stale_days = stale_days;
            },
            &errors,
        )
        .await;
    };
    let mut features = serde_json::Map::new();
    for key in SWITCHES {
        features.insert((*key).to_owned(), value(key).is_some().into());
    }
    features.insert("profile_stale_after_days".into(), stale.into());
    let features: Features = serde_json::from_value(serde_json::Value::Object(features))
        .map_err(|e| AppError::Internal(anyhow::anyhow!("features form: {e}")))?;
    save_section(&state, &member, Section::Features, |_| {
        serde_json::to_value(&features).unwrap_or_default()
    })
    .await?;
    Ok(saved("features"))
}

/// `POST /secretariat/settings/email`: one choice per category.
pub async fn save_email_defaults(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
    Form(form): Form<BTreeMap<String, String>>,
) -> Result<Response, AppError> {
    let chosen: serde_json::Map<String, serde_json::Value> = EmailCategory::ALL
        .iter()
        .filter_map(|c| {
            form.get(c.as_str())
                .map(|v| (c.as_str().to_owned(), v.clone().into()))
        })
        .collect();
    let parsed: Option<EmailDefaults> =
        serde_json::from_value(serde_json::Value::Object(chosen)).ok();
    let Some(defaults) = parsed.filter(|d| d.invalid().is_empty()) else {
        let mut errors = FieldErrors::new();
        errors.insert("email_defaults", "errors.field.choice");
        let submitted: BTreeMap<String, String> = form.clone();
        return refused(
            &state,
            &page,
            &member,
            |forms| forms.email.extend(submitted),
            &errors,
        )
        .await;
    };
    save_section(&state, &member, Section::EmailDefaults, |_| {
        serde_json::to_value(&defaults).unwrap_or_default()
    })
    .await?;
    Ok(saved("email"))
}

/// `POST /secretariat/settings/logo`: upload (or, with `remove`, take away) the header logo.
pub async fn save_logo(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    let mut bytes = None;
    let mut remove = false;
    let refuse = |key: &'static str| {
        let mut errors = FieldErrors::new();
        errors.insert("logo", key);
        errors
    };
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(_) => {
                let errors = refuse("errors.field.file_too_large");
                return refused(&state, &page, &member, |_| {}, &errors).await;
            }
        };
        match field.name() {
            Some("logo") => {
                bytes = Some(
                    field
                        .bytes()
                        .await
                        .map_err(|_| AppError::BadRequest("logo: unreadable upload".into()))?
                        .to_vec(),
                )
            }
            Some("remove") => remove = true,
            _ => {}
        }
    }
    let store = MediaStore::new(&state.config.data_dir);
    let new_key = if remove {
        String::new()
    } else {
        match store
            .save(member.tenant.id, MediaKind::Logo, bytes.unwrap_or_default())
            .await
            .map_err(anyhow::Error::from)?
        {
            Ok(key) => key,
            Err(error) => {
                let errors = refuse(error.message_key());
                return refused(&state, &page, &member, |_| {}, &errors).await;
            }
        }
    };
    let mut old_key = String::new();
    save_section(&state, &member, Section::Branding, |before| {
        old_key = before.branding.logo_key.clone();
        let mut branding = before.branding.clone();
        branding.logo_key = new_key.clone();
        serde_json::to_value(branding).unwrap_or_default()
    })
    .await?;
    if !old_key.is_empty() && old_key != new_key {
        store
            .delete(member.tenant.id, MediaKind::Logo, &old_key)
            .await;
    }
    Ok(saved("logo"))
}

/// `GET /branding/logo/{key}`: the network's logo, for every page of it (signed in or not). The
/// key changes with every upload, so the file may be cached for good.
pub async fn show_logo(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(key): Path<String>,
) -> Result<Response, AppError> {
    if visitor.branding.logo_key.is_empty() || key != visitor.branding.logo_key {
        return Err(AppError::NotFound);
    }
    let bytes = MediaStore::new(&state.config.data_dir)
        .read(visitor.id, MediaKind::Logo, &key)
        .await
        .ok_or(AppError::NotFound)?;
    Ok((
        [
            (header::CONTENT_TYPE, MediaKind::Logo.content_type()),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        bytes,
    )
        .into_response())
}
