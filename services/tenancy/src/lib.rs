//! Tenancy: which tenant a request is for, and what the platform knows about each tenant.
//!
//! * [`host`] turns a `Host` header into a [`host::HostTarget`] (apex, console, reserved, a tenant
//!   slug or a custom domain) with no I/O.
//! * [`registry`] resolves a slug or custom domain to a [`registry::Tenant`] through an in-process
//!   cache backed by PostgreSQL, kept coherent across replicas by Redis pub/sub.
//! * [`config_file`] reads `tenant-config/*.toml`, validates every field, and applies the files
//!   idempotently in one transaction.

pub mod billing_queries;
pub mod config_file;
pub mod email;
pub mod host;
pub mod plans;
pub mod registry;
pub mod settings;
pub mod settings_queries;
pub mod signup_queries;
pub mod slug;
pub mod time_zone;

pub use email::{EmailCategory, EmailDefaults, EmailDelivery};
pub use host::{classify_host, HostTarget};
pub use registry::{
    Branding, Features, Level3Thresholds, ProfileField, Signup, Tenant, TenantRegistry,
    TenantStatus,
};
pub use slug::Slug;
