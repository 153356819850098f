//! Limits for requests whose cost depends on what the visitor sent (a directory search with
//! text). The database pool and the machine are shared by every tenant, so without limits one
//! network's members could stall all the others. Two limits apply:
//!
//! - **Slots**: each tenant gets a share of this process's connections for such work, and all
//!   tenants together a larger share; ordinary pages always find connections.
//! - **A meter while others are served**: as long as a replica serves only one network, that
//!   network's searches run as fast as the machine allows. When another network is being served
//!   at the same time (both have had requests with no gap longer than [`CONTENTION_WINDOW`] for
//!   at least [`CONTENTION_OVERLAP`]), each network's expensive requests are admitted at most
//!   [`SHARED_RATE`] per second (after a burst of [`SHARED_BURST`]) in this process. The
//!   overlap matters: without it, the first requests of a network that starts just as another
//!   one stops were metered, and at a high rate the few seconds they waited backed everything
//!   up behind them (a benchmark round of directory searches after a round of another tenant's
//!   timeline waited 1.4 s at the median). A request
//!   over the rate waits for its turn; one that would wait longer than [`WAIT_FOR_SLOT`] waits
//!   that long and is then answered 503 with `Retry-After`. Waiting costs no CPU, so a client
//!   that floods gets slower answers rather than more of the machine (measured by the
//!   noisy-neighbour scenario of `just bench`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;
use tsunagu_kernel::TenantId;

use crate::error::AppError;

/// How long a request may wait for a slot before it is turned away.
pub const WAIT_FOR_SLOT: Duration = Duration::from_secs(2);

/// A network's activity is continuous while its requests come no further apart than this.
pub const CONTENTION_WINDOW: Duration = Duration::from_millis(100);

/// Two networks contend once both have been continuously active together for this long. Longer
/// than [`CONTENTION_WINDOW`], so that a network starting as another stops never contends with
/// it; short, because until the meter engages a flood runs at full speed (at 1 s, the
/// noisy-neighbour rounds of `just bench` saw the measured tenant's queue from that second
/// spill into its measurement: p99 ratio 2.35).
pub const CONTENTION_OVERLAP: Duration = Duration::from_millis(300);

/// Expensive requests per second and tenant in this process while other networks are served.
/// A person searching, even as they type, stays well below it.
pub const SHARED_RATE: u32 = 10;

/// Requests a tenant may make at once before [`SHARED_RATE`] spaces them.
pub const SHARED_BURST: u32 = 10;

/// Slots and meters for expensive requests: per tenant, and for all tenants together.
pub struct ExpensiveWork {
    per_tenant: usize,
    all_tenants: Arc<Semaphore>,
    tenants: Mutex<HashMap<TenantId, Arc<Semaphore>>>,
    /// Each recently served tenant's current stretch of continuous activity.
    activity: Mutex<HashMap<TenantId, Activity>>,
    /// Per tenant, the earliest time its next metered request may run (a virtual schedule,
    /// the generic cell rate algorithm).
    schedule: Mutex<HashMap<TenantId, Instant>>,
}

/// A stretch of continuous activity: requests no further apart than [`CONTENTION_WINDOW`].
#[derive(Clone, Copy, Debug)]
struct Activity {
    since: Instant,
    last: Instant,
}

/// What the meter says about one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Turn {
    /// Run now or at this time.
    At(Instant),
    /// Over the rate by more than the longest wait.
    Refused,
}

/// Held while an expensive request runs; dropping it frees the slots.
pub struct WorkSlot {
    _tenant: OwnedSemaphorePermit,
    _all: OwnedSemaphorePermit,
}

impl ExpensiveWork {
    /// Limits sized from the database pool: two fifths of it per tenant and three fifths for
    /// all tenants together (each at least one), so ordinary pages always find connections.
    /// A quarter per tenant (two of ten) halved one network's search throughput on two cores,
    /// and under CPU steal its searches queued for seconds; the meter, not the slots, is what
    /// keeps a flooding network from the others.
    pub fn for_pool(pool_size: u32) -> Self {
        let pool = pool_size.max(1) as usize;
        Self::new((pool * 2 / 5).max(1), (pool * 3 / 5).max(1))
    }

    pub fn new(per_tenant: usize, all_tenants: usize) -> Self {
        Self {
            per_tenant,
            all_tenants: Arc::new(Semaphore::new(all_tenants)),
            tenants: Mutex::new(HashMap::new()),
            activity: Mutex::new(HashMap::new()),
            schedule: Mutex::new(HashMap::new()),
        }
    }

    /// Notes that `tenant` is being served (called by the tenancy layer for every request).
    pub fn saw(&self, tenant: TenantId) {
        self.saw_at(tenant, Instant::now());
    }

