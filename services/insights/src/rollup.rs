//! The worker's rollups: per network, the recent days of `engagement_days`, the first contacts
//! since the last run and the survey and event rates. A page view then reads a year of days
//! instead of counting a network's posts, messages and members (docs/SECRETARIAT.md).
//!
//! Safe to run again and from several workers: days are upserted whole, the contacts cursor is
//! locked while a window is read, and a pair keeps its earliest first interaction.

use std::collections::HashMap;

use time::{Date, Duration, OffsetDateTime};
use tsunagu_kernel::activity::{DayTally, Interaction, Window};
use tsunagu_kernel::{Actor, Db, MemberId, MemberKind};
use tsunagu_tenancy::Tenant;
use tsunagu_web::dates::Zone;

use crate::queries::{self, DayRow, FirstContact};

/// How far back a network's first run reaches.
pub const HISTORY_DAYS: i64 = 365;
/// Interactions younger than this are left for the next run: a transaction that began earlier
/// may still commit rows stamped before the cursor.
const SETTLE: Duration = Duration::minutes(2);
/// Surveys and events shown with their rates.
const RATES_SHOWN: i64 = 6;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RollupRun {
    pub networks: usize,
    pub days: usize,
    pub contacts: usize,
}

/// The worker's job: every active network, as of now.
pub async fn refresh_all(db: &Db) -> anyhow::Result<usize> {
    let run = run(db, OffsetDateTime::now_utc(), None).await?;
    Ok(run.days)
}

/// Rolls up every active network (or only `only`, a slug) as of `now`.
pub async fn run(db: &Db, now: OffsetDateTime, only: Option<&str>) -> anyhow::Result<RollupRun> {
    let mut platform = db.begin_platform().await?;
    let tenants = tsunagu_tenancy::registry::list_active(&mut platform).await?;
    platform.commit().await?;
    let mut total = RollupRun::default();
    for tenant in tenants
        .iter()
        .filter(|t| only.is_none_or(|slug| t.slug == slug))
    {
        let (days, contacts) = refresh_network(db, tenant, now).await?;
        total.networks += 1;
        total.days += days;
        total.contacts += contacts;
    }
    Ok(total)
}

/// One network: new first contacts, then its recent days and rates. Returns the days written
/// and the pairs read.
pub async fn refresh_network(
    db: &Db,
    tenant: &Tenant,
    now: OffsetDateTime,
) -> anyhow::Result<(usize, usize)> {
    let contacts = advance_first_contacts(db, tenant, now).await?;
    let days = write_days(db, tenant, now).await?;
    Ok((days, contacts))
}

/// Reads the interactions since the cursor and records each pair's first.
async fn advance_first_contacts(
    db: &Db,
    tenant: &Tenant,
    now: OffsetDateTime,
) -> anyhow::Result<usize> {
    let mut tx = db.begin_tenant_batch(tenant.id, Actor::System).await?;
    let Some(from) = queries::lock_contacts_cursor(&mut tx).await? else {
        return Ok(0);
    };
    let through = now - SETTLE;
    if through <= from {
        tx.rollback().await?;
        return Ok(0);
    }
    let window = Window {
        from,
        to: through,
        offset_seconds: 0,
    };
    let secretariat = tsunagu_identity::queries::activity::secretariat_ids(&mut tx).await?;
    let mut interactions = tsunagu_community::activity::interactions(&mut tx, window).await?;
    interactions.extend(tsunagu_messages::activity::interactions(&mut tx, window).await?);
    let contacts = first_contacts(&interactions, &secretariat);
    queries::record_first_contacts(&mut tx, &contacts).await?;
    queries::set_contacts_cursor(&mut tx, through).await?;
    tx.commit().await?;
    Ok(contacts.len())
}

/// The earliest interaction of each pair, marked mediated when the secretariat is one of the
/// two or brought them together.
pub fn first_contacts(interactions: &[Interaction], secretariat: &[MemberId]) -> Vec<FirstContact> {
    let mut firsts: HashMap<(MemberId, MemberId), FirstContact> = HashMap::new();
    for i in interactions {
        if i.from_member == i.to_member {
            continue;
        }
        let (low, high) = if i.from_member < i.to_member {
            (i.from_member, i.to_member)
        } else {
            (i.to_member, i.from_member)
        };
        let mediated = secretariat.contains(&low)
            || secretariat.contains(&high)
            || i.go_between.is_some_and(|g| secretariat.contains(&g));
        let contact = FirstContact {
            low,
            high,
            at: i.at,
            mediated,
        };
        firsts
            .entry((low, high))
            .and_modify(|known| {
                if contact.at < known.at {
                    *known = contact;
                }
            })
            .or_insert(contact);
    }
    let mut contacts: Vec<FirstContact> = firsts.into_values().collect();
    contacts.sort_by_key(|c| (c.low, c.high));
    contacts
}

