//! Rate limits in Redis, shared by every replica: fixed windows ([`RateLimiter::hit`]) and waits
//! that grow with each attempt ([`RateLimiter::attempt`]). Keys carry the tenant
//! (`t:{<tenant>}:rl:…`) or the platform prefix (`p:rl:…`). If Redis is down every attempt is
//! allowed (and logged): signing in must not depend on it.
//!
//! Also here: the known-device mark, a signed cookie by which a browser that once signed in to an
//! account is recognised again, so that a ceiling strangers can fill does not lock it out.

use std::fmt::Display;
use std::time::Duration;

use subtle::ConstantTimeEq;

#[derive(Clone)]
pub struct RateLimiter {
    redis: deadpool_redis::Pool,
}

/// Over the limit: try again after this long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter(pub Duration);

/// A throttle whose wait grows: the first `free` attempts go through at once; from then on each
/// attempt opens a wait of `first_wait`, doubled for every further attempt, at most `max_wait`.
/// The attempts are forgotten `memory` after the last one, or by [`RateLimiter::forget`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub free: u32,
    pub first_wait: Duration,
    pub max_wait: Duration,
    pub memory: Duration,
}

impl Backoff {
    /// The wait that follows attempt number `attempt` (counting from 1), if any.
    pub fn wait_after(&self, attempt: u32) -> Option<Duration> {
        let past = attempt.checked_sub(self.free)?;
        let doubled = self.first_wait.saturating_mul(1u32 << past.min(20));
        Some(doubled.min(self.max_wait))
    }
}

/// One script, so that replicas racing on the same key cannot both slip through: refuse while a
/// wait is open; otherwise count the attempt and open the next wait when the free ones are used.
/// Both keys share the caller's hash tag (`t:{<tenant>}:…`), so it runs on one Redis Cluster node.
static BACKOFF_SCRIPT: std::sync::LazyLock<redis::Script> =
    std::sync::LazyLock::new(|| redis::Script::new(BACKOFF_SOURCE));

static REFUND_SCRIPT: std::sync::LazyLock<redis::Script> = std::sync::LazyLock::new(|| {
    redis::Script::new(
        "if tonumber(redis.call('GET', KEYS[1]) or '0') > 0 then return redis.call('DECR', KEYS[1]) end return 0",
    )
});

const BACKOFF_SOURCE: &str = r#"
local open = redis.call('PTTL', KEYS[2])
if open > 0 then return open end
local attempts = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
local past = attempts - tonumber(ARGV[1])
if past >= 0 then
  local wait = tonumber(ARGV[2]) * (2 ^ math.min(past, 20))
  wait = math.min(wait, tonumber(ARGV[3]))
  redis.call('SET', KEYS[2], attempts, 'PX', math.floor(wait))
end
return 0
"#;

