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

/// Declares the id type of one kind of tenant row: a `Uuid` underneath (transparent to sqlx and
/// serde, so it binds, decodes, deserialises from a path segment and prints as the uuid), but its
/// own type, so that a post id cannot be passed where a member id is expected.
#[macro_export]
macro_rules! entity_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord,
            ::serde::Serialize, ::serde::Deserialize, ::sqlx::Type,
        )]
        #[sqlx(transparent)]
        #[serde(transparent)]
        pub struct $name(pub ::uuid::Uuid);

        impl $name {
            /// A new, time-ordered id (UUID v7 keeps b-tree inserts local).
            pub fn new() -> Self {
                Self(::uuid::Uuid::now_v7())
            }

            pub fn as_uuid(&self) -> ::uuid::Uuid {
                self.0
            }
        }

        impl ::std::default::Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = ::uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse().map(Self)
            }
        }
    };
}

entity_id!(
    /// A member of a network (an account in `members`).
    MemberId
);
