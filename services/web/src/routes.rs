//! A route table that remembers what it routes. Feature crates declare their routes here rather
//! than on a bare `axum::Router`, so the paths of every site can be listed: tests walk them all
//! (every parameter of every route gets hostile input, see tests/integration/hardening.rs)
//! without anyone keeping a second list by hand.

use axum::routing::MethodRouter;
use axum::Router;

use crate::AppState;

#[derive(Default)]
pub struct Routes {
    router: Router<AppState>,
    paths: Vec<&'static str>,
}

impl Routes {
    pub fn new() -> Self {
        Self::default()
    }

    /// Routes `path` (axum syntax, `{id}` for a parameter) to `method_router`.
    pub fn route(mut self, path: &'static str, method_router: MethodRouter<AppState>) -> Self {
        self.router = self.router.route(path, method_router);
        self.paths.push(path);
        self
    }

    /// Adds another table's routes (paths must not overlap, as with `Router::merge`).
    pub fn merge(mut self, other: Routes) -> Self {
        self.router = self.router.merge(other.router);
        self.paths.extend(other.paths);
        self
    }

    /// Lets every route declared so far take request bodies of up to `bytes`.
    pub fn with_body_limit(mut self, bytes: usize) -> Self {
        self.router = self
            .router
            .layer(axum::extract::DefaultBodyLimit::max(bytes));
        self
    }

    /// Every path routed, in declaration order.
    pub fn paths(&self) -> &[&'static str] {
        &self.paths
    }

    pub fn into_router(self) -> Router<AppState> {
        self.router
    }
}
