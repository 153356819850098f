//! Stripe webhook events as this service reads them: only the fields it uses, by the names of
//! Stripe's API reference (Event, Checkout Session, Subscription, Invoice), so a field Stripe
//! adds never breaks delivery. And the one rule deciding whether a subscription object replaces
//! the stored one: by the subscription's own state, not by the order events arrive in.

use serde::Deserialize;
use time::OffsetDateTime;

use crate::billing_queries::BillingAccount;

/// An event (`object: "event"`).
#[derive(Debug, Deserialize)]
pub struct Event {
    pub id: String,
    #[serde(rename = "type")]
    pub event_type: String,
    /// Unix seconds.
    pub created: i64,
    #[serde(default)]
    pub livemode: bool,
    pub data: EventData,
}

#[derive(Debug, Deserialize)]
pub struct EventData {
    pub object: serde_json::Value,
}

impl Event {
    pub fn created_at(&self) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(self.created).unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }
}

/// What a handled event is about.
pub enum Kind {
    CheckoutCompleted(CheckoutSession),
    Subscription(Subscription),
    InvoicePaid(Invoice),
    InvoiceFailed(Invoice),
    /// A type this endpoint does not act on (acknowledged, recorded, nothing changed).
    Other,
}

/// `data.object` could not be read as the object its type names.
#[derive(Debug, thiserror::Error)]
#[error("event {event_type}: {message}")]
pub struct ObjectError {
    pub event_type: String,
    pub message: String,
}

impl Event {
    pub fn kind(&self) -> Result<Kind, ObjectError> {
        let read = |value: &serde_json::Value| -> Result<Kind, serde_json::Error> {
            Ok(match self.event_type.as_str() {
                "checkout.session.completed" => {
                    Kind::CheckoutCompleted(serde_json::from_value(value.clone())?)
                }
                "customer.subscription.created"
                | "customer.subscription.updated"
                | "customer.subscription.deleted" => {
                    Kind::Subscription(serde_json::from_value(value.clone())?)
                }
                "invoice.paid" => Kind::InvoicePaid(serde_json::from_value(value.clone())?),
                "invoice.payment_failed" => {
                    Kind::InvoiceFailed(serde_json::from_value(value.clone())?)
                }
                _ => Kind::Other,
            })
        };
        read(&self.data.object).map_err(|e| ObjectError {
            event_type: self.event_type.clone(),
            message: e.to_string(),
        })
    }
}

/// A field that Stripe sends as an id or, expanded, as the object carrying it.
#[derive(Debug, Deserialize, Clone)]
#[serde(untagged)]
pub enum IdOrObject {
    Id(String),
    Object { id: String },
}

impl IdOrObject {
    pub fn id(&self) -> &str {
        match self {
            IdOrObject::Id(id) | IdOrObject::Object { id } => id,
        }
    }
}

/// A Checkout Session (`object: "checkout.session"`).
#[derive(Debug, Deserialize)]
pub struct CheckoutSession {
    pub id: String,
    /// The network's id: set when the session was created.
    pub client_reference_id: Option<String>,
    pub customer: Option<IdOrObject>,
    pub subscription: Option<IdOrObject>,
    pub mode: String,
    /// `paid`, `unpaid` or `no_payment_required`.
    pub payment_status: String,
    #[serde(default)]
    pub metadata: std::collections::HashMap<String, String>,
}

/// A Subscription (`object: "subscription"`).
#[derive(Debug, Deserialize)]
pub struct Subscription {
    pub id: String,
    pub customer: IdOrObject,
    /// `incomplete`, `incomplete_expired`, `trialing`, `active`, `past_due`, `canceled`, `unpaid`
    /// or `paused`.
    pub status: String,
    #[serde(default)]
    pub cancel_at_period_end: bool,
    pub items: SubscriptionItems,
    #[serde(default)]
    pub metadata: std::collections::HashMap<String, String>,
    /// Before API version 2025-03-31 the period was on the subscription; since, on its items.
    pub current_period_start: Option<i64>,
    pub current_period_end: Option<i64>,
}

#[derive(Debug, Deserialize)]
pub struct SubscriptionItems {
    pub data: Vec<SubscriptionItem>,
}