/// Where [`RateLimiter::attempt`] keeps the open wait of `key`.
pub fn wait_key(key: &str) -> String {
    format!("{key}:wait")
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

impl RateLimiter {
    pub fn new(redis: deadpool_redis::Pool) -> Self {
        Self { redis }
    }

    /// Counts one attempt under `key`; refuses once more than `limit` happened in the window.
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

    /// Takes back one attempt counted by [`RateLimiter::hit`] (it turned out not to be a failure),
    /// so the window counts failures while still counting every attempt up front, as a flood of
    /// parallel requests must be.
    pub async fn refund(&self, key: &str) {
        if let Ok(mut conn) = self.redis.get().await {
            let _: Result<i64, _> = REFUND_SCRIPT.key(key).invoke_async(&mut *conn).await;
        }
    }

    /// One attempt under the growing-wait throttle `policy` (see [`Backoff`]). Refused while a
    /// wait is open, and then not counted.
    pub async fn attempt(&self, key: &str, policy: &Backoff) -> Result<(), RetryAfter> {
        let result: Result<i64, anyhow::Error> = async {
            let mut conn = self.redis.get().await?;
            let open: i64 = BACKOFF_SCRIPT
                .key(key)
                .key(wait_key(key))
                .arg(policy.free)
                .arg(millis(policy.first_wait))
                .arg(millis(policy.max_wait))
                .arg(millis(policy.memory).max(1))
                .invoke_async(&mut *conn)
                .await?;
            Ok(open)
        }
        .await;
        match result {
            Ok(open) if open > 0 => Err(RetryAfter(Duration::from_millis(open as u64))),
            Ok(_) => Ok(()),
            Err(error) => {
                tracing::warn!(error = %error, "rate limiter unavailable; allowing the attempt");
                Ok(())
            }
        }
    }

    /// Forgets the attempts under `key`, for both kinds of limit (after a successful sign-in).
    pub async fn reset(&self, key: &str) {
        if let Ok(mut conn) = self.redis.get().await {
            // One key per command: a platform key has no hash tag to keep the two on one node.
            let _: Result<(), _> = redis::pipe()
                .cmd("DEL")
                .arg(key)
                .ignore()
                .cmd("DEL")
                .arg(wait_key(key))
                .ignore()
                .query_async(&mut *conn)
                .await;
        }
    }
}

/// The known-device cookie: `__Host-` (Secure, Path=/, no Domain) over https.
pub fn device_cookie_name(https: bool) -> &'static str {
    if https {
        "__Host-tsunagu_device"
    } else {
        "tsunagu_device"
    }
}

/// How long a browser stays known without signing in again (browsers keep a cookie at most
/// 400 days anyway).
pub const DEVICE_MEMORY: Duration = Duration::from_secs(365 * 24 * 3600);

/// Accounts one browser is remembered for (a shared computer at home).
pub const DEVICE_MARKS: usize = 3;

/// The signature of one mark: which tenant, which member, issued when. Nothing in the cookie
/// names the member; only the server, which knows who is signing in, can check it.
fn device_signature(
    secret: &str,
    tenant: &dyn Display,
    member: &dyn Display,
    issued: i64,
) -> [u8; 16] {
    let message = format!("tsunagu known device v1\n{tenant}\n{member}\n{issued}");
    let mac = tsunagu_kernel::tokens::hmac_sha256(secret.as_bytes(), message.as_bytes());
    let mut short = [0u8; 16];
    short.copy_from_slice(&mac[..16]);
    short
}

/// The marks in a cookie value: `{issued}-{signature hex}`, separated by dots.
fn device_marks(value: &str) -> impl Iterator<Item = (i64, &str)> {
    value
        .split('.')
        .filter_map(|mark| mark.split_once('-'))
        .filter_map(|(issued, signature)| Some((issued.parse::<i64>().ok()?, signature)))
        .take(DEVICE_MARKS)
}

fn mark_is_for(
    secret: &str,
    tenant: &dyn Display,
    member: &dyn Display,
    (issued, signature): (i64, &str),
    now: i64,
) -> bool {
    let fresh = issued <= now && now - issued < DEVICE_MEMORY.as_secs() as i64;
    let Ok(given) = hex::decode(signature) else {
        return false;
    };
    fresh
        && bool::from(
            given
                .as_slice()
                .ct_eq(&device_signature(secret, tenant, member, issued)),
        )
}

/// Whether the known-device cookie `value` says this browser signed in to `member` before.
pub fn device_is_known(
    secret: &str,
    value: Option<&str>,
    tenant: impl Display,
    member: impl Display,
    now: i64,
) -> bool {
    value.is_some_and(|value| {
        device_marks(value).any(|mark| mark_is_for(secret, &tenant, &member, mark, now))
    })
}

