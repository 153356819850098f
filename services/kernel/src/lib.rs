//! The kernel: everything the other crates stand on and nothing web-specific. Validated ids and
//! domain types, configuration read from the environment, telemetry, and the only door to the
//! database: [`db::Db::begin_tenant`] (a [`db::TenantTx`] that row-level security scopes to one
//! tenant) and [`db::Db::begin_platform`] (platform tables only). `kernel` never imports axum.

pub mod activity;
pub mod audit;
pub mod clock;
pub mod config;
pub mod db;
pub mod idempotency;
pub mod ids;
pub mod member;
pub mod migrate;
pub mod moderation;
pub mod outbox;
pub mod search;
pub mod telemetry;
pub mod tokens;

pub use clock::Clock;
pub use db::{Actor, Changes, Db, DbError, PlatformTx, RlsEscape, TenantTx};
pub use ids::{MemberId, TenantId};
pub use member::{MemberKind, MemberRole, MemberStatus};