    fn saw_at(&self, tenant: TenantId, now: Instant) {
        let mut activity = self.activity.lock().unwrap_or_else(|p| p.into_inner());
        let stretch = activity.entry(tenant).or_insert(Activity {
            since: now,
            last: now,
        });
        if now.saturating_duration_since(stretch.last) > CONTENTION_WINDOW {
            stretch.since = now;
        }
        // `last` may lie ahead: a metered network stays active until its queue is answered.
        stretch.last = stretch.last.max(now);
    }

    /// Keeps `tenant`'s stretch of activity going until `until`, when the request the meter has
    /// just placed is answered. A metered network's own requests come no faster than the meter
    /// lets them through, often further apart than [`CONTENTION_WINDOW`]; without this its
    /// stretch would end between them, and each new stretch would run unmetered for
    /// [`CONTENTION_OVERLAP`] (a flood of 32 connections did so about every two seconds).
    fn active_until(&self, tenant: TenantId, until: Instant) {
        let mut activity = self.activity.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(stretch) = activity.get_mut(&tenant) {
            stretch.last = stretch.last.max(until);
        }
    }

    /// Whether another tenant is being served together with `tenant`: both continuously active
    /// now, and together for at least [`CONTENTION_OVERLAP`]. Forgets tenants whose activity
    /// stopped, so the map holds only the active ones.
    fn others_served(&self, tenant: TenantId, now: Instant) -> bool {
        let mut activity = self.activity.lock().unwrap_or_else(|p| p.into_inner());
        activity
            .retain(|_, stretch| now.saturating_duration_since(stretch.last) <= CONTENTION_WINDOW);
        let Some(mine) = activity.get(&tenant).copied() else {
            return false;
        };
        activity.iter().any(|(other, stretch)| {
            *other != tenant
                && now.saturating_duration_since(mine.since.max(stretch.since))
                    >= CONTENTION_OVERLAP
        })
    }

    /// The meter's turn for one request of `tenant` at `now` (which it books when granted).
    fn turn(&self, tenant: TenantId, now: Instant) -> Option<Turn> {
        if !self.others_served(tenant, now) {
            return None;
        }
        let interval = Duration::from_secs(1) / SHARED_RATE;
        let burst = interval * SHARED_BURST;
        let mut schedule = self.schedule.lock().unwrap_or_else(|p| p.into_inner());
        // A tenant idle for long may run `SHARED_BURST` requests at once, then one per interval.
        let earliest = now.checked_sub(burst - interval).unwrap_or(now);
        let next = schedule
            .get(&tenant)
            .copied()
            .unwrap_or(earliest)
            .max(earliest);
        let turn = if next > now + WAIT_FOR_SLOT {
            Turn::Refused
        } else {
            schedule.insert(tenant, next + interval);
            if schedule.len() > 4096 {
                schedule.retain(|_, at| *at > earliest);
            }
            Turn::At(next.max(now))
        };
        drop(schedule);
        let answered = match turn {
            Turn::At(at) => at,
            Turn::Refused => now + WAIT_FOR_SLOT,
        };
        self.active_until(tenant, answered);
        Some(turn)
    }

    pub fn per_tenant(&self) -> usize {
        self.per_tenant
    }

    fn tenant_slots(&self, tenant: TenantId) -> Arc<Semaphore> {
        let mut tenants = self.tenants.lock().unwrap_or_else(|p| p.into_inner());
        tenants
            .entry(tenant)
            .or_insert_with(|| Arc::new(Semaphore::new(self.per_tenant)))
            .clone()
    }

    /// Waits up to [`WAIT_FOR_SLOT`] for a slot of `tenant` and one of all tenants'.
    pub async fn enter(&self, tenant: TenantId) -> Result<WorkSlot, AppError> {
        self.enter_within(tenant, WAIT_FOR_SLOT).await
    }