/// `Set-Cookie` marking this browser as known to `member`: a fresh mark first, then the cookie's
/// other still-valid marks that are not this member's, at most [`DEVICE_MARKS`] in all.
pub fn device_cookie(
    https: bool,
    secret: &str,
    previous: Option<&str>,
    tenant: impl Display,
    member: impl Display,
    now: i64,
) -> String {
    let fresh = format!(
        "{now}-{}",
        hex::encode(device_signature(secret, &tenant, &member, now))
    );
    let mut marks = vec![fresh];
    if let Some(previous) = previous {
        marks.extend(
            device_marks(previous)
                .filter(|(issued, _)| {
                    *issued <= now && now - issued < DEVICE_MEMORY.as_secs() as i64
                })
                .filter(|mark| !mark_is_for(secret, &tenant, &member, *mark, now))
                .map(|(issued, signature)| format!("{issued}-{signature}")),
        );
    }
    marks.truncate(DEVICE_MARKS);
    let secure = if https { "; Secure" } else { "" };
    format!(
        "{}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
        device_cookie_name(https),
        marks.join("."),
        DEVICE_MEMORY.as_secs()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_from_the_first_after_the_free_attempts() {
        let policy = Backoff {
            free: 5,
            first_wait: Duration::from_secs(30),
            max_wait: Duration::from_secs(15 * 60),
            memory: Duration::from_secs(3600),
        };
        let waits: Vec<Option<u64>> = (1..=11)
            .map(|n| policy.wait_after(n).map(|d| d.as_secs()))
            .collect();
        assert_eq!(
            waits,
            [
                None,
                None,
                None,
                None,
                Some(30),
                Some(60),
                Some(120),
                Some(240),
                Some(480),
                Some(900),
                Some(900)
            ]
        );
        assert_eq!(policy.wait_after(u32::MAX), Some(policy.max_wait));
    }

    #[test]
    fn a_device_mark_is_for_one_member_of_one_tenant_and_expires() {
        let secret = "0123456789abcdef0123456789abcdef";
        let now = 1_800_000_000;
        let set = device_cookie(false, secret, None, "tenant-a", "member-1", now);
        assert!(set.starts_with("tsunagu_device="));
        assert!(
            set.contains("HttpOnly") && set.contains("SameSite=Lax") && !set.contains("Domain")
        );
        let value = set.split(';').next().unwrap().split_once('=').unwrap().1;
        assert!(device_is_known(
            secret,
            Some(value),
            "tenant-a",
            "member-1",
            now + 60
        ));
        assert!(!device_is_known(
            secret,
            Some(value),
            "tenant-a",
            "member-2",
            now
        ));
        assert!(!device_is_known(
            secret,
            Some(value),
            "tenant-b",
            "member-1",
            now
        ));
        assert!(!device_is_known(
            "another key of thirty-two characters",
            Some(value),
            "tenant-a",
            "member-1",
            now
        ));
        let later = now + DEVICE_MEMORY.as_secs() as i64;
        assert!(!device_is_known(
            secret,
            Some(value),
            "tenant-a",
            "member-1",
            later
        ));
        assert!(!device_is_known(
            secret,
            Some("garbage-zz.1-"),
            "tenant-a",
            "member-1",
            now
        ));
        assert!(!device_is_known(secret, None, "tenant-a", "member-1", now));

        // Several accounts on one browser; signing in again replaces that member's mark.
        let two = device_cookie(false, secret, Some(value), "tenant-a", "member-2", now + 1);
        let two = two.split(';').next().unwrap().split_once('=').unwrap().1;
        assert!(device_is_known(
            secret,
            Some(two),
            "tenant-a",
            "member-1",
            now + 2
        ));
        assert!(device_is_known(
            secret,
            Some(two),
            "tenant-a",
            "member-2",
            now + 2
        ));
        let again = device_cookie(false, secret, Some(two), "tenant-a", "member-1", now + 3);
        let again = again.split(';').next().unwrap().split_once('=').unwrap().1;
        assert_eq!(again.split('.').count(), 2);
        assert!(
            device_cookie(true, secret, None, "t", "m", now).starts_with("__Host-tsunagu_device=")
        );
        assert!(device_cookie(true, secret, None, "t", "m", now).contains("; Secure"));
    }
}
