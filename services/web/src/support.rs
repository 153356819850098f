//! Handing platform staff from the console to a network's site within a support grant
//! (docs/adr/0004-support-sessions.md). The console checks the grant and stores a one-time
//! handoff under the platform prefix; the network's `/support/enter` takes it (once, within a
//! minute) and starts a support session. A handoff names its tenant, so it opens no other network.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tsunagu_kernel::tokens::{looks_like_token, random_token, token_hash_hex};
use tsunagu_kernel::TenantId;

use crate::AppState;

/// How long a handoff waits to be taken.
pub const HANDOFF_SECONDS: u64 = 60;

/// Who is entering which network.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Handoff {
    pub staff_id: uuid::Uuid,
    pub staff_name: String,
    pub tenant_id: TenantId,
}

fn handoff_key(token: &str) -> String {
    format!("p:support-handoff:{}", token_hash_hex(token))
}

/// Stores a handoff and returns its token (for the link to the network).
pub async fn create_handoff(state: &AppState, handoff: &Handoff) -> anyhow::Result<String> {
    let token = random_token();
    let mut conn = state.redis.get().await?;
    let _: () = redis::cmd("SET")
        .arg(handoff_key(&token))
        .arg(serde_json::to_string(handoff)?)
        .arg("EX")
        .arg(HANDOFF_SECONDS)
        .query_async(&mut *conn)
        .await?;
    Ok(token)
}

/// Takes the handoff for `token` (it is gone afterwards); `None` when unknown, used or expired.
pub async fn take_handoff(state: &AppState, token: &str) -> anyhow::Result<Option<Handoff>> {
    if !looks_like_token(token) {
        return Ok(None);
    }
    let mut conn = state.redis.get().await?;
    let raw: Option<String> = redis::cmd("GETDEL")
        .arg(handoff_key(token))
        .query_async(&mut *conn)
        .await?;
    Ok(raw.and_then(|raw| serde_json::from_str(&raw).ok()))
}

/// Records the end of the network's live support grant for the secretariat's banner (`None`:
/// no live grant). Best effort: the banner is a convenience, the grants page reads the grants.
pub async fn set_support_until(state: &AppState, tenant: TenantId, until: Option<OffsetDateTime>) {
    let key = crate::session::support_until_key(tenant);
    let stored: anyhow::Result<()> = async {
        let mut conn = state.redis.get().await?;
        match until {
            Some(until) => {
                let seconds = (until - state.clock.now()).whole_seconds();
                if seconds > 0 {
                    let _: () = redis::cmd("SET")
                        .arg(&key)
                        .arg(until.unix_timestamp())
                        .arg("EX")
                        .arg(seconds)
                        .query_async(&mut *conn)
                        .await?;
                    return Ok(());
                }
                let _: i64 = redis::cmd("DEL").arg(&key).query_async(&mut *conn).await?;
            }
            None => {
                let _: i64 = redis::cmd("DEL").arg(&key).query_async(&mut *conn).await?;
            }
        }
        Ok(())
    }
    .await;
    if let Err(error) = stored {
        tracing::warn!(%error, "support banner not updated");
    }
}
