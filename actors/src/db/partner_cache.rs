//! Approved partners by Telegram id, remembered for a moment.
//!
//! Every step of the partner bot needs to know who is writing: the partner, its status, its rate and language. A
//! dialogue is several steps a few hundred milliseconds apart, so each replica keeps what it read for `ttl` and
//! reads again after that. Only approved partners are kept: an applicant who is approved is recognised on the very
//! next step, and a partner who is blocked loses the menu within `ttl` on every replica (on this one at once when
//! the change is made here). Money never rests on this: the ledger reads the partner's status in the transaction
//! that moves the points and refuses a partner who is not approved.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use fsm::Lang;
use fsm::partner::PartnerInfo;

/// Entries at most before the stale ones are swept out (and, if all are fresh, all of them): memory stays bounded
/// however many partners write.
const ENTRIES_MAX: usize = 10_000;

/// An approved partner as the partner bot sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovedPartner {
    pub info: PartnerInfo,
    /// The language chosen with /language, if any.
    pub lang: Option<Lang>,
}

pub struct PartnerCache {
    ttl: Duration,
    entries: Mutex<HashMap<i64, (Instant, ApprovedPartner)>>,
}

impl PartnerCache {
    /// A zero `ttl` turns the cache off: every step reads Postgres.
    pub fn new(ttl: Duration) -> PartnerCache {
        PartnerCache {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i64, (Instant, ApprovedPartner)>> {
        // A panic elsewhere while holding the lock leaves a consistent map (every operation is one call).
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn get(&self, telegram_id: i64) -> Option<ApprovedPartner> {
        let entries = self.lock();
        let (read_at, partner) = entries.get(&telegram_id)?;
        (read_at.elapsed() < self.ttl).then(|| partner.clone())
    }

    pub fn put(&self, telegram_id: i64, partner: ApprovedPartner) {
        if self.ttl.is_zero() {
            return;
        }
        let mut entries = self.lock();
        if entries.len() >= ENTRIES_MAX {
            let ttl = self.ttl;
            entries.retain(|_, (read_at, _)| read_at.elapsed() < ttl);
            if entries.len() >= ENTRIES_MAX {
                entries.clear();
            }
        }
        entries.insert(telegram_id, (Instant::now(), partner));
    }

    /// Drops what is known about this partner (its row changed here), so the next step reads it again.
    pub fn forget(&self, telegram_id: i64) {
        self.lock().remove(&telegram_id);
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fsm::{CashbackRate, PartnerId};

    fn partner(id: i64) -> ApprovedPartner {
        ApprovedPartner {
            info: PartnerInfo {
                id: PartnerId(id),
                company: "Coffee".into(),
                rate: CashbackRate::DEFAULT,
            },
            lang: None,
        }
    }

    #[test]
    fn an_entry_is_served_until_its_ttl_and_not_after() {
        let cache = PartnerCache::new(Duration::from_millis(50));
        cache.put(7, partner(1));
        assert_eq!(cache.get(7), Some(partner(1)));
        assert_eq!(cache.get(8), None);
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(cache.get(7), None, "a stale entry must be read again");
    }

    #[test]
    fn forget_and_a_zero_ttl_mean_the_next_step_reads_the_database() {
        let cache = PartnerCache::new(Duration::from_secs(60));
        cache.put(7, partner(1));
        cache.forget(7);
        assert_eq!(cache.get(7), None);
        let off = PartnerCache::new(Duration::ZERO);
        off.put(7, partner(1));
        assert_eq!(off.get(7), None);
        assert_eq!(off.len(), 0);
    }

    #[test]
    fn memory_stays_bounded_however_many_partners_write() {
        let cache = PartnerCache::new(Duration::from_secs(60));
        for id in 0..(ENTRIES_MAX as i64 * 3) {
            cache.put(id, partner(id));
        }
        assert!(cache.len() <= ENTRIES_MAX, "{} entries", cache.len());
        let last = ENTRIES_MAX as i64 * 3 - 1;
        assert_eq!(cache.get(last), Some(partner(last)));
    }
}
