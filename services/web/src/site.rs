//! Which site a request is for (resolved by the gateway's tenancy layer and stored in the request
//! extensions) and the extractors handlers use: [`CurrentMember`], [`MaybeMember`] and [`Page`]
//! (the access extractors, `Authorized` and `Visitor`, are in `access`).

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use tsunagu_tenancy::plans::PaymentStanding;
use tsunagu_tenancy::Tenant;

use crate::csrf::CsrfToken;
use crate::error::AppError;
use crate::i18n::{negotiate, Locale};
use crate::session::{Session, SessionData};
use crate::templates::{Layout, SiteView};
use crate::theme::{PLATFORM_ACCENT, PLATFORM_PRIMARY};
use crate::LANG_COOKIE;

/// The site a request is for. Unknown and suspended tenants never get this far.
#[derive(Clone, Debug)]
pub enum Site {
    /// The base domain: landing and onboarding.
    Apex,
    /// `console.{base}`: the customer-success console.
    Console,
    /// An active tenant's network.
    Tenant(Arc<Tenant>),
}

impl Site {
    pub fn kind(&self) -> &'static str {
        match self {
            Site::Apex => "apex",
            Site::Console => "console",
            Site::Tenant(_) => "tenant",
        }
    }

    pub fn tenant(&self) -> Option<&Arc<Tenant>> {
        match self {
            Site::Tenant(t) => Some(t),
            _ => None,
        }
    }

    /// Brand colours: the tenant's, or the platform's.
    pub fn colours(&self) -> (&str, &str) {
        match self {
            Site::Tenant(t) => (&t.branding.primary_color, &t.branding.accent_color),
            _ => (PLATFORM_PRIMARY, PLATFORM_ACCENT),
        }
    }

    /// `/theme.css?v=…`: the version changes whenever the colours do.
    pub fn theme_url(&self) -> String {
        let (primary, accent) = self.colours();
        let version = crate::assets::content_hash(format!("{primary}{accent}").as_bytes());
        format!("/theme.css?v={version}")
    }

    pub fn view(&self, lang: Locale, catalog: &crate::i18n::Catalog) -> SiteView {
        let theme_url = self.theme_url();
        match self {
            Site::Tenant(t) => {
                let standing = t.payment_standing_at(time::OffsetDateTime::now_utc());
                SiteView {
                    kind: "tenant",
                    name: t.name.clone(),
                    logo_text: t.branding.logo_text.clone(),
                    logo_url: (!t.branding.logo_key.is_empty())
                        .then(|| format!("/branding/logo/{}", t.branding.logo_key)),
                    tagline: t.branding.tagline.clone(),
                    theme_url,
                    has_events: t.features.events,
                    has_surveys: t.features.surveys,
                    has_messages: t.features.messages,
                    payment_state: match standing {
                        PaymentStanding::InGoodStanding => "",
                        PaymentStanding::Failed { .. } => "failed",
                        PaymentStanding::Paused => "paused",
                    },
                    payment_grace_until: match standing {
                        PaymentStanding::Failed { grace_until } => {
                            crate::dates::date(grace_until, lang, crate::dates::Zone::of(t))
                        }
                        _ => String::new(),
                    },
                }
            }
            Site::Apex => SiteView {
                kind: "apex",
                name: catalog.t(lang, "common.product", &[]),
                logo_text: "T".into(),
                logo_url: None,
                tagline: String::new(),
                theme_url,
                has_events: false,
                has_surveys: false,
                has_messages: false,
                payment_state: "",
                payment_grace_until: String::new(),
            },
            Site::Console => SiteView {
                kind: "console",
                name: catalog.t(lang, "console.title", &[]),
                logo_text: "CS".into(),
                logo_url: None,
                tagline: String::new(),
                theme_url,
                has_events: false,
                has_surveys: false,
                has_messages: false,
                payment_state: "",
                payment_grace_until: String::new(),
            },
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Site {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Site>()
            .cloned()
            .ok_or(AppError::NotFound)
    }
}

/// The value of one cookie from the `Cookie` headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The language for this request: the visitor's choice (cookie), the tenant's default, then
/// `Accept-Language`.
pub fn request_locale(headers: &HeaderMap, site: Option<&Site>) -> Locale {
    let chosen = cookie(headers, LANG_COOKIE).and_then(Locale::parse);
    let tenant_default = site
        .and_then(Site::tenant)
        .and_then(|t| Locale::parse(&t.default_locale));
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    negotiate(chosen, tenant_default, accept)
}

/// The host (with port, as sent) this request is for, after the trusted-proxy rule.
#[derive(Clone, Debug)]
pub struct EffectiveHost(pub String);

/// The visitor's address: the TCP peer, or the client named by a trusted proxy.
#[derive(Clone, Copy, Debug)]
pub struct ClientIp(pub std::net::IpAddr);

/// The signed-in member of this request (from the session), or a redirect to sign in.
#[derive(Clone, Debug)]
pub struct CurrentMember {
    pub tenant: Arc<Tenant>,
    pub session_id: String,
    pub data: SessionData,
}

impl CurrentMember {
    pub fn id(&self) -> tsunagu_kernel::MemberId {
        self.data.member_id
    }

    /// The casbin subjects of this visitor: a member's kind and role, or for platform staff
    /// within a support grant the grant's scopes (never a kind or role).
    pub fn subjects(&self) -> Vec<&'static str> {
        match &self.data.support {
            Some(support) => support.subjects(),
            None => vec![self.data.kind.as_str(), self.data.role.as_str()],
        }
    }

    /// Who acts in this visitor's transactions: the member, or the staff person under the grant.
    pub fn actor(&self) -> tsunagu_kernel::Actor {
        match &self.data.support {
            Some(support) => support.actor(),
            None => tsunagu_kernel::Actor::Member(self.data.member_id),
        }
    }

    pub fn is_secretariat(&self) -> bool {
        self.data.support.is_none() && self.data.role == tsunagu_kernel::MemberRole::Secretariat
    }

    /// Platform staff working in the network within a support grant.
    pub fn support(&self) -> Option<&crate::session::SupportAccess> {
        self.data.support.as_ref()
    }
}

