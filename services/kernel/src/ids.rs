//! Typed ids, so a tenant id cannot be passed where a member id is expected.

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The id of a tenant (one company's network).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, sqlx::Type,
)]
#[sqlx(transparent)]
#[serde(transparent)]
pub struct TenantId(pub Uuid);

impl TenantId {
    /// A new, time-ordered id (UUID v7 keeps b-tree inserts local).
    pub fn new() -> Self {
        Self(Uuid::now_v7())
    }

    pub fn as_uuid(&self) -> Uuid {
        self.0
    }
}

impl Default for TenantId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A new time-ordered row id for tenant tables.
pub fn new_row_id() -> Uuid {
    Uuid::now_v7()
}