#[derive(Debug, Deserialize)]
pub struct SubscriptionItem {
    pub price: Price,
    pub current_period_start: Option<i64>,
    pub current_period_end: Option<i64>,
}

#[derive(Debug, Deserialize)]
pub struct Price {
    pub id: String,
}

impl Subscription {
    /// The price of its first item (Tsunagu's subscriptions have one).
    pub fn price_id(&self) -> Option<&str> {
        self.items.data.first().map(|item| item.price.id.as_str())
    }

    pub fn period(&self) -> (Option<OffsetDateTime>, Option<OffsetDateTime>) {
        let item = self.items.data.first();
        let start = item
            .and_then(|i| i.current_period_start)
            .or(self.current_period_start);
        let end = item
            .and_then(|i| i.current_period_end)
            .or(self.current_period_end);
        let at = |s: i64| OffsetDateTime::from_unix_timestamp(s).ok();
        (start.and_then(at), end.and_then(at))
    }

    /// Does this status give the paid plan's features? (`past_due` does: the grace period is
    /// counted from the failed payment, see `PaymentStanding`.)
    pub fn grants_plan(&self) -> bool {
        matches!(self.status.as_str(), "active" | "trialing" | "past_due")
    }

    /// Has it ended for good? (Stripe never reactivates these.)
    pub fn has_ended(&self) -> bool {
        matches!(self.status.as_str(), "canceled" | "incomplete_expired")
    }
}

/// An Invoice (`object: "invoice"`).
#[derive(Debug, Deserialize)]
pub struct Invoice {
    pub id: String,
    pub customer: IdOrObject,
    pub currency: String,
    #[serde(default)]
    pub amount_due: i64,
    #[serde(default)]
    pub amount_paid: i64,
    /// Unix seconds.
    pub created: i64,
}

impl Invoice {
    pub fn created_at(&self) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(self.created).unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }
}

/// Whether an event's subscription object replaces what is stored.
#[derive(Debug, PartialEq, Eq)]
pub enum Decision {
    Apply,
    /// An older picture of the subscription than the stored one: nothing changes.
    Stale,
}

