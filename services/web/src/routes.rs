//! A route table that remembers what it routes and what each route requires. Feature crates
//! declare their routes here rather than on a bare `axum::Router`, so the routes of every site
//! can be listed: tests walk them all (every parameter of every route gets hostile input, see
//! tests/integration/hardening.rs; every tenant route is public or bound to a permission that the
//! casbin matrix knows, see tests/integration/routes.rs) without anyone keeping a second list.
//!
//! A route is declared [`Routes::public`], [`Routes::member`] or [`Routes::staff`] (console);
//! there is no undeclared route. The declaration inserts
//! its [`Access`] into each request, where the [`crate::access::Authorized`] and
//! [`crate::access::Visitor`] extractors read it. Methods of one path may require different
//! permissions (`GET /articles` reads, `POST /articles` writes): declare the path once per
//! permission, and axum merges the methods.

use axum::routing::MethodRouter;
use axum::{Extension, Router};
use tsunagu_authz::Permission;

use crate::access::{Access, Bound};
use crate::AppState;

/// One declared route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RouteEntry {
    /// axum syntax, `{id}` for a parameter.
    pub path: &'static str,
    /// What it requires of its visitor.
    pub access: Access,
}

#[derive(Default)]
pub struct Routes {
    router: Router<AppState>,
    entries: Vec<RouteEntry>,
}

impl Routes {
    pub fn new() -> Self {
        Self::default()
    }

    /// A route anyone may use, signed in or not.
    pub fn public(self, path: &'static str, method_router: MethodRouter<AppState>) -> Self {
        self.bound(path, Access::Public, method_router)
    }

    /// A console route for platform staff with at least `role`.
    pub fn staff(
        self,
        path: &'static str,
        role: crate::access::StaffRole,
        method_router: MethodRouter<AppState>,
    ) -> Self {
        self.bound(path, Access::Staff(role), method_router)
    }

    /// A route for signed-in members who hold `permission`.
    pub fn member(
        self,
        path: &'static str,
        permission: Permission,
        method_router: MethodRouter<AppState>,
    ) -> Self {
        self.bound(path, Access::Member(permission), method_router)
    }

    fn bound(
        mut self,
        path: &'static str,
        access: Access,
        method_router: MethodRouter<AppState>,
    ) -> Self {
        self.router = self
            .router
            .route(path, method_router.route_layer(Extension(Bound(access))));
        self.entries.push(RouteEntry { path, access });
        self
    }

    /// Adds another table's routes (paths must not overlap, as with `Router::merge`).
    pub fn merge(mut self, other: Routes) -> Self {
        self.router = self.router.merge(other.router);
        self.entries.extend(other.entries);
        self
    }

    /// Lets every route declared so far take request bodies of up to `bytes`.
    pub fn with_body_limit(mut self, bytes: usize) -> Self {
        self.router = self
            .router
            .layer(axum::extract::DefaultBodyLimit::max(bytes));
        self
    }

    /// Every path routed, once each, in declaration order.
    pub fn paths(&self) -> Vec<&'static str> {
        let mut paths: Vec<&'static str> = Vec::new();
        for entry in &self.entries {
            if !paths.contains(&entry.path) {
                paths.push(entry.path);
            }
        }
        paths
    }

    /// Every declaration, in order (a path declared per permission appears once per permission).
    pub fn entries(&self) -> &[RouteEntry] {
        &self.entries
    }

    pub fn into_router(self) -> Router<AppState> {
        self.router
    }
}
