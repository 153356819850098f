//! One step from a route to tenant data. Every tenant route is declared with what it requires of
//! its visitor ([`Access`], see [`crate::routes::Routes::member`] and `public`), and the route
//! table carries that requirement into each request. A member handler takes [`Authorized`]:
//! extracting it signs the visitor in (or redirects to sign-in), checks the route's permission
//! against the casbin matrix, and only then offers the tenant transaction. A handler therefore
//! cannot open a member's transaction without its route naming a permission, and the route
//! table test (tests/integration/routes.rs) fails for any route that names none.
//!
//! Ownership predicates in SQL ("only the author may edit") stay as a second lock; they no
//! longer stand alone.

use std::ops::Deref;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use tsunagu_authz::Permission;
use tsunagu_kernel::{Actor, Changes, TenantTx};
use tsunagu_tenancy::Tenant;

use crate::{AppError, AppState, CurrentMember, Site};

/// What a route requires of its visitor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not: sign-in, join, password reset, the home page (which greets a
    /// member and shows the landing to others), shared assets.
    Public,
    /// A signed-in member of this tenant who holds the permission.
    Member(Permission),
    /// Platform staff of the console with at least this role.
    Staff(StaffRole),
}

/// Roles of platform staff (`platform.staff_users.role`), each including the ones before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum StaffRole {
    /// Customer success: the tenant directory and, later, support within a grant.
    Cs,
    /// Platform administration (staff accounts, plans).
    Admin,
}

impl StaffRole {
    /// The stored role; unknown values hold no role at all.
    pub fn parse(role: &str) -> Option<Self> {
        match role {
            "cs" => Some(Self::Cs),
            "admin" => Some(Self::Admin),
            _ => None,
        }
    }

    /// Does a staff user with `role` (as stored) hold this role?
    pub fn is_held_by(self, role: &str) -> bool {
        Self::parse(role).is_some_and(|held| held >= self)
    }
}

/// The access declared for the route being served (inserted by the route table).
#[derive(Clone, Copy, Debug)]
pub struct Bound(pub Access);

/// A signed-in member whose route permission has been checked. Dereferences to the
/// [`CurrentMember`].
#[derive(Clone, Debug)]
pub struct Authorized {
    member: CurrentMember,
    permission: Permission,
}

impl Authorized {
    /// Checks `permission` for a member met on a route that serves members and visitors alike
    /// (`POST /lang` also saves a signed-in member's choice in their account).
    pub async fn check(
        state: &AppState,
        member: CurrentMember,
        permission: Permission,
    ) -> Result<Self, AppError> {
        state
            .authz
            .require(&member.tenant, &member.subjects(), permission)
            .await?;
        Ok(Self { member, permission })
    }

    /// The permission the route required (and the member holds).
    pub fn permission(&self) -> Permission {
        self.permission
    }

    pub fn member(&self) -> &CurrentMember {
        &self.member
    }

    /// The tenant transaction for a page's reads and writes, as this member.
    pub async fn begin(&self, state: &AppState) -> Result<WebTx, AppError> {
        let tx = state
            .db
            .begin_tenant(self.member.tenant.id, self.member.actor())
            .await?;
        Ok(WebTx::new(state, tx))
    }

    /// The tenant transaction for a search (its own statement timeout).
    pub async fn begin_search(&self, state: &AppState) -> Result<WebTx, AppError> {
        let tx = state
            .db
            .begin_tenant_search(self.member.tenant.id, self.member.actor())
            .await?;
        Ok(WebTx::new(state, tx))
    }

    /// The tenant transaction with generic plans (the timeline's hot path).
    pub async fn begin_generic_plans(&self, state: &AppState) -> Result<WebTx, AppError> {
        let tx = state
            .db
            .begin_tenant_generic_plans(self.member.tenant.id, self.member.actor())
            .await?;
        Ok(WebTx::new(state, tx))
    }

    /// Whether the member also holds `permission` (what a page offers beyond the route's own
    /// permission, such as moderation buttons).
    pub async fn may(&self, state: &AppState, permission: Permission) -> bool {
        state
            .authz
            .can(&self.member.tenant, &self.member.subjects(), permission)
            .await
    }

    /// Like [`Self::may`], but refuses with 403.
    pub async fn require(&self, state: &AppState, permission: Permission) -> Result<(), AppError> {
        Ok(state
            .authz
            .require(&self.member.tenant, &self.member.subjects(), permission)
            .await?)
    }
}

impl Deref for Authorized {
    type Target = CurrentMember;

    fn deref(&self) -> &CurrentMember {
        &self.member
    }
}

impl FromRequestParts<AppState> for Authorized {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let permission = match parts.extensions.get::<Bound>() {
            Some(Bound(Access::Member(permission))) => *permission,
            other => {
                // A programming error the route table test catches: the handler wants a member
                // but its route was declared public, or on a bare router.
                return Err(AppError::Internal(anyhow::anyhow!(
                    "{} {} takes a member but its route binds {other:?}",
                    parts.method,
                    parts.uri.path()
                )));
            }
        };
        let member = CurrentMember::from_request_parts(parts, state).await?;
        Self::check(state, member, permission).await
    }
}

