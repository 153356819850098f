//! `/start` on the apex site: a company signs up its network (docs/ONBOARDING.md).
//!
//! The subdomain is checked as the company types (`/start/availability`, htmx) and again at
//! submit, where the unique constraint on `platform.tenants.slug` decides a race: the loser sees
//! the form again with everything it typed (but the password) and a message on the subdomain.
//! The network is created pending with its first secretariat in one transaction; the emailed
//! link (identity's `/verify-email` on the new subdomain) opens it.

use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use serde::{Deserialize, Serialize};
use tsunagu_identity::email::{self, EmailSpec};
use tsunagu_identity::forms::{self, EmailAddress, FieldErrors};
use tsunagu_identity::queries::{self as identity, NewMember, TokenPurpose};
use tsunagu_kernel::{MemberKind, MemberRole, MemberStatus};
use tsunagu_tenancy::plans::{self, Plan};
use tsunagu_tenancy::signup_queries::{self, NewNetwork, SLUG_TAKEN_CONSTRAINT};
use tsunagu_tenancy::slug::SlugError;
use tsunagu_tenancy::Slug;
use tsunagu_web::forms::render_page;
use tsunagu_web::{AppError, AppState, ClientIp, Page};

/// Sign-ups one address may make in an hour: a company signs up once; this stops a script from
/// claiming subdomains by the thousand.
const SIGNUPS_PER_HOUR: u32 = 10;

/// What the form posts. Every field is kept to show the form again, but the password.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct StartForm {
    #[serde(default)]
    pub company: String,
    #[serde(default)]
    pub slug: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub email: String,
    #[serde(default, skip_serializing)]
    pub password: String,
    #[serde(default)]
    pub language: String,
    #[serde(default)]
    pub plan: String,
}

struct ValidStart {
    company: String,
    slug: Slug,
    name: String,
    email: EmailAddress,
    password: String,
    language: &'static str,
    plan: &'static Plan,
}

/// The plans a company may choose itself, for the form.
#[derive(Serialize)]
struct PlanChoice {
    key: &'static str,
    name_ja: &'static str,
    name_en: &'static str,
    /// The list price per month, with thousands separators (`30,000`).
    monthly_yen_text: String,
    /// With thousands separators (none: no cap).
    member_cap: Option<String>,
    paid: bool,
}

/// `30000` → `30,000` (yen are written with thousands separators in both languages).
pub fn group_thousands(value: u32) -> String {
    let digits = value.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn plan_choices() -> Vec<PlanChoice> {
    plans::plans()
        .iter()
        .filter(|p| p.is_self_serve())
        .map(|p| PlanChoice {
            key: &p.key,
            name_ja: &p.name.ja,
            name_en: &p.name.en,
            monthly_yen_text: group_thousands(p.monthly_yen.unwrap_or(0)),
            member_cap: p.member_cap.map(group_thousands),
            paid: p.is_paid(),
        })
        .collect()
}

/// The message key for a subdomain that cannot be had, or `None` when it is well formed.
fn slug_error(error: &SlugError) -> &'static str {
    match error {
        SlugError::Length => "onboarding.slug_length",
        SlugError::Characters => "onboarding.slug_characters",
        SlugError::Reserved(_) => "onboarding.slug_reserved",
    }
}

/// What a company types as its subdomain, the way it will be used: trimmed and lowercased (a
/// hostname is case-insensitive), nothing else changed.
fn normalise_slug(input: &str) -> String {
    input.trim().to_ascii_lowercase()
}

fn validate(form: &StartForm) -> Result<ValidStart, FieldErrors> {
    let mut errors = FieldErrors::new();
    let company = forms::text(&form.company, 1, 100)
        .map_err(|e| errors.insert("company", e))
        .ok();
    let slug = Slug::parse(&normalise_slug(&form.slug))
        .map_err(|e| errors.insert("slug", slug_error(&e)))
        .ok();
    let name = forms::text(&form.name, 1, 100)
        .map_err(|e| errors.insert("name", e))
        .ok();
    let email = EmailAddress::parse(&form.email)
        .map_err(|e| errors.insert("email", e))
        .ok();
    let password = forms::password(&form.password)
        .map_err(|e| errors.insert("password", e))
        .ok();
    let language = match form.language.as_str() {
        "ja" => Some("ja"),
        "en" => Some("en"),
        _ => {
            errors.insert("language", "errors.field.required");
            None
        }
    };
    let plan = plans::find(&form.plan)
        .filter(|p| p.is_self_serve())
        .or_else(|| {
            errors.insert("plan", "errors.field.required");
            None
        });
    match (company, slug, name, email, password, language, plan) {
        (
            Some(company),
            Some(slug),
            Some(name),
            Some(email),
            Some(password),
            Some(language),
            Some(plan),
        ) if errors.is_empty() => Ok(ValidStart {
            company,
            slug,
            name,
            email,
            password,
            language,
            plan,
        }),
        _ => Err(errors),
    }
}

