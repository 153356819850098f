//! Concurrency limits for requests whose cost depends on what the visitor sent (a directory
//! search with text). The database pool is shared by every tenant, so without a limit one
//! network's members could hold every connection and stall all the others. Each tenant gets a
//! few slots in this process, and all tenants together at most half the pool; a request that
//! finds no free slot within [`WAIT_FOR_SLOT`] is answered 503 with `Retry-After`, so a flood
//! is pushed back at the flooder rather than queued for everyone.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tsunagu_kernel::TenantId;

use crate::error::AppError;

/// How long a request may wait for a slot before it is turned away.
pub const WAIT_FOR_SLOT: Duration = Duration::from_secs(2);

/// Slots for expensive requests: per tenant, and for all tenants together.
pub struct ExpensiveWork {
    per_tenant: usize,
    all_tenants: Arc<Semaphore>,
    tenants: Mutex<HashMap<TenantId, Arc<Semaphore>>>,
}

/// Held while an expensive request runs; dropping it frees the slots.
pub struct WorkSlot {
    _tenant: OwnedSemaphorePermit,
    _all: OwnedSemaphorePermit,
}

impl ExpensiveWork {
    /// Limits sized from the database pool: a quarter of it per tenant and half of it for all
    /// tenants together (each at least one), so ordinary pages always find connections.
    pub fn for_pool(pool_size: u32) -> Self {
        let pool = pool_size.max(1) as usize;
        Self::new((pool / 4).max(1), (pool / 2).max(1))
    }

    pub fn new(per_tenant: usize, all_tenants: usize) -> Self {
        Self {
            per_tenant,
            all_tenants: Arc::new(Semaphore::new(all_tenants)),
            tenants: Mutex::new(HashMap::new()),
        }
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
        assert_eq!(work.per_tenant(), 2);
        assert_eq!(work.all_tenants.available_permits(), 5);
        assert_eq!(ExpensiveWork::for_pool(1).per_tenant(), 1);
    }
}