/// Rewrites the days from the last one written (or a year back) to today, and the rates.
async fn write_days(db: &Db, tenant: &Tenant, now: OffsetDateTime) -> anyhow::Result<usize> {
    let offset = Zone::of(tenant).offset();
    let today = now.to_offset(offset).date();
    let mut tx = db.begin_tenant_batch(tenant.id, Actor::System).await?;
    let first_day = match queries::last_day(&mut tx).await? {
        // The day before the last one written: it may have been written before it ended.
        Some(last) => last.previous_day().unwrap_or(last).min(today),
        None => today - Duration::days(HISTORY_DAYS - 1),
    };
    let window = Window {
        from: first_day.midnight().assume_offset(offset),
        to: now,
        offset_seconds: offset.whole_seconds(),
    };
    let secretariat = tsunagu_identity::queries::activity::secretariat_ids(&mut tx).await?;
    let posts = tsunagu_community::activity::posts_by_day(&mut tx, window, &secretariat).await?;
    let recruitments =
        tsunagu_community::activity::recruitments_by_day(&mut tx, window, &secretariat).await?;
    // What the level-3 share counts: posts, 募集, events and conversations.
    let mut started = posts.clone();
    started.extend_from_slice(&recruitments);
    started.extend(tsunagu_events::activity::events_by_day(&mut tx, window).await?);
    started.extend(
        tsunagu_messages::activity::conversations_by_day(&mut tx, window, &secretariat).await?,
    );
    let comments = tsunagu_community::activity::comments_by_day(&mut tx, window).await?;
    let reactions = tsunagu_community::activity::reactions_by_day(&mut tx, window).await?;
    let messages = tsunagu_messages::activity::messages_by_day(&mut tx, window).await?;
    let contacts = queries::first_contacts_by_day(&mut tx, window).await?;
    let joined = tsunagu_identity::queries::activity::active_members_by_join_day(
        &mut tx,
        window.offset_seconds,
    )
    .await?;
    let active_30d =
        tsunagu_identity::queries::activity::count_seen_since(&mut tx, now - Duration::days(30))
            .await?;

    let sum = |tallies: &[DayTally], day: Date, by_secretariat: Option<bool>| -> i32 {
        let n: i64 = tallies
            .iter()
            .filter(|t| t.day == day && by_secretariat.is_none_or(|s| t.by_secretariat == s))
            .map(|t| t.count)
            .sum();
        i32::try_from(n).unwrap_or(i32::MAX)
    };
    let members_until = |day: Date, kind: MemberKind| -> i32 {
        let n: i64 = joined
            .iter()
            .filter(|j| j.day <= day && j.kind == kind)
            .map(|j| j.count)
            .sum();
        i32::try_from(n).unwrap_or(i32::MAX)
    };
    let mut rows = Vec::new();
    let mut day = first_day;
    while day <= today {
        rows.push(DayRow {
            day,
            alumni: members_until(day, MemberKind::Alumni),
            employees: members_until(day, MemberKind::Employee),
            active_30d: (day == today).then(|| i32::try_from(active_30d).unwrap_or(i32::MAX)),
            posts: sum(&posts, day, None),
            comments: sum(&comments, day, None),
            reactions: sum(&reactions, day, None),
            recruitments: sum(&recruitments, day, None),
            messages: sum(&messages, day, None),
            member_started: sum(&started, day, Some(false)),
            secretariat_started: sum(&started, day, Some(true)),
            first_contacts: contacts
                .iter()
                .filter(|(d, _)| *d == day)
                .map(|(_, n)| i32::try_from(*n).unwrap_or(i32::MAX))
                .sum(),
        });
        day = match day.next_day() {
            Some(next) => next,
            None => break,
        };
    }
    queries::upsert_days(&mut tx, &rows).await?;

    let since = now - Duration::days(HISTORY_DAYS);
    let surveys = tsunagu_surveys::activity::response_rates(&mut tx, since, RATES_SHOWN).await?;
    queries::replace_rates(&mut tx, "survey", &surveys).await?;
    let events = tsunagu_events::activity::attendance(&mut tx, since, now, RATES_SHOWN).await?;
    queries::replace_rates(&mut tx, "event", &events).await?;
    tx.commit().await?;
    Ok(rows.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn member(n: u128) -> MemberId {
        MemberId(uuid::Uuid::from_u128(n))
    }

    fn reach(from: u128, to: u128, at: OffsetDateTime, via: Option<u128>) -> Interaction {
        Interaction {
            from_member: member(from),
            to_member: member(to),
            at,
            go_between: via.map(member),
        }
    }

    #[test]
    fn a_pair_keeps_its_earliest_interaction_whoever_began() {
        let early = datetime!(2026-03-02 10:00 UTC);
        let late = datetime!(2026-03-05 10:00 UTC);
        let contacts = first_contacts(
            &[
                reach(2, 1, late, None),
                reach(1, 2, early, Some(9)),
                reach(3, 3, early, None),
            ],
            &[member(9)],
        );
        assert_eq!(
            contacts,
            vec![FirstContact {
                low: member(1),
                high: member(2),
                at: early,
                mediated: true,
            }],
            "one pair, met first in a conversation the secretariat (9) started; no self-pairs"
        );
        let direct = first_contacts(
            &[reach(4, 5, late, Some(4)), reach(9, 5, early, None)],
            &[member(9)],
        );
        assert_eq!(direct.len(), 2);
        assert!(!direct.iter().find(|c| c.low == member(4)).unwrap().mediated);
        assert!(
            direct.iter().find(|c| c.low == member(5)).unwrap().mediated,
            "with the secretariat"
        );
    }
}