    async fn enter_within(&self, tenant: TenantId, wait: Duration) -> Result<WorkSlot, AppError> {
        let started = Instant::now();
        match self.turn(tenant, started) {
            None => {}
            Some(Turn::At(at)) => tokio::time::sleep_until(at).await,
            Some(Turn::Refused) => {
                // Answered only after the longest wait, so that flooding does not pay.
                tokio::time::sleep(wait).await;
                tracing::warn!(tenant.id = %tenant, "expensive request turned away: over the shared rate");
                return Err(AppError::Busy);
            }
        }
        let wait = wait.saturating_sub(started.elapsed());
        let tenant_slots = self.tenant_slots(tenant);
        let all = self.all_tenants.clone();
        let acquire = async move {
            // The tenant's own slot first: a tenant that is over its share waits in its own
            // line and never holds one of the shared slots while it waits.
            let own = tenant_slots.acquire_owned().await.ok()?;
            let shared = all.acquire_owned().await.ok()?;
            Some(WorkSlot {
                _tenant: own,
                _all: shared,
            })
        };
        match tokio::time::timeout(wait, acquire).await {
            Ok(Some(slot)) => Ok(slot),
            _ => {
                tracing::warn!(tenant.id = %tenant, "expensive request turned away: no free slot");
                Err(AppError::Busy)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn one_tenant_cannot_take_every_slot() {
        let work = ExpensiveWork::new(2, 3);
        let wait = Duration::from_millis(20);
        let (a, b) = (TenantId::new(), TenantId::new());
        let a1 = work.enter_within(a, wait).await.unwrap();
        let _a2 = work.enter_within(a, wait).await.unwrap();
        // A third request of tenant a waits, then is turned away…
        assert!(matches!(
            work.enter_within(a, wait).await,
            Err(AppError::Busy)
        ));
        // …while tenant b still gets the shared slot that is left.
        let _b1 = work.enter_within(b, wait).await.unwrap();
        assert!(matches!(
            work.enter_within(b, wait).await,
            Err(AppError::Busy)
        ));
        drop(a1);
        let _b2 = work.enter_within(b, wait).await.unwrap();
    }

    #[test]
    fn sized_from_the_pool() {
        let work = ExpensiveWork::for_pool(10);
        assert_eq!(work.per_tenant(), 4);
        assert_eq!(work.all_tenants.available_permits(), 6);
        assert_eq!(ExpensiveWork::for_pool(1).per_tenant(), 1);
    }

    #[tokio::test]
    async fn alone_a_network_is_not_metered() {
        let work = ExpensiveWork::new(2, 3);
        let (a, now) = (TenantId::new(), Instant::now());
        work.saw_at(a, now);
        for _ in 0..10 * SHARED_BURST {
            assert_eq!(work.turn(a, now), None);
        }
    }

    /// Both tenants served every 50 ms from `from` for `span`; returns the last moment.
    fn served_together(
        work: &ExpensiveWork,
        tenants: &[TenantId],
        from: Instant,
        span: Duration,
    ) -> Instant {
        let mut at = from;
        while at < from + span {
            for tenant in tenants {
                work.saw_at(*tenant, at);
            }
            at += Duration::from_millis(50);
        }
        for tenant in tenants {
            work.saw_at(*tenant, at);
        }
        at
    }

    #[tokio::test]
    async fn a_network_that_starts_as_another_stops_is_not_metered() {
        let work = ExpensiveWork::new(2, 3);
        let (a, b) = (TenantId::new(), TenantId::new());
        let start = Instant::now() + Duration::from_secs(60);
        // b is busy for five seconds, then a starts right as b stops.
        let end = served_together(&work, &[b], start, Duration::from_secs(5));
        let now = end + Duration::from_millis(20);
        work.saw_at(a, now);
        for _ in 0..10 * SHARED_BURST {
            assert_eq!(work.turn(a, now), None);
        }
    }

    #[tokio::test]
    async fn while_others_are_served_a_network_is_metered() {
        let work = ExpensiveWork::new(2, 3);
        let (a, b) = (TenantId::new(), TenantId::new());
        let start = Instant::now() + Duration::from_secs(60);
        // Together for less than the overlap: not yet.
        let early = served_together(&work, &[a, b], start, CONTENTION_OVERLAP / 2);
        assert_eq!(work.turn(a, early), None);
        let now = served_together(&work, &[a, b], early, CONTENTION_OVERLAP);
        let interval = Duration::from_secs(1) / SHARED_RATE;
        // The burst runs at once…
        for _ in 0..SHARED_BURST {
            assert_eq!(work.turn(a, now), Some(Turn::At(now)));
        }
        // …then requests are spaced, up to the longest wait…
        let waits = WAIT_FOR_SLOT.as_millis() / interval.as_millis();
        for i in 1..=waits as u32 {
            assert_eq!(work.turn(a, now), Some(Turn::At(now + interval * i)));
        }
        // …and beyond it refused, while the other network still has its own burst.
        assert_eq!(work.turn(a, now), Some(Turn::Refused));
        assert_eq!(work.turn(b, now), Some(Turn::At(now)));
        // Once the other network has been quiet for the window, the meter stops.
        let later = now + CONTENTION_WINDOW + Duration::from_millis(1);
        work.saw_at(a, later);
        assert_eq!(work.turn(a, later), None);
    }

    #[tokio::test]
    async fn a_metered_network_stays_metered_while_its_queue_lasts() {
        let work = ExpensiveWork::new(2, 3);
        let (a, b) = (TenantId::new(), TenantId::new());
        let start = Instant::now() + Duration::from_secs(60);
        let now = served_together(&work, &[a, b], start, CONTENTION_OVERLAP * 2);
        // a floods: its burst runs, the rest queue or are refused.
        while work.turn(a, now) != Some(Turn::Refused) {}
        // b goes on being served; a's next request comes after a gap longer than the window,
        // as a metered flood's do. It is still metered, with no fresh unmetered stretch.
        let mut at = now;
        for _ in 0..4 {
            at += CONTENTION_WINDOW / 2;
            work.saw_at(b, at);
        }
        assert!(at - now > CONTENTION_WINDOW);
        work.saw_at(a, at);
        assert!(matches!(work.turn(a, at), Some(Turn::At(when)) if when > at));
    }
}
