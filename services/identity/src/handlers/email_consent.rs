//! Email consent: the member's choices on the account page, and the unsubscribe link every
//! category email carries, which works signed out (a page with a button) and as the RFC 8058
//! one-click POST that mail clients send themselves.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use serde::Serialize;
use subtle::ConstantTimeEq;
use tsunagu_kernel::{Actor, MemberId};
use tsunagu_tenancy::{EmailCategory, EmailDefaults, EmailDelivery, Tenant};
use tsunagu_web::{AppError, AppState, Authorized, Page, Visitor};

use super::{redirect_with_cookies, render_page};
use crate::queries::consent::{self, ConsentSource};

/// One row of the settings table: a category, what applies now and what it may be.
#[derive(Serialize)]
pub struct CategoryView {
    category: EmailCategory,
    current: EmailDelivery,
    network_default: EmailDelivery,
    choices: &'static [EmailDelivery],
}

/// One line of the member's consent history.
#[derive(Serialize)]
pub struct ChangeView {
    category: EmailCategory,
    delivery: EmailDelivery,
    source: ConsentSource,
    at_iso: String,
    at_label: String,
}

impl ChangeView {
    pub fn of(change: consent::ConsentChange, page: &Page) -> Self {
        Self {
            category: change.category,
            delivery: change.delivery,
            source: change.source,
            at_iso: tsunagu_web::dates::iso(change.changed_at),
            at_label: tsunagu_web::dates::datetime(change.changed_at, page.lang, page.zone()),
        }
    }
}

/// The rows of the email settings, in the catalogue's order.
pub fn category_views(
    own: &HashMap<EmailCategory, EmailDelivery>,
    defaults: &EmailDefaults,
) -> Vec<CategoryView> {
    EmailCategory::ALL
        .iter()
        .map(|&category| CategoryView {
            category,
            current: own
                .get(&category)
                .copied()
                .unwrap_or_else(|| defaults.of(category)),
            network_default: defaults.of(category),
            choices: category.choices(),
        })
        .collect()
}

/// `POST /account/email`: one radio group per category, `c_<category>` = a delivery. Unknown
/// or missing values leave that category as it is; a delivery the category does not offer is a
/// bad request (the page never sends one).
pub async fn update_email_preferences(
    State(state): State<AppState>,
    member: Authorized,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let mut wanted = Vec::new();
    for category in EmailCategory::ALL.iter().copied() {
        let Some(value) = form.get(&format!("c_{category}")) else {
            continue;
        };
        match EmailDelivery::parse(value) {
            Some(delivery) if category.allows(delivery) => wanted.push((category, delivery)),
            _ => {
                return Err(AppError::BadRequest(format!(
                    "{category}: not a choice of this category"
                )))
            }
        }
    }
    let mut tx = member.begin(&state).await?;
    let changed = consent::set(
        &mut tx,
        member.id(),
        &member.tenant.email_defaults,
        &wanted,
        ConsentSource::Settings,
    )
    .await?;
    if changed > 0 {
        tsunagu_kernel::audit::record(
            &mut tx,
            "email_consent.changed",
            "member",
            Some(member.id().as_uuid()),
            serde_json::json!({ "categories": changed, "source": "settings" }),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(redirect_with_cookies("/account?notice=saved#email", &[]))
}

/// Whether the link's signature is this network's, for this member and category.
fn signed(
    state: &AppState,
    tenant: &Tenant,
    member: MemberId,
    category: EmailCategory,
    signature: &str,
) -> bool {
    let expected = crate::email::unsubscribe_signature(
        state.config.secret_key.expose(),
        tenant.id,
        member,
        category,
    );
    bool::from(expected.as_bytes().ct_eq(signature.as_bytes()))
}

/// The link's parts, checked; `None` for a link that is not ours (shown as "not found").
fn read_link(
    state: &AppState,
    tenant: &Tenant,
    (member, category, signature): &(MemberId, String, String),
) -> Option<(MemberId, EmailCategory)> {
    let category = EmailCategory::parse(category)?;
    signed(state, tenant, *member, category, signature).then_some((*member, category))
}

fn unsubscribe_page(
    state: &AppState,
    page: &Page,
    category: EmailCategory,
    done: bool,
) -> Result<Response, AppError> {
    render_page(
        state,
        page,
        "identity/unsubscribe.html",
        StatusCode::OK,
        |c| {
            c.insert("category", &category);
            c.insert("done", &done);
            c.insert(
                "title_key",
                if done {
                    "email_consent.unsubscribed_title"
                } else {
                    "email_consent.unsubscribe_title"
                },
            );
        },
    )
}

/// `GET /email/unsubscribe/{member}/{category}/{signature}`: what the link will turn off, with
/// a button (a GET changes nothing: mail scanners follow links).
pub async fn show_unsubscribe(
    State(state): State<AppState>,
    visitor: Visitor,
    page: Page,
    Path(link): Path<(MemberId, String, String)>,
) -> Result<Response, AppError> {
    let (member, category) =
        read_link(&state, visitor.tenant(), &link).ok_or(AppError::NotFound)?;
    let mut tx = visitor.begin(&state, Actor::Anonymous).await?;
    let own = consent::choices(&mut tx, member).await?;
    tx.commit().await?;
    let off = own
        .get(&category)
        .copied()
        .unwrap_or_else(|| visitor.tenant().email_defaults.of(category))
        == EmailDelivery::Off;
    unsubscribe_page(&state, &page, category, off)
}

/// `POST` of the same address: from the page's button, or from a mail client's one-click
/// unsubscribe (RFC 8058, body `List-Unsubscribe=One-Click`, no cookie, no token: the
/// signature is the authority, and the CSRF layer lets this path through for that reason).
pub async fn unsubscribe(
    State(state): State<AppState>,
    visitor: Visitor,
    page: Page,
    Path(link): Path<(MemberId, String, String)>,
) -> Result<Response, AppError> {
    let (member, category) =
        read_link(&state, visitor.tenant(), &link).ok_or(AppError::NotFound)?;
    let mut tx = visitor.begin(&state, Actor::Anonymous).await?;
    let changed = consent::set(
        &mut tx,
        member,
        &visitor.tenant().email_defaults,
        &[(category, EmailDelivery::Off)],
        ConsentSource::UnsubscribeLink,
    )
    .await?;
    if changed > 0 {
        tsunagu_kernel::audit::record(
            &mut tx,
            "email_consent.unsubscribed",
            "member",
            Some(member.as_uuid()),
            serde_json::json!({ "category": category, "source": "unsubscribe_link" }),
        )
        .await?;
    }
    tx.commit().await?;
    unsubscribe_page(&state, &page, category, true)
}
