//! Versions of a tenant's cached content, shared by every replica through Redis.
//!
//! A feature that keeps tenant data in the process (the timeline's feed cache) names its content
//! ("timeline") and stores, beside each cached entry, the version it was loaded under. Every
//! write that changes that content replaces the version after its commit
//! ([`bump_version`]), so the next request on *any* replica sees a version its entry does not
//! have and loads afresh: a member who posts, likes or is hidden by the secretariat sees it on
//! the next page, whichever replica answers.
//!
//! The versions live in one small hash per tenant, `t:{<tenant>}:versions`, which the session
//! loader reads in the same round trip as the session ([`crate::session`]), so checking them
//! costs a signed-in page nothing extra. A version is a random token, not a counter: Redis keeps
//! nothing on disk, and a counter that restarted from zero could meet an old entry's number
//! again, while a fresh random token never matches anything cached before.

use tsunagu_kernel::tokens::random_token;
use tsunagu_kernel::TenantId;

/// The versions of this tenant's cached content, as the session loader read them (a request
/// extension on signed-in requests).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TenantVersions(pub Vec<(String, String)>);

impl TenantVersions {
    /// Builds the set from the flat `HGETALL` answer (field, value, field, value, …).
    pub fn from_flat(flat: Vec<String>) -> Self {
        let mut pairs = Vec::with_capacity(flat.len() / 2);
        let mut items = flat.into_iter();
        while let (Some(field), Some(value)) = (items.next(), items.next()) {
            pairs.push((field, value));
        }
        Self(pairs)
    }

    /// The current version of `content`, if one was ever set.
    pub fn get(&self, content: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(field, _)| field == content)
            .map(|(_, value)| value.as_str())
    }
}

/// Handlers take the versions as an extractor; without a session there are none.
impl<S: Send + Sync> axum::extract::FromRequestParts<S> for TenantVersions {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<TenantVersions>()
            .cloned()
            .unwrap_or_default())
    }
}

/// The Redis hash holding a tenant's content versions.
pub fn versions_key(tenant: TenantId) -> String {
    format!("t:{{{tenant}}}:versions")
}

/// Marks `content` of `tenant` as changed: every cached copy, in every replica, is stale from
/// now on. Call it after the change has committed (a reader that loads between the commit and
/// this call stores the new data under the old version, and simply loads once more).
///
/// A failure is logged, not returned: the change itself is committed, and cached copies still
/// expire on their own (see the feature's maximum age).
pub async fn bump_version(redis: &deadpool_redis::Pool, tenant: TenantId, content: &str) {
    let result: anyhow::Result<()> = async {
        let mut conn = redis.get().await?;
        let _: i64 = redis::cmd("HSET")
            .arg(versions_key(tenant))
            .arg(content)
            .arg(random_token())
            .query_async(&mut *conn)
            .await?;
        Ok(())
    }
    .await;
    if let Err(error) = result {
        tracing::warn!(
            tenant.id = %tenant,
            content,
            error = %error,
            "could not mark cached content as changed; cached copies expire on their own"
        );
    }
}

/// The version of `content` when none was set yet (a fresh Redis, say): sets one unless another
/// replica just did, and returns whichever is now current. `None` when Redis cannot be reached
/// (the caller then does not cache).
pub async fn establish_version(
    redis: &deadpool_redis::Pool,
    tenant: TenantId,
    content: &str,
) -> Option<String> {
    let result: anyhow::Result<Option<String>> = async {
        let mut conn = redis.get().await?;
        let key = versions_key(tenant);
        let (_, current): (i64, Option<String>) = redis::pipe()
            .atomic()
            .cmd("HSETNX")
            .arg(&key)
            .arg(content)
            .arg(random_token())
            .cmd("HGET")
            .arg(&key)
            .arg(content)
            .query_async(&mut *conn)
            .await?;
        Ok(current)
    }
    .await;
    match result {
        Ok(version) => version,
        Err(error) => {
            tracing::warn!(tenant.id = %tenant, content, error = %error, "could not read a content version");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_come_from_the_flat_hash_answer() {
        let versions = TenantVersions::from_flat(vec![
            "timeline".into(),
            "abc".into(),
            "other".into(),
            "def".into(),
        ]);
        assert_eq!(versions.get("timeline"), Some("abc"));
        assert_eq!(versions.get("other"), Some("def"));
        assert_eq!(versions.get("missing"), None);
        // A dangling field (never sent by Redis) is ignored rather than misread.
        assert_eq!(
            TenantVersions::from_flat(vec!["timeline".into()]).get("timeline"),
            None
        );
    }
}