fn path_and_query(parts: &Parts) -> String {
    parts
        .uri
        .path_and_query()
        .map(|pq| pq.as_str().to_owned())
        .unwrap_or_else(|| "/".into())
}

impl<S: Send + Sync> FromRequestParts<S> for CurrentMember {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let tenant = match parts.extensions.get::<Site>() {
            Some(Site::Tenant(tenant)) => tenant.clone(),
            _ => return Err(AppError::NotFound),
        };
        match parts.extensions.get::<Session>() {
            Some(session) if session.data.tenant_id == tenant.id => Ok(CurrentMember {
                tenant,
                session_id: session.id.clone(),
                data: session.data.clone(),
            }),
            _ => Err(AppError::SignInRequired(path_and_query(parts))),
        }
    }
}

/// The signed-in member, if any.
#[derive(Clone, Debug)]
pub struct MaybeMember(pub Option<CurrentMember>);

impl<S: Send + Sync> FromRequestParts<S> for MaybeMember {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Ok(MaybeMember(
            CurrentMember::from_request_parts(parts, state).await.ok(),
        ))
    }
}

/// The member as templates see it (header menu).
#[derive(Clone, Debug, serde::Serialize)]
pub struct MemberView {
    pub display_name: String,
    pub is_secretariat: bool,
    pub unread_notifications: i64,
    /// Conversations with messages the member has not read.
    pub unread_messages: i64,
    /// Set for platform staff within a support grant: the header shows a support bar and only
    /// the sections the grant's scopes reach.
    pub support: Option<SupportView>,
    /// For the secretariat: the end of the network's live support grant ("CS is helping you
    /// until …"), formatted.
    pub cs_helping_until: Option<String>,
}

/// The support bar of a staff person working in the network.
#[derive(Clone, Debug, serde::Serialize)]
pub struct SupportView {
    pub staff_name: String,
    pub until: String,
    pub scopes: Vec<String>,
}