fn render_start(
    state: &AppState,
    page: &Page,
    form: &StartForm,
    errors: &FieldErrors,
    status: StatusCode,
) -> Result<Response, AppError> {
    render_page(state, page, "onboarding/start.html", status, |c| {
        c.insert("form", form);
        c.insert("errors", errors);
        c.insert("plans", &plan_choices());
        c.insert("base_domain", &state.config.base_domain);
        c.insert("password_min", &tsunagu_identity::password::MIN_LENGTH);
    })
}

#[derive(Debug, Default, Deserialize)]
pub struct StartQuery {
    #[serde(default)]
    plan: String,
}

/// `GET /start` (apex): the sign-up form, in the visitor's language, with the plan from the
/// link (`?plan=standard`) chosen.
pub async fn show_start(
    State(state): State<AppState>,
    page: Page,
    Query(query): Query<StartQuery>,
) -> Result<Response, AppError> {
    let plan = plans::find(&query.plan)
        .filter(|p| p.is_self_serve())
        .map_or("free", |p| p.key.as_str());
    let form = StartForm {
        language: page.lang.as_str().to_owned(),
        plan: plan.to_owned(),
        ..StartForm::default()
    };
    render_start(&state, &page, &form, &FieldErrors::new(), StatusCode::OK)
}

#[derive(Debug, Default, Deserialize)]
pub struct AvailabilityQuery {
    #[serde(default)]
    slug: String,
}

/// What the availability check found, for its fragment.
#[derive(Serialize)]
struct Availability {
    /// `available`, `taken` or `invalid`.
    state: &'static str,
    /// The message key.
    key: &'static str,
    slug: String,
    address: String,
}

/// `GET /start/availability?slug=…` (apex, htmx): whether a subdomain can be had, as a small
/// fragment under the field. Advice only: the submit decides under the unique constraint.
pub async fn check_availability(
    State(state): State<AppState>,
    page: Page,
    client: Option<axum::Extension<ClientIp>>,
    Query(query): Query<AvailabilityQuery>,
) -> Result<Response, AppError> {
    let typed = normalise_slug(&query.slug);
    let (availability_state, key) = match Slug::parse(&typed) {
        Err(error) => ("invalid", slug_error(&error)),
        Ok(slug) => {
            // Checked per keystroke pause; the limit only stops a script walking the namespace.
            if let Some(axum::Extension(ClientIp(ip))) = client {
                let key = format!(
                    "p:rl:availability:ip:{}",
                    tsunagu_identity::handlers::throttled_address(ip)
                );
                if state
                    .rate_limiter
                    .hit(&key, 120, Duration::from_secs(60))
                    .await
                    .is_err()
                {
                    return Ok(StatusCode::TOO_MANY_REQUESTS.into_response());
                }
            }
            let mut tx = state.db.begin_platform().await?;
            let taken = signup_queries::slug_is_taken(&mut tx, slug.as_str()).await?;
            tx.commit().await?;
            if taken {
                ("taken", "onboarding.slug_taken")
            } else {
                ("available", "onboarding.slug_available")
            }
        }
    };
    let availability = Availability {
        state: availability_state,
        key,
        address: format!("{typed}.{}", state.config.base_domain),
        slug: typed,
    };
    let mut context = page.layout(&state.web.catalog).context();
    context.insert("availability", &availability);
    Ok(Html(state.web.render("onboarding/availability.html", &context)?).into_response())
}

