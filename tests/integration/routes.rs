//! The route table test: every route of a tenant's site is declared public or bound to a
//! permission (`Routes::public` / `Routes::member`), each binding agrees with the casbin matrix,
//! and the binding is what the server enforces: a visitor who is not signed in is sent to sign
//! in, and a member without the permission is refused, before any handler reads tenant data.
//! The routes come from the router's own table, so a route added tomorrow is checked too.

use axum::http::StatusCode;
use tsunagu_authz::Permission;
use tsunagu_testkit::TestApp;
use tsunagu_web::Access;

use crate::community::{member, signed_in};
use crate::identity::app;

/// A concrete path for a route pattern (unknown ids: the refusal must come before any lookup).
pub(crate) fn concrete(pattern: &str) -> String {
    pattern
        .split('/')
        .map(|segment| {
            if segment.starts_with('{') {
                uuid::Uuid::now_v7().to_string()
            } else {
                segment.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn bindings() -> Vec<(&'static str, Access)> {
    tsunagu_gateway::app::tenant_routes()
        .entries()
        .iter()
        .map(|entry| (entry.path, entry.access))
        .collect()
}

#[tokio::test]
async fn every_tenant_route_is_public_or_bound_to_a_permission_the_matrix_knows() {
    let app = app().await;
    let tenant = app
        .state
        .registry
        .resolve_slug("demo")
        .await
        .unwrap()
        .expect("the demo tenant");
    let bindings = bindings();
    assert!(bindings.len() > 40, "the route table lists every route");
    let holds = |subjects: &'static [&'static str], permission: Permission| {
        let authz = &app.state.authz;
        let tenant = tenant.clone();
        async move { authz.can(&tenant, subjects, permission).await }
    };
    for (path, access) in &bindings {
        assert!(
            !matches!(access, Access::Staff(_)),
            "{path}: a tenant route bound to a staff role"
        );
        let Access::Member(permission) = *access else {
            // Public routes: only the pages a visitor needs before or without an account.
            assert!(
                [
                    "/",
                    "/theme.css",
                    "/lang",
                    "/join",
                    "/join/check-email",
                    "/verify-email",
                    "/verify-email/resend",
                    "/sign-in",
                    "/sign-out",
                    "/forgot-password",
                    "/reset-password",
                    "/_dev/mail",
                    // The network's logo, which the sign-in and join pages show too.
                    "/branding/logo/{key}",
                    // The console's one-time handoff for support staff within a grant.
                    "/support/enter",
                    // Signed links from emails, which must work signed out (RFC 8058).
                    tsunagu_web::csrf::UNSUBSCRIBE_ROUTE,
                ]
                .contains(path),
                "{path} is declared public; only sign-up, sign-in, recovery, the logo and signed \
                 email links may be"
            );
            continue;
        };
        // The support pages are for platform staff within a grant only.
        if permission == Permission::VisitAsSupport {
            assert!(!holds(&["alumni", "secretariat"], permission).await);
            continue;
        }
        // The secretariat can use every member page…
        assert!(
            holds(&["alumni", "secretariat"], permission).await,
            "{path}: {permission:?} is held by no one in the matrix (not even the secretariat)"
        );
        // …and the secretariat's own pages are the secretariat's alone.
        if path.starts_with("/secretariat") {
            for kind in ["alumni", "employee"] {
                let subjects: &'static [&'static str] = if kind == "alumni" {
                    &["alumni", "member"]
                } else {
                    &["employee", "member"]
                };
                assert!(
                    !holds(subjects, permission).await,
                    "{path}: {permission:?} is held by a plain {kind} member"
                );
            }
        }
    }
}

/// The console has no member routes, and everything but signing in and out needs a staff role;
/// the apex site has no signed-in pages at all.
#[test]
fn console_routes_are_staff_routes_and_the_apex_is_public() {
    for entry in tsunagu_gateway::app::console_routes().entries() {
        match entry.access {
            Access::Staff(_) => {}
            Access::Public => assert!(
                [
                    "/sign-in",
                    "/sign-in/code",
                    "/sign-out",
                    "/theme.css",
                    "/lang",
                    // The one-time link of a staff account an administrator added.
                    "/welcome",
                ]
                .contains(&entry.path),
                "console route {} is public",
                entry.path
            ),
            Access::Member(_) => panic!("console route {} is bound to a member", entry.path),
        }
    }
    for entry in tsunagu_gateway::app::apex_routes().entries() {
        assert_eq!(entry.access, Access::Public, "apex route {}", entry.path);
    }
}

/// A member route refuses before it reads anything: signed out, the visitor is sent to sign in;
/// signed in without the permission, the member gets 403. Both for GET and POST, with ids that
/// do not exist (a handler that looked them up first would answer 404).
#[tokio::test]
async fn the_binding_is_enforced_before_the_handler_runs() {
    let app: TestApp = app().await;
    member(&app, "demo", "plain@example.jp", "平 会員", "alumni").await;
    let tenant = app
        .state
        .registry
        .resolve_slug("demo")
        .await
        .unwrap()
        .expect("the demo tenant");
    let mut visitor = app.client("demo.localhost");
    let mut alumna = signed_in(&app, "demo.localhost", "plain@example.jp").await;
    // A path may be declared once per permission (`GET /articles` reads, `POST /articles`
    // writes), so the permissions the alumna lacks are counted per path against the methods
    // refused on it.
    let mut paths: Vec<(&'static str, Vec<Permission>)> = Vec::new();
    for (pattern, access) in bindings() {
        if let Access::Member(permission) = access {
            match paths.iter_mut().find(|(p, _)| *p == pattern) {
                Some((_, permissions)) => permissions.push(permission),
                None => paths.push((pattern, vec![permission])),
            }
        }
    }
    let mut refused = 0;
    for (pattern, permissions) in paths {
        let path = concrete(pattern);
        let mut lacked = 0;
        for permission in &permissions {
            if !app
                .state
                .authz
                .can(&tenant, &["alumni", "member"], *permission)
                .await
            {
                lacked += 1;
            }
        }
        let mut refused_here = 0;
        for post in [false, true] {
            let method = if post { "POST" } else { "GET" };
            let response = if post {
                visitor.post(&path, &[]).await
            } else {
                visitor.get(&path).await
            };
            if response.status == StatusCode::METHOD_NOT_ALLOWED {
                continue;
            }
            assert_eq!(
                response.status,
                StatusCode::SEE_OTHER,
                "{method} {path} signed out"
            );
            assert!(
                response
                    .header("location")
                    .is_some_and(|l| l.starts_with("/sign-in")),
                "{method} {path} signed out should go to sign-in: {:?}",
                response.header("location")
            );
            if lacked == 0 {
                continue;
            }
            let response = if post {
                alumna.post(&path, &[]).await
            } else {
                alumna.get(&path).await
            };
            assert!(
                response.status.as_u16() < 500,
                "{method} {path}: {}",
                response.status
            );
            if lacked == permissions.len() {
                // Every binding of the path is one she lacks: every method refuses.
                assert_eq!(
                    response.status,
                    StatusCode::FORBIDDEN,
                    "{method} {path}: an alumna without {permissions:?}"
                );
            }
            if response.status == StatusCode::FORBIDDEN {
                refused_here += 1;
            }
        }
        assert!(
            refused_here >= lacked,
            "{path}: {lacked} of its bindings ({permissions:?}) are not the alumna's, \
             but only {refused_here} methods refused her"
        );
        refused += refused_here;
    }
    // The secretariat's pages, articles management and opening recruitments (alumni may not
    // open them in the demo network) at least.
    assert!(refused >= 15, "only {refused} refusals checked");
}

/// Every `.rs` file under `dir`.
fn rust_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The one step holds in the source too: no handler opens a tenant transaction or asks the
/// permission matrix by itself. Tenant transactions are opened by the access extractors
/// (`Authorized`, `Visitor`), by system work that no request drives (the worker, the demo seed,
/// the scale loader) and by the kernel that implements them.
#[test]
fn handlers_reach_tenant_data_only_through_their_route_binding() {
    let services = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../services");
    let mut files = Vec::new();
    rust_files(&services, &mut files);
    assert!(files.len() > 40);
    let allowed = [
        "kernel/",
        "testkit/",
        "authz/",
        "web/src/access.rs",
        // The header's unread count, read as the member through community's hook.
        "web/src/session.rs",
        // Jobs work as the system in each tenant's own transaction, outside any request.
        "mail/src/",
        "community/src/jobs.rs",
        "digest/src/lib.rs",
        "events/src/jobs.rs",
        "insights/src/rollup.rs",
        "secretariat/src/import/run.rs",
        // The loaders (demo seed, scale loader).
        "demo/src/",
    ];
    let mut offenders = Vec::new();
    for file in files {
        let relative = file
            .strip_prefix(&services)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        if allowed.iter().any(|a| relative.starts_with(a)) {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        for (number, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            if code.contains("begin_tenant") || code.contains(".authz") {
                offenders.push(format!("{relative}:{}: {}", number + 1, line.trim()));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "open tenant transactions and check permissions through `Authorized` / `Visitor` \
         (tsunagu_web::access), not by hand:\n{}",
        offenders.join("\n")
    );
}
