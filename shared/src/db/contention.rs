//! How long a write that loses races to others on the same items is tried again.

use std::time::Duration;

/// How long a write that keeps losing races to others on the same items is tried again.
/// Checkouts, counts and cancels of one popular variant each condition on its count of
/// movements, so one wins each round: the others read again and try again.
pub const CONTENTION_BUDGET: Duration = Duration::from_secs(6);

/// The tries of a write that lost a race: each waits a random pause of up to 5 ms doubling
/// to 80 ms ("full jitter", so that the losers spread out), for at most [`CONTENTION_BUDGET`].
#[derive(Debug)]
pub struct Contention {
    deadline: tokio::time::Instant,
    attempt: u32,
}

impl Default for Contention {
    fn default() -> Self {
        Self::new()
    }
}

impl Contention {
    pub fn new() -> Self {
        Self::within(CONTENTION_BUDGET)
    }

    /// An order's (a checkout, a cancel, an expiry): longer, as the buyers of one variant in a
    /// rush all wait their turn (200 checkouts of one variant at once on the local stack: the
    /// last placed after 12 to 17 s). The orders' functions run 28 s: a call to Stripe (10 s
    /// at most) and this budget, within API Gateway's 30 s.
    pub fn for_orders() -> Self {
        Self::within(CONTENTION_BUDGET * 3)
    }

    fn within(budget: Duration) -> Self {
        Self {
            deadline: tokio::time::Instant::now() + budget,
            attempt: 0,
        }
    }

    /// The number of this try (0 for the first), to tell the tries' writes apart.
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// Waits before the next try; `false` when the budget is spent (the caller answers 503).
    pub async fn lost(&mut self) -> bool {
        self.attempt += 1;
        let ceiling = 5u64 << self.attempt.min(4);
        let mut random = [0u8; 2];
        let _ = getrandom::fill(&mut random);
        let pause = Duration::from_millis(u64::from(u16::from_le_bytes(random)) % (ceiling + 1));
        if tokio::time::Instant::now() + pause >= self.deadline {
            return false;
        }
        tokio::time::sleep(pause).await;
        true
    }
}