/// A request's tenant transaction. It dereferences to [`TenantTx`], so query functions take it
/// as they are; its [`WebTx::commit`] also announces what the transaction's writes marked as
/// changed (`TenantTx::changed_version`, `changed_unread`): the tenant's content versions are
/// replaced, so every replica's caches load afresh, and stale unread counts are dropped. The
/// announcement follows the commit; a rollback announces nothing.
pub struct WebTx {
    tx: TenantTx,
    state: AppState,
}

impl WebTx {
    fn new(state: &AppState, tx: TenantTx) -> Self {
        Self {
            tx,
            state: state.clone(),
        }
    }

    pub async fn commit(self) -> Result<(), tsunagu_kernel::DbError> {
        let tenant = self.tx.tenant_id();
        let changes = self.tx.commit_with_changes().await?;
        announce(&self.state, tenant, &changes).await;
        Ok(())
    }

    pub async fn rollback(self) -> Result<(), tsunagu_kernel::DbError> {
        self.tx.rollback().await
    }
}

impl Deref for WebTx {
    type Target = TenantTx;

    fn deref(&self) -> &TenantTx {
        &self.tx
    }
}

impl std::ops::DerefMut for WebTx {
    fn deref_mut(&mut self) -> &mut TenantTx {
        &mut self.tx
    }
}

/// Tells the caches what a committed transaction changed (best effort: versions and counts also
/// expire on their own).
pub async fn announce(state: &AppState, tenant: tsunagu_kernel::TenantId, changes: &Changes) {
    for key in &changes.versions {
        crate::versions::bump_version(&state.redis, tenant, key).await;
    }
    if !changes.unread.is_empty() {
        if let Ok(mut conn) = state.redis.get().await {
            let keys: Vec<String> = changes
                .unread
                .iter()
                .map(|member| crate::session::unread_key(tenant, *member))
                .collect();
            let _: Result<i64, _> = redis::cmd("DEL").arg(keys).query_async(&mut *conn).await;
        }
    }
}

/// The console's one door into a network outside a support grant, for the platform's own acts in
/// it: delivering a request for access to the secretariat (the request, its audit row, the
/// notifications) and applying a plan change (letting in the sign-ups the plan held). The
/// transaction acts as the system; the handlers that open it write those and show nothing of the
/// network (docs/CONSOLE.md). Staff reach a network's content only within a grant.
pub async fn begin_console_delivery(
    state: &AppState,
    tenant: tsunagu_kernel::TenantId,
) -> Result<WebTx, AppError> {
    let tx = state.db.begin_tenant(tenant, Actor::System).await?;
    Ok(WebTx::new(state, tx))
}

/// The apex sign-up's one door into the network it creates (docs/ONBOARDING.md): a transaction
/// set to a new tenant id, in which `platform.create_self_serve_tenant()` creates that network
/// and the first secretariat's account is written under row-level security. Anonymous: the
/// company has no account yet. Nothing else of any network can be reached through it, since no
/// other tenant has this id.
pub async fn begin_new_network(state: &AppState) -> Result<WebTx, AppError> {
    let tx = state
        .db
        .begin_tenant(tsunagu_kernel::TenantId::new(), Actor::Anonymous)
        .await?;
    Ok(WebTx::new(state, tx))
}

/// The apex sign-up's door into a network it created that is still pending, to send its
/// confirmation link again to the person who signed it up (docs/ONBOARDING.md). Anonymous; the
/// caller proves who it is with the address and password chosen at sign-up.
pub async fn begin_pending_network(
    state: &AppState,
    tenant: tsunagu_kernel::TenantId,
) -> Result<WebTx, AppError> {
    let tx = state.db.begin_tenant(tenant, Actor::Anonymous).await?;
    Ok(WebTx::new(state, tx))
}

/// A visitor of a public tenant route (signed in or not), with the tenant transaction the
/// public flows need (sign-in looks the account up, join creates it). Dereferences to the
/// tenant.
#[derive(Clone, Debug)]
pub struct Visitor {
    tenant: Arc<Tenant>,
}

impl Visitor {
    pub fn tenant(&self) -> &Arc<Tenant> {
        &self.tenant
    }

    /// The tenant transaction as `actor` (anonymous, or the system for a flow's bookkeeping).
    pub async fn begin(&self, state: &AppState, actor: Actor) -> Result<WebTx, AppError> {
        let tx = state.db.begin_tenant(self.tenant.id, actor).await?;
        Ok(WebTx::new(state, tx))
    }
}

impl Deref for Visitor {
    type Target = Tenant;

    fn deref(&self) -> &Tenant {
        &self.tenant
    }
}

impl FromRequestParts<AppState> for Visitor {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, AppError> {
        if !matches!(parts.extensions.get::<Bound>(), Some(Bound(Access::Public))) {
            return Err(AppError::Internal(anyhow::anyhow!(
                "{} {} takes a public visitor but its route is not declared public",
                parts.method,
                parts.uri.path()
            )));
        }
        match parts.extensions.get::<Site>() {
            Some(Site::Tenant(tenant)) => Ok(Self {
                tenant: tenant.clone(),
            }),
            _ => Err(AppError::NotFound),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staff_roles_include_the_ones_below() {
        assert!(StaffRole::Cs.is_held_by("cs"));
        assert!(StaffRole::Cs.is_held_by("admin"));
        assert!(StaffRole::Admin.is_held_by("admin"));
        assert!(!StaffRole::Admin.is_held_by("cs"));
        assert!(!StaffRole::Cs.is_held_by("member"));
        assert!(!StaffRole::Cs.is_held_by(""));
    }
}
