//! The tenancy layer: runs before any site code. It finds the host the visitor asked for (the
//! `Host` header, or `X-Forwarded-Host` when the peer is a configured trusted proxy), classifies
//! it, resolves tenants through the registry cache, and either stores the [`Site`] in the request
//! or answers at once: 404 for unknown hosts and reserved labels, 410 for suspended tenants.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use ipnet::IpNet;
use tsunagu_tenancy::{classify_host, HostTarget, TenantStatus};
use tsunagu_web::error::ErrorPage;
use tsunagu_web::site::request_locale;
use tsunagu_web::{ClientIp, EffectiveHost, Site};

/// What a pending network serves (docs/ONBOARDING.md): the confirmation link of its first
/// secretariat, the stylesheet and the language switch of that page, and in development the
/// outbox page holding that link (a 404 in production by itself).
const PENDING_NETWORK_PATHS: &[&str] = &["/verify-email", "/theme.css", "/lang", "/_dev/mail"];

use crate::common::render_error_page;
use tsunagu_web::AppState;

pub fn peer_ip(request: &Request) -> Option<IpAddr> {
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
}

/// `X-Forwarded-Host` counts only when the TCP peer is a trusted proxy; otherwise anyone could
/// claim to be any tenant's host.
pub fn effective_host(
    headers: &HeaderMap,
    peer: Option<IpAddr>,
    trusted: &[IpNet],
) -> Option<String> {
    let from_trusted_proxy = peer.is_some_and(|ip| trusted.iter().any(|net| net.contains(&ip)));
    if from_trusted_proxy {
        if let Some(forwarded) = headers
            .get("x-forwarded-host")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .map(str::trim)
            .filter(|v| !v.is_empty())
        {
            return Some(forwarded.to_owned());
        }
    }
    headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// The visitor's address: from a trusted proxy, the right-most `X-Forwarded-For` entry that is
/// not itself a trusted proxy (entries further left can be forged by the client); otherwise the
/// TCP peer.
pub fn client_ip(headers: &HeaderMap, peer: Option<IpAddr>, trusted: &[IpNet]) -> Option<IpAddr> {
    let peer = peer?;
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return Some(peer);
    }
    let forwarded: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    Some(
        forwarded
            .into_iter()
            .rev()
            .find(|ip| !is_trusted(ip))
            .unwrap_or(peer),
    )
}

pub async fn resolve_site(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let host = effective_host(
        request.headers(),
        peer_ip(&request),
        &state.config.trusted_proxies,
    )
    .or_else(|| request.uri().authority().map(|a| a.to_string()));
    let target = host
        .as_deref()
        .map(|h| classify_host(h, &state.config.base_domain))
        .unwrap_or(HostTarget::Invalid);

    let resolved = match &target {
        HostTarget::Apex => Ok(Some(Site::Apex)),
        HostTarget::Console => Ok(Some(Site::Console)),
        HostTarget::Reserved(_) | HostTarget::Invalid => Ok(None),
        HostTarget::Tenant(slug) => state
            .registry
            .resolve_slug(slug.as_str())
            .await
            .map(|t| t.map(Site::Tenant)),
        HostTarget::CustomDomain(hostname) => state
            .registry
            .resolve_custom_domain(hostname)
            .await
            .map(|t| t.map(Site::Tenant)),
    };

    let site = match resolved {
        Ok(Some(site)) => site,
        Ok(None) => return not_found(&state, request.headers(), host.as_deref()),
        Err(error) => {
            tracing::error!(error = %error, "tenant resolution failed");
            let lang = request_locale(request.headers(), None);
            return render_error_page(
                &state,
                StatusCode::SERVICE_UNAVAILABLE,
                &Site::Apex,
                lang,
                None,
                None,
                None,
            );
        }
    };

    if let Site::Tenant(tenant) = &site {
        tracing::Span::current().record("tenant.id", tracing::field::display(tenant.id));
        // Other networks' expensive requests are metered while this one is being served.
        state.expensive.saw(tenant.id);
        // A network signed up on the apex site serves nothing but the confirmation of its first
        // secretariat's address (and what that page needs) until that confirmation opens it.
        let waiting = tenant.status == TenantStatus::Pending
            && !PENDING_NETWORK_PATHS.contains(&request.uri().path());
        if waiting {
            let lang = request_locale(request.headers(), Some(&site));
            return render_error_page(
                &state,
                StatusCode::NOT_FOUND,
                &Site::Apex,
                lang,
                None,
                None,
                None,
            );
        }
        if tenant.status == TenantStatus::Suspended {
            let lang = request_locale(request.headers(), Some(&site));
            // Platform branding: a suspended network is not shown as if it were running.
            return render_error_page(
                &state,
                StatusCode::GONE,
                &Site::Apex,
                lang,
                None,
                None,
                None,
            );
        }
    }

    if let Some(ip) = client_ip(
        request.headers(),
        peer_ip(&request),
        &state.config.trusted_proxies,
    ) {
        request.extensions_mut().insert(ClientIp(ip));
    }
    request
        .extensions_mut()
        .insert(EffectiveHost(host.unwrap_or_default()));
    request.extensions_mut().insert(site);
    next.run(request).await
}

/// The 404 for hosts that are no network. Its home link points at the apex site, since `/` on an
/// unknown host would only be this page again.
fn not_found(state: &AppState, headers: &HeaderMap, host: Option<&str>) -> Response {
    let lang = request_locale(headers, None);
    let port = host
        .and_then(|h| h.rsplit_once(':'))
        .map(|(_, p)| p)
        .filter(|p| p.bytes().all(|b| b.is_ascii_digit()))
        .map(|p| format!(":{p}"))
        .unwrap_or_default();
    let scheme = if state.config.https { "https" } else { "http" };
    let apex = format!("{scheme}://{}{port}/", state.config.base_domain);
    let mut response = render_error_page(
        state,
        StatusCode::NOT_FOUND,
        &Site::Apex,
        lang,
        None,
        Some(&apex),
        None,
    );
    response
        .extensions_mut()
        .insert(ErrorPage(StatusCode::NOT_FOUND));
    response.into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_ip_trusts_forwarded_for_only_from_proxies() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            "6.6.6.6, 203.0.113.7, 10.0.0.9".parse().unwrap(),
        );
        let proxy: IpAddr = "10.1.1.1".parse().unwrap();
        let direct: IpAddr = "198.51.100.2".parse().unwrap();
        assert_eq!(
            client_ip(&headers, Some(proxy), &trusted),
            Some("203.0.113.7".parse().unwrap())
        );
        assert_eq!(client_ip(&headers, Some(direct), &trusted), Some(direct));
        assert_eq!(
            client_ip(&HeaderMap::new(), Some(proxy), &trusted),
            Some(proxy)
        );
    }
}