/// `POST /start` (apex): creates the pending network and its first secretariat, and emails the
/// link that opens it.
pub async fn create_network(
    State(state): State<AppState>,
    page: Page,
    client: Option<axum::Extension<ClientIp>>,
    Form(form): Form<StartForm>,
) -> Result<Response, AppError> {
    let valid = match validate(&form) {
        Ok(valid) => valid,
        Err(errors) => {
            return render_start(
                &state,
                &page,
                &form,
                &errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
    };
    if let Some(axum::Extension(ClientIp(ip))) = client {
        let key = format!(
            "p:rl:signup:ip:{}",
            tsunagu_identity::handlers::throttled_address(ip)
        );
        if state
            .rate_limiter
            .hit(&key, SIGNUPS_PER_HOUR, Duration::from_secs(3600))
            .await
            .is_err()
        {
            let mut errors = FieldErrors::new();
            errors.insert("form", "onboarding.too_many_signups");
            return render_start(&state, &page, &form, &errors, StatusCode::TOO_MANY_REQUESTS);
        }
    }
    // A subdomain already held is refused before the password is hashed; a race past this
    // check is decided by the insert below.
    let mut tx = state.db.begin_platform().await?;
    let taken = signup_queries::slug_is_taken(&mut tx, valid.slug.as_str()).await?;
    let pending = signup_queries::pending_network(&mut tx, valid.slug.as_str()).await?;
    tx.commit().await?;
    if let Some(pending) = pending {
        // The same company signing up again (a lost email, an expired link): a new link.
        if send_link_again(&state, pending, &valid).await? {
            return Ok(check_email_redirect(&valid.slug));
        }
        return slug_taken(&state, &page, &form);
    }
    if taken {
        return slug_taken(&state, &page, &form);
    }
    // Hashed with no transaction open: argon2 takes a while and a pooled connection should not
    // wait on it.
    let password_hash = tsunagu_identity::password::hash(valid.password.clone()).await?;

    let mut tx = tsunagu_web::access::begin_new_network(&state).await?;
    let created = signup_queries::create_pending(
        &mut tx,
        &NewNetwork {
            slug: &valid.slug,
            name: &valid.company,
            default_locale: valid.language,
            time_zone: "Asia/Tokyo",
            chosen_plan: &valid.plan.key,
        },
    )
    .await;
    match created {
        Ok(()) => {}
        Err(error) if error.constraint() == Some(SLUG_TAKEN_CONSTRAINT) => {
            tx.rollback().await?;
            return slug_taken(&state, &page, &form);
        }
        Err(error) => return Err(error.into()),
    }
    let member_id = identity::insert_member(
        &mut tx,
        &NewMember {
            email: &valid.email.address,
            email_normalized: &valid.email.normalized,
            password_hash: &password_hash,
            kind: MemberKind::Employee,
            status: MemberStatus::PendingVerification,
            email_verified: false,
            name_kanji: &valid.name,
            name_kana: "",
            name_romaji: "",
            joined_year: None,
            left_year: None,
            department: "",
            current_organisation: "",
            preferred_locale: Some(valid.language),
        },
    )
    .await?;
    identity::set_role(&mut tx, member_id, MemberRole::Secretariat).await?;
    tsunagu_kernel::audit::record(
        &mut tx,
        "network.signed_up",
        "member",
        Some(member_id.as_uuid()),
        serde_json::json!({ "slug": valid.slug.as_str(), "plan": valid.plan.key }),
    )
    .await?;
    let tenant = tsunagu_tenancy::registry::find_of_transaction(&mut tx)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("the new network is not readable")))?;
    send_confirmation(&state, &mut tx, &tenant, &valid, member_id).await?;
    tx.commit().await?;
    tracing::info!(tenant.slug = %valid.slug, "network signed up, waiting for confirmation");
    Ok(check_email_redirect(&valid.slug))
}

fn check_email_redirect(slug: &Slug) -> Response {
    Redirect::to(&format!("/start/check-email?network={slug}")).into_response()
}

/// Queues the email with the link that opens the network.
async fn send_confirmation(
    state: &AppState,
    tx: &mut tsunagu_kernel::TenantTx,
    tenant: &tsunagu_tenancy::Tenant,
    valid: &ValidStart,
    member: tsunagu_kernel::MemberId,
) -> Result<(), AppError> {
    let token = identity::issue_token(tx, member, TokenPurpose::VerifyEmail).await?;
    let origin = state.config.tenant_origin(valid.slug.as_str());
    email::send(
        tx,
        &state.web,
        tenant,
        &EmailSpec {
            kind: "network_confirm",
            to: &valid.email.address,
            recipient_name: Some(&valid.name),
            locale: tsunagu_web::Locale::parse(valid.language).unwrap_or(tsunagu_web::Locale::Ja),
            args: vec![
                (
                    "hours",
                    TokenPurpose::VerifyEmail
                        .lifetime()
                        .whole_hours()
                        .to_string(),
                ),
                ("address", origin.clone()),
            ],
            action_url: Some(format!("{origin}/verify-email?token={token}")),
        },
    )
    .await?;
    Ok(())
}

