//! New messages without a reload: Server-Sent Events, fanned out across replicas by Redis.
//!
//! After a message commits, the replica that took it publishes `{conversation, members}` on the
//! tenant's channel `t:{tenant}:messages` (tenant-prefixed, like every key). Each replica keeps
//! one pattern subscription (`t:*:messages`) for all its streams, started with the first stream,
//! and passes events to its open streams through an in-process broadcast; a stream forwards only
//! events of its own tenant that name its own member. The page works without any of this (reload).

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::StreamExt as _;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use tsunagu_kernel::{MemberId, TenantId};
use tsunagu_web::{AppState, Authorized};

use crate::queries::ConversationId;

/// The tenant's channel.
pub fn channel(tenant: TenantId) -> String {
    format!("t:{tenant}:messages")
}

const PATTERN: &str = "t:*:messages";

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Published {
    conversation: ConversationId,
    members: Vec<MemberId>,
}

#[derive(Clone, Debug)]
struct LiveEvent {
    tenant: TenantId,
    conversation: ConversationId,
    members: Arc<Vec<MemberId>>,
}

/// This replica's fan-out: one Redis subscription, many streams.
pub struct LiveHub {
    sender: broadcast::Sender<LiveEvent>,
    listening: OnceLock<()>,
    /// Set when the server begins to shut down: every open stream ends, so that a graceful
    /// shutdown (which waits for open connections) is not held up by streams that never end.
    /// Browsers reconnect to another replica by themselves.
    closing: tokio::sync::watch::Sender<bool>,
}

impl Default for LiveHub {
    fn default() -> Self {
        Self {
            sender: broadcast::channel(1024).0,
            listening: OnceLock::new(),
            closing: tokio::sync::watch::channel(false).0,
        }
    }
}

/// Ends every open message stream of this server (called when it begins to shut down).
pub fn close_streams(state: &AppState) {
    state
        .local_caches
        .get::<LiveHub>()
        .closing
        .send_replace(true);
}

impl LiveHub {
    /// Starts the Redis subscription the first time a stream opens (reconnecting with backoff).
    fn ensure_listening(self: &Arc<Self>, redis_url: String) {
        self.listening.get_or_init(|| {
            let hub = self.clone();
            tokio::spawn(async move {
                let mut backoff = Duration::from_millis(200);
                loop {
                    if let Err(error) = hub.listen_once(&redis_url).await {
                        tracing::warn!(%error, retry_in_ms = backoff.as_millis() as u64, "message fan-out lost Redis");
                    }
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(10));
                }
            });
        });
    }

    async fn listen_once(&self, redis_url: &str) -> Result<(), redis::RedisError> {
        let client = redis::Client::open(redis_url)?;
        let mut pubsub = client.get_async_pubsub().await?;
        pubsub.psubscribe(PATTERN).await?;
        let mut messages = pubsub.on_message();
        while let Some(message) = messages.next().await {
            let tenant = message
                .get_channel_name()
                .strip_prefix("t:")
                .and_then(|rest| rest.strip_suffix(":messages"))
                .and_then(|id| id.parse::<uuid::Uuid>().ok())
                .map(TenantId);
            let payload: Option<Published> = message
                .get_payload::<String>()
                .ok()
                .and_then(|text| serde_json::from_str(&text).ok());
            if let (Some(tenant), Some(published)) = (tenant, payload) {
                // No stream open: nobody to tell.
                let _ = self.sender.send(LiveEvent {
                    tenant,
                    conversation: published.conversation,
                    members: Arc::new(published.members),
                });
            }
        }
        Ok(())
    }
}

/// Tells the members of a conversation (on every replica) that it has something new. Best
/// effort: a lost event costs a reload, never a message.
pub async fn publish(
    state: &AppState,
    tenant: TenantId,
    conversation: ConversationId,
    members: Vec<MemberId>,
) {
    let payload = match serde_json::to_string(&Published {
        conversation,
        members,
    }) {
        Ok(payload) => payload,
        Err(_) => return,
    };
    let result: Result<(), anyhow::Error> = async {
        let mut conn = state.redis.get().await?;
        redis::cmd("PUBLISH")
            .arg(channel(tenant))
            .arg(payload)
            .query_async::<i64>(&mut *conn)
            .await?;
        Ok(())
    }
    .await;
    if let Err(error) = result {
        tracing::warn!(error = format!("{error:#}"), tenant.id = %tenant, "new message not announced (the page shows it on reload)");
    }
}

/// `GET /messages/stream`: an event `message` (data: the conversation id) whenever a
/// conversation of this member has something new, from any replica.
pub async fn stream(
    State(state): State<AppState>,
    member: Authorized,
) -> Sse<impl futures_util::Stream<Item = Result<Event, std::convert::Infallible>>> {
    let hub = state.local_caches.get::<LiveHub>();
    hub.ensure_listening(state.config.redis_url.expose().to_owned());
    let receiver = hub.sender.subscribe();
    let closing = hub.closing.subscribe();
    let tenant = member.tenant.id;
    let me = member.id();
    let events = futures_util::stream::unfold(
        (receiver, closing),
        move |(mut receiver, mut closing)| async move {
            loop {
                if *closing.borrow() {
                    return None;
                }
                let received = tokio::select! {
                    received = receiver.recv() => received,
                    _ = closing.changed() => return None,
                };
                match received {
                    Ok(event) if event.tenant == tenant && event.members.contains(&me) => {
                        let sse = Event::default()
                            .event("message")
                            .data(event.conversation.to_string());
                        return Some((Ok(sse), (receiver, closing)));
                    }
                    Ok(_) => continue,
                    // Missed some while busy: say so, and the page reloads what it shows.
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        let sse = Event::default().event("lagged").data("");
                        return Some((Ok(sse), (receiver, closing)));
                    }
                    Err(broadcast::error::RecvError::Closed) => return None,
                }
            }
        },
    );
    Sse::new(events).keep_alive(KeepAlive::default())
}
