//! The events' background job, run by `tsunagu worker` (its registry names it): reminders the day
//! before, in the app and by email (the "events" consent category), once per member and event
//! even with several workers (`queries::take_due_reminders`).

use std::collections::BTreeMap;

use tsunagu_kernel::{Actor, Db, MemberId};
use tsunagu_web::dates::{self, Zone};

use crate::queries::{self, EventId};

/// How long before the start a confirmed attendee is reminded.
pub const REMIND_BEFORE: time::Duration = time::Duration::hours(24);

/// Reminds every confirmed attendee of events starting within [`REMIND_BEFORE`], in each active
/// network, each network in its own transaction (the reminders, their marks and their emails
/// commit together). Returns how many were reminded.
pub async fn send_reminders(
    db: &Db,
    web: &tsunagu_web::WebKit,
    config: &tsunagu_kernel::config::ServerConfig,
) -> anyhow::Result<usize> {
    let mut platform = db.begin_platform().await?;
    let tenants = tsunagu_tenancy::registry::list_active(&mut platform).await?;
    platform.commit().await?;
    let mut reminded = 0;
    for tenant in tenants.iter().filter(|t| t.features.events) {
        let mut tx = db.begin_tenant(tenant.id, Actor::System).await?;
        let due = queries::take_due_reminders(&mut tx, REMIND_BEFORE).await?;
        if due.is_empty() {
            tx.rollback().await?;
            continue;
        }
        let mut by_event: BTreeMap<EventId, (String, time::OffsetDateTime, Vec<MemberId>)> =
            BTreeMap::new();
        for reminder in &due {
            by_event
                .entry(reminder.event_id)
                .or_insert_with(|| (reminder.title.clone(), reminder.starts_at, Vec::new()))
                .2
                .push(reminder.member_id);
        }
        let origin = config.tenant_origin(&tenant.slug);
        let zone = Zone::of(tenant);
        for (event, (title, starts_at, members)) in by_event {
            let path = format!("/events/{event}");
            tsunagu_community::notifications::notify(
                &mut tx,
                &members,
                "event_reminder",
                None,
                &title,
                &path,
            )
            .await?;
            // One text for every language: the time as digits in the network's zone.
            let when = dates::input_value(starts_at, zone).replace('T', " ");
            tsunagu_identity::email::send_to_consenting(
                &mut tx,
                web,
                config,
                tenant,
                tsunagu_tenancy::EmailCategory::Events,
                &members,
                &tsunagu_identity::email::ConsentEmail {
                    kind: "event_reminder",
                    args: vec![("title", title.clone()), ("when", when)],
                    action_url: Some(format!("{origin}{path}")),
                    calendar: None,
                },
            )
            .await?;
            reminded += members.len();
        }
        tx.commit().await?;
    }
    Ok(reminded)
}