/// What a page handler needs to render: the site, the language, the visitor, the CSRF token and
/// the layout context.
#[derive(Clone, Debug)]
pub struct Page {
    pub site: Site,
    pub lang: Locale,
    pub path: String,
    pub csrf_token: String,
    pub member: Option<MemberView>,
    /// A whitelisted notice key from `?notice=` (shown as a flash message).
    pub notice: Option<String>,
}

/// A token for one rendering of a create form.
pub fn new_form_token() -> String {
    uuid::Uuid::new_v4().to_string()
}

impl Page {
    /// The zone this site's dates are shown in (the tenant's; Japan time elsewhere).
    pub fn zone(&self) -> crate::dates::Zone {
        match &self.site {
            Site::Tenant(tenant) => crate::dates::Zone::of(tenant),
            _ => crate::dates::Zone::JAPAN,
        }
    }

    pub fn layout(&self, catalog: &crate::i18n::Catalog) -> Layout {
        let notice = self
            .notice
            .as_ref()
            .map(|key| format!("notices.{key}"))
            .filter(|key| catalog.get(self.lang, key).is_some());
        Layout {
            lang: self.lang,
            other_lang: self.lang.other(),
            site: self.site.view(self.lang, catalog),
            current_path: self.path.clone(),
            csrf_token: self.csrf_token.clone(),
            form_token: new_form_token(),
            member: self.member.clone(),
            notice,
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Page {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let site = Site::from_request_parts(parts, state).await?;
        let session = parts.extensions.get::<Session>();
        let chosen = session
            .and_then(|s| s.data.locale.as_deref())
            .and_then(Locale::parse);
        let lang = match chosen {
            Some(lang) => lang,
            None => request_locale(&parts.headers, Some(&site)),
        };
        let unread = parts
            .extensions
            .get::<crate::session::UnreadCounts>()
            .copied()
            .unwrap_or_default();
        let zone = match &site {
            Site::Tenant(tenant) => crate::dates::Zone::of(tenant),
            _ => crate::dates::Zone::JAPAN,
        };
        let when = |unix: i64| {
            time::OffsetDateTime::from_unix_timestamp(unix)
                .map(|at| crate::dates::datetime(at, lang, zone))
                .unwrap_or_default()
        };
        let helping_until = parts
            .extensions
            .get::<crate::session::SupportUntil>()
            .map(|until| until.0);
        let member = session.map(|s| {
            let is_secretariat =
                s.data.support.is_none() && s.data.role == tsunagu_kernel::MemberRole::Secretariat;
            MemberView {
                display_name: s.data.display_name.clone(),
                is_secretariat,
                unread_notifications: unread.notifications,
                unread_messages: unread.messages,
                support: s.data.support.as_ref().map(|support| SupportView {
                    staff_name: support.staff_name.clone(),
                    until: when(support.until),
                    scopes: support.scopes.clone(),
                }),
                cs_helping_until: helping_until.filter(|_| is_secretariat).map(when),
            }
        });
        let csrf_token = parts
            .extensions
            .get::<CsrfToken>()
            .map(|t| t.0.clone())
            .unwrap_or_default();
        let notice = parts.uri.query().and_then(|q| {
            q.split('&')
                .find_map(|pair| pair.strip_prefix("notice="))
                .filter(|key| {
                    !key.is_empty() && key.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
                })
                .map(str::to_owned)
        });
        Ok(Page {
            site,
            lang,
            path: path_and_query(parts),
            csrf_token,
            member,
            notice,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_one_cookie_among_many() {
        let mut headers = HeaderMap::new();
        headers.append(header::COOKIE, "a=1; tsunagu_lang=en".parse().unwrap());
        headers.append(header::COOKIE, "b=2".parse().unwrap());
        assert_eq!(cookie(&headers, "tsunagu_lang"), Some("en"));
        assert_eq!(cookie(&headers, "b"), Some("2"));
        assert_eq!(cookie(&headers, "c"), None);
        assert_eq!(request_locale(&headers, None), Locale::En);
    }
}
