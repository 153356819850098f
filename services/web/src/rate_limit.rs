//! Fixed-window rate limits in Redis, shared by every replica. Keys carry the tenant
//! (`t:{<tenant>}:rl:…`) or the platform prefix (`p:rl:…`).

use std::time::Duration;

#[derive(Clone)]
pub struct RateLimiter {
    redis: deadpool_redis::Pool,
}

/// Over the limit: try again after this long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter(pub Duration);

impl RateLimiter {
    pub fn new(redis: deadpool_redis::Pool) -> Self {
        Self { redis }
    }

    /// Counts one attempt under `key`; refuses once more than `limit` happened in the window.
    /// If Redis is down the attempt is allowed (and logged): sign-in must not depend on it.
    pub async fn hit(&self, key: &str, limit: u32, window: Duration) -> Result<(), RetryAfter> {
        let result: Result<(u32, i64), anyhow::Error> = async {
            let mut conn = self.redis.get().await?;
            let (count, ttl): (u32, i64) = redis::pipe()
                .atomic()
                .cmd("INCR")
                .arg(key)
                .cmd("EXPIRE")
                .arg(key)
                .arg(window.as_secs())
                .arg("NX")
                .ignore()
                .cmd("TTL")
                .arg(key)
                .query_async(&mut *conn)
                .await?;
            Ok((count, ttl))
        }
        .await;
        match result {
            Ok((count, ttl)) if count > limit => {
                Err(RetryAfter(Duration::from_secs(ttl.max(1) as u64)))
            }
            Ok(_) => Ok(()),
            Err(error) => {
                tracing::warn!(error = %error, "rate limiter unavailable; allowing the attempt");
                Ok(())
            }
        }
    }

    /// Forgets the attempts under `key` (after a successful sign-in).
    pub async fn reset(&self, key: &str) {
        if let Ok(mut conn) = self.redis.get().await {
            let _: Result<i64, _> = redis::cmd("DEL").arg(key).query_async(&mut *conn).await;
        }
    }
}
