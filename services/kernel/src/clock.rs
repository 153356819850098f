//! The application's clock. Decisions that turn on a moment to the second (a support grant's
//! end) read it here rather than from the system directly, so that tests can set the time.
//! The database keeps its own clock (`now()`) for its own checks.

use std::sync::{Arc, RwLock};

use time::OffsetDateTime;

/// The system clock, or a fixed time a test set. Cheap to clone; clones share the setting.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    fixed: Arc<RwLock<Option<OffsetDateTime>>>,
}

impl Clock {
    /// The current time (the system's, unless a test set one).
    pub fn now(&self) -> OffsetDateTime {
        self.fixed
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .unwrap_or_else(OffsetDateTime::now_utc)
    }

    /// Stops the clock at `at` (tests).
    pub fn set(&self, at: OffsetDateTime) {
        *self.fixed.write().unwrap_or_else(|p| p.into_inner()) = Some(at);
    }

    /// Lets the clock follow the system again.
    pub fn release(&self) {
        *self.fixed.write().unwrap_or_else(|p| p.into_inner()) = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_clock_stays_until_released_and_clones_share_it() {
        let clock = Clock::default();
        let copy = clock.clone();
        let at = OffsetDateTime::from_unix_timestamp(1_000_000_000).unwrap();
        clock.set(at);
        assert_eq!(copy.now(), at);
        clock.release();
        assert!(copy.now() > at);
    }
}