/// Decides by the subscription's own state, so events may arrive in any order:
/// - an ended subscription (canceled, expired) never comes back to life: a late "active" update
///   of it is stale;
/// - the stored subscription's replacement (a new id) applies, but the end of a previous
///   subscription does not end its replacement;
/// - within one subscription, a picture from an earlier billing period is stale; within the same
///   period, the one Stripe created last wins.
pub fn decide(
    stored: &BillingAccount,
    incoming: &Subscription,
    event_created: OffsetDateTime,
) -> Decision {
    let Some(stored_id) = stored.stripe_subscription_id.as_deref() else {
        return Decision::Apply;
    };
    let stored_status = stored.subscription_status.as_deref();
    if stored_id != incoming.id {
        // A stored subscription that is still running is not ended by another one's end.
        let stored_running =
            stored_status.is_some_and(|s| !matches!(s, "canceled" | "incomplete_expired"));
        return if incoming.has_ended() && stored_running {
            Decision::Stale
        } else {
            Decision::Apply
        };
    }
    if stored_status.is_some_and(|s| matches!(s, "canceled" | "incomplete_expired")) {
        return if incoming.has_ended()
            && stored
                .applied_event_created
                .is_none_or(|at| event_created >= at)
        {
            Decision::Apply
        } else {
            Decision::Stale
        };
    }
    if incoming.has_ended() {
        return Decision::Apply;
    }
    let (incoming_start, _) = incoming.period();
    match (stored.current_period_start, incoming_start) {
        (Some(stored_start), Some(start)) if start < stored_start => Decision::Stale,
        (Some(stored_start), Some(start)) if start > stored_start => Decision::Apply,
        _ => match stored.applied_event_created {
            Some(at) if event_created < at => Decision::Stale,
            _ => Decision::Apply,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subscription(id: &str, status: &str, period_start: i64) -> Subscription {
        serde_json::from_value(serde_json::json!({
            "id": id,
            "object": "subscription",
            "customer": "cus_1",
            "status": status,
            "cancel_at_period_end": false,
            "metadata": {},
            "items": { "object": "list", "data": [{
                "id": "si_1",
                "object": "subscription_item",
                "price": { "id": "price_standard", "object": "price" },
                "current_period_start": period_start,
                "current_period_end": period_start + 2_592_000
            }]}
        }))
        .unwrap()
    }

    fn stored(id: &str, status: &str, period_start: i64, applied: i64) -> BillingAccount {
        BillingAccount {
            stripe_subscription_id: Some(id.into()),
            subscription_status: Some(status.into()),
            current_period_start: OffsetDateTime::from_unix_timestamp(period_start).ok(),
            applied_event_created: OffsetDateTime::from_unix_timestamp(applied).ok(),
            ..BillingAccount::default()
        }
    }

    fn at(seconds: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(seconds).unwrap()
    }

    #[test]
    fn nothing_stored_applies() {
        let incoming = subscription("sub_1", "active", 1000);
        assert_eq!(
            decide(&BillingAccount::default(), &incoming, at(5)),
            Decision::Apply
        );
    }

    #[test]
    fn a_late_update_never_revives_a_deleted_subscription() {
        let deleted = stored("sub_1", "canceled", 1000, 20);
        // The update was created before the deletion but arrives after it.
        assert_eq!(
            decide(&deleted, &subscription("sub_1", "active", 1000), at(10)),
            Decision::Stale
        );
        // Even one stamped later: canceled is final in Stripe.
        assert_eq!(
            decide(&deleted, &subscription("sub_1", "active", 1000), at(30)),
            Decision::Stale
        );
    }

    #[test]
    fn an_earlier_period_or_an_older_picture_of_the_same_period_is_stale() {
        let current = stored("sub_1", "active", 2000, 50);
        assert_eq!(
            decide(&current, &subscription("sub_1", "past_due", 1000), at(60)),
            Decision::Stale
        );
        assert_eq!(
            decide(&current, &subscription("sub_1", "past_due", 2000), at(40)),
            Decision::Stale
        );
        assert_eq!(
            decide(&current, &subscription("sub_1", "past_due", 2000), at(60)),
            Decision::Apply
        );
        assert_eq!(
            decide(&current, &subscription("sub_1", "active", 3000), at(10)),
            Decision::Apply
        );
        assert_eq!(
            decide(&current, &subscription("sub_1", "canceled", 2000), at(10)),
            Decision::Apply
        );
    }

    #[test]
    fn an_old_subscriptions_end_does_not_end_its_replacement() {
        let replacement = stored("sub_2", "active", 2000, 50);
        assert_eq!(
            decide(
                &replacement,
                &subscription("sub_1", "canceled", 1000),
                at(60)
            ),
            Decision::Stale
        );
        let ended = stored("sub_1", "canceled", 1000, 50);
        assert_eq!(
            decide(&ended, &subscription("sub_2", "active", 2000), at(40)),
            Decision::Apply
        );
    }

    #[test]
    fn events_read_stripes_field_names_and_ignore_the_rest() {
        let event: Event = serde_json::from_value(serde_json::json!({
            "id": "evt_1", "object": "event", "api_version": "2026-09-30.endive",
            "created": 1_700_000_000, "livemode": false, "pending_webhooks": 1,
            "request": { "id": null, "idempotency_key": null },
            "type": "invoice.payment_failed",
            "data": { "object": {
                "id": "in_1", "object": "invoice", "customer": "cus_1", "currency": "jpy",
                "amount_due": 30000, "amount_paid": 0, "created": 1_699_999_000,
                "status": "open", "attempt_count": 1
            }}
        }))
        .unwrap();
        match event.kind().unwrap() {
            Kind::InvoiceFailed(invoice) => {
                assert_eq!(invoice.customer.id(), "cus_1");
                assert_eq!(invoice.amount_due, 30000);
            }
            _ => panic!("an invoice"),
        }
        let unknown: Event = serde_json::from_value(serde_json::json!({
            "id": "evt_2", "object": "event", "created": 1, "type": "charge.refunded",
            "data": { "object": { "id": "ch_1", "object": "charge" } }
        }))
        .unwrap();
        assert!(matches!(unknown.kind().unwrap(), Kind::Other));
    }
}