/// Sends the confirmation link of a pending network again when the sign-up repeats its first
/// secretariat's address and password (whoever else tries gets "taken", as for any network).
async fn send_link_again(
    state: &AppState,
    pending: tsunagu_kernel::TenantId,
    valid: &ValidStart,
) -> Result<bool, AppError> {
    let mut tx = tsunagu_web::access::begin_pending_network(state, pending).await?;
    let member = identity::find_by_email(&mut tx, &valid.email.normalized).await?;
    let Some(member) = member.filter(|m| {
        m.role == MemberRole::Secretariat && m.status == MemberStatus::PendingVerification
    }) else {
        tx.rollback().await?;
        return Ok(false);
    };
    let tenant = tsunagu_tenancy::registry::find_of_transaction(&mut tx).await?;
    tx.commit().await?;
    // Checked with no transaction open (argon2 takes a while).
    let same_person = tsunagu_identity::password::verify(
        valid.password.clone(),
        Some(member.password_hash.clone()),
    )
    .await;
    let Some(tenant) = tenant.filter(|_| same_person) else {
        return Ok(false);
    };
    let mut tx = tsunagu_web::access::begin_pending_network(state, pending).await?;
    send_confirmation(state, &mut tx, &tenant, valid, member.id).await?;
    tx.commit().await?;
    tracing::info!(tenant.slug = %valid.slug, "confirmation link sent again");
    Ok(true)
}

/// The answer to a subdomain someone else holds: the form again, as typed, with the message on
/// the subdomain field.
fn slug_taken(state: &AppState, page: &Page, form: &StartForm) -> Result<Response, AppError> {
    let mut errors = FieldErrors::new();
    errors.insert("slug", "onboarding.slug_taken");
    render_start(state, page, form, &errors, StatusCode::CONFLICT)
}

#[derive(Debug, Default, Deserialize)]
pub struct CheckEmailQuery {
    #[serde(default)]
    network: String,
}

/// `GET /start/check-email` (apex): "we sent you a link".
pub async fn show_check_email(
    State(state): State<AppState>,
    page: Page,
    Query(query): Query<CheckEmailQuery>,
) -> Result<Response, AppError> {
    // Only a well-formed subdomain is echoed into the page.
    let address = Slug::parse(&query.network)
        .ok()
        .map(|slug| format!("{}.{}", slug, state.config.base_domain));
    // In development there is no mail server: point at the network's outbox page.
    let dev_mail = Slug::parse(&query.network)
        .ok()
        .filter(|_| state.is_development())
        .map(|slug| format!("{}/_dev/mail", state.config.tenant_origin(slug.as_str())));
    render_page(
        &state,
        &page,
        "onboarding/check_email.html",
        StatusCode::OK,
        |c| {
            c.insert("address", &address);
            c.insert("dev_mail", &dev_mail);
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filled() -> StartForm {
        StartForm {
            company: "Example Corp".into(),
            slug: " Example-Corp ".into(),
            name: "山田 花子".into(),
            email: "hanako@example.com".into(),
            password: "a long enough password".into(),
            language: "ja".into(),
            plan: "standard".into(),
        }
    }

    #[test]
    fn prices_are_grouped_in_thousands() {
        assert_eq!(group_thousands(0), "0");
        assert_eq!(group_thousands(999), "999");
        assert_eq!(group_thousands(30000), "30,000");
        assert_eq!(group_thousands(1234567), "1,234,567");
    }

    #[test]
    fn a_filled_form_is_valid_and_its_subdomain_lowercased() {
        let valid = validate(&filled()).unwrap();
        assert_eq!(valid.slug.as_str(), "example-corp");
        assert_eq!(valid.plan.key, "standard");
    }

    #[test]
    fn reserved_malformed_and_sales_only_choices_are_refused() {
        for (slug, key) in [
            ("console", "onboarding.slug_reserved"),
            ("www", "onboarding.slug_reserved"),
            ("a", "onboarding.slug_length"),
            ("exa--mple", "onboarding.slug_characters"),
            ("exa_mple", "onboarding.slug_characters"),
            ("-example", "onboarding.slug_characters"),
        ] {
            let form = StartForm {
                slug: slug.into(),
                ..filled()
            };
            let errors = validate(&form).err().unwrap();
            assert_eq!(errors.get("slug").copied(), Some(key), "{slug}");
        }
        let form = StartForm {
            plan: "enterprise".into(),
            ..filled()
        };
        assert!(validate(&form).err().unwrap().contains_key("plan"));
    }
}
