//! Rate limits shared by every replica (issue 17): the per-user update limit and Telegram's per-bot send limit, each
//! a GCRA (generic cell rate algorithm) kept in Redis, so two replicas together admit what one would — not twice it.
//!
//! The governor limiters in the ingress and the outbox stay the first gate, in memory: an update (or a send) that
//! the local limiter refuses never costs a round trip. Only what it admits asks Redis, with one `EVALSHA` of a
//! single-key script (cluster-safe: the key carries a hash tag). Concurrent checks share the multiplexed connection,
//! which pipelines them on the socket. Redis's own clock (`TIME`) is the one clock, so replicas' clocks may differ.
//!
//! If Redis does not answer, the shared limit fails open (the local one still holds), the miss is counted, and Redis
//! is not asked again for [`BACK_OFF`], so an outage costs updates no extra wait.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use actors::redis_conn::Redis;
use fsm::BotKind;

/// How long one check may take before the shared limit is skipped for this update (fail open).
const CHECK_TIMEOUT: Duration = Duration::from_millis(500);
/// After a failed check, the shared limit is skipped this long (the local one applies).
pub const BACK_OFF: Duration = Duration::from_secs(1);

/// The GCRA, in microseconds of Redis's clock. KEYS[1]: a hash with `t` (the theoretical arrival time of the next
/// cell) and `n` (until when the user's slow-down notice is taken). ARGV: 1 the emission interval (µs per cell),
/// 2 the burst tolerance (µs: interval × burst), 3 the cells wanted, 4 the notice window (µs; 0: no notice asked),
/// 5 the mode: `take` (cells, as many as available up to ARGV[3] when 6 is `1`, else all or none) or `notice`
/// (only claim the notice). Returns {cells granted, µs until one cell is available, 1 if the caller is to send the
/// notice}. Numbers are written with `%.0f`: µs since 1970 need 16 digits, which Lua's default formatting would
/// round. The key lives as long as it holds anything: `t` in the future or the notice window.
const GCRA_LUA: &str = r#"
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local wanted = tonumber(ARGV[3])
local window = tonumber(ARGV[4])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local held = redis.call('HMGET', KEYS[1], 't', 'n')
local tat = tonumber(held[1]) or now
if tat < now then tat = now end
local noticed = tonumber(held[2]) or 0
local granted = 0
if ARGV[5] == 'take' then
  local available = math.floor((now + tolerance - tat) / interval)
  if available >= wanted then
    granted = wanted
  elseif ARGV[6] == '1' and available > 0 then
    granted = available
  end
  tat = tat + granted * interval
end
local wait = 0
if granted == 0 then wait = tat + interval - tolerance - now end
if wait < 0 then wait = 0 end
local notify = 0
if granted == 0 and window > 0 and noticed <= now then
  notify = 1
  noticed = now + window
end
local until_ = math.max(tat, noticed)
if until_ > now then
  redis.call('HSET', KEYS[1], 't', string.format('%.0f', tat), 'n', string.format('%.0f', noticed))
  redis.call('PEXPIRE', KEYS[1], string.format('%.0f', math.ceil((until_ - now) / 1000) + 1))
end
return {granted, math.ceil(wait), notify}
"#;

/// A rate as the script takes it: µs per cell and the burst tolerance.
#[derive(Debug, Clone, Copy)]
pub struct Rate {
    interval_us: u64,
    tolerance_us: u64,
}

impl Rate {
    /// `per_s` cells per second with bursts of `burst` cells (both at least 1), as `governor::Quota::per_second(
    /// per_s).allow_burst(burst)` allows them.
    pub fn new(per_s: u32, burst: u32) -> Rate {
        let interval_us = (1_000_000 / u64::from(per_s.max(1))).max(1);
        Rate {
            interval_us,
            tolerance_us: interval_us * u64::from(burst.max(1)),
        }
    }

    fn interval(&self) -> Duration {
        Duration::from_micros(self.interval_us)
    }
}

/// What Redis answered to a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    /// Cells granted (0: refused).
    pub granted: u32,
    /// When refused: how long until a cell is available.
    pub retry_after: Duration,
    /// When refused: this caller is the first, across replicas, to refuse the user in the notice window.
    pub notify: bool,
}

/// The shared limits' connection, script and key prefix; cheap to clone.
#[derive(Clone)]
pub struct SharedLimits {
    conn: Redis,
    script: Arc<redis::Script>,
    namespace: String,
    /// Checks that found Redis unavailable (or skipped it during the back-off) and let the local limit decide.
    pub unavailable: Arc<AtomicU64>,
    /// Until when (µs since `epoch`) Redis is not asked, after a failure.
    skip_until_us: Arc<AtomicU64>,
    epoch: Instant,
}

impl SharedLimits {
    /// Limits under the Redis key prefix `namespace` (`sessions.redis_namespace`).
    pub fn new(conn: Redis, namespace: &str) -> SharedLimits {
        SharedLimits {
            conn,
            script: Arc::new(redis::Script::new(GCRA_LUA)),
            namespace: namespace.to_owned(),
            unavailable: Arc::new(AtomicU64::new(0)),
            skip_until_us: Arc::new(AtomicU64::new(0)),
            epoch: Instant::now(),
        }
    }

    /// `{ns}rl:v1:{u<user>}`: one user's update limit and slow-down notice, for every bot.
    pub fn user_key(&self, user: i64) -> String {
        format!("{}rl:v1:{{u{user}}}", self.namespace)
    }

    /// `{ns}sendrl:v1:{<bot>}`: one bot's send limit.
    pub fn bot_key(&self, bot: BotKind) -> String {
        format!("{}sendrl:v1:{{{}}}", self.namespace, bot.as_str())
    }

    /// Charges one update of `user`. When refused, `notify` says whether this replica sends the slow-down notice
    /// (once per `notice_window` across replicas). `None`: Redis unavailable, the local limit decides.
    pub async fn take_update(
        &self,
        user: i64,
        rate: Rate,
        notice_window: Duration,
    ) -> Option<Verdict> {
        self.run(&self.user_key(user), rate, 1, false, notice_window, "take")
            .await
    }

    /// Claims the slow-down notice for `user` after a local refusal: true if no replica sent one in the window.
    /// Redis unavailable: true (a second notice is better than none).
    pub async fn claim_notice(&self, user: i64, rate: Rate, notice_window: Duration) -> bool {
        self.run(
            &self.user_key(user),
            rate,
            0,
            false,
            notice_window,
            "notice",
        )
        .await
        .is_none_or(|v| v.notify)
    }

    /// Takes up to `cells` sends of `bot` (at least one, or none and the wait). `None`: Redis unavailable.
    pub async fn take_sends(&self, bot: BotKind, rate: Rate, cells: u32) -> Option<Verdict> {
        self.run(
            &self.bot_key(bot),
            rate,
            cells,
            true,
            Duration::ZERO,
            "take",
        )
        .await
    }

    async fn run(
        &self,
        key: &str,
        rate: Rate,
        cells: u32,
        partial: bool,
        notice_window: Duration,
        mode: &str,
    ) -> Option<Verdict> {
        let now_us = self.epoch.elapsed().as_micros() as u64;
        if now_us < self.skip_until_us.load(Ordering::Relaxed) {
            self.unavailable.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        let mut conn = self.conn.clone();
        let mut invocation = self.script.key(key);
        invocation
            .arg(rate.interval_us)
            .arg(rate.tolerance_us)
            .arg(cells)
            .arg(notice_window.as_micros() as u64)
            .arg(mode)
            .arg(if partial { "1" } else { "0" });
        let answer = tokio::time::timeout(
            CHECK_TIMEOUT,
            invocation.invoke_async::<(u32, u64, u8)>(&mut conn),
        )
        .await;
        match answer {
            Ok(Ok((granted, wait_us, notify))) => Some(Verdict {
                granted,
                retry_after: Duration::from_micros(wait_us),
                notify: notify == 1,
            }),
            failed => {
                let error = match failed {
                    Ok(Err(e)) => e.to_string(),
                    _ => "timed out".to_owned(),
                };
                tracing::warn!(%error, key, "shared rate limit unavailable; the local limit applies");
                self.unavailable.fetch_add(1, Ordering::Relaxed);
                let until = self.epoch.elapsed() + BACK_OFF;
                self.skip_until_us
                    .store(until.as_micros() as u64, Ordering::Relaxed);
                None
            }
        }
    }
}

/// A bot's shared send allowance, taken from Redis `batch` cells at a time so most sends cost no round trip.
/// Cells not used within the time they stand for (`batch` intervals, at least [`HOLD_MIN`]) are dropped, so a quiet
/// replica cannot save them up for a burst above the shared rate.
pub struct SendTokens {
    limits: SharedLimits,
    bot: BotKind,
    rate: Rate,
    batch: u32,
    hold: Duration,
    /// Cells in hand and when they were granted; the lock also queues the senders while the bucket is empty.
    held: tokio::sync::Mutex<(u32, Instant)>,
}

/// The shortest time granted cells are kept.
const HOLD_MIN: Duration = Duration::from_millis(50);

impl SendTokens {
    /// `per_s` sends per second for `bot` across replicas, bursts of `burst`. The batch is a tenth of a second's
    /// worth (1 to 100 cells): at 30/s, three sends per round trip.
    pub fn new(limits: SharedLimits, bot: BotKind, per_s: u32, burst: u32) -> SendTokens {
        let rate = Rate::new(per_s, burst);
        let batch = (per_s / 10).clamp(1, 100);
        SendTokens {
            limits,
            bot,
            rate,
            batch,
            hold: (rate.interval() * batch).max(HOLD_MIN),
            held: tokio::sync::Mutex::new((0, Instant::now())),
        }
    }

    /// Waits for one send's cell. Redis unavailable: returns at once (the local per-bot limiter already waited).
    pub async fn acquire(&self) {
        let mut held = self.held.lock().await;
        loop {
            if held.0 > 0 && held.1.elapsed() < self.hold {
                held.0 -= 1;
                return;
            }
            match self
                .limits
                .take_sends(self.bot, self.rate, self.batch)
                .await
            {
                None => return,
                Some(v) if v.granted > 0 => *held = (v.granted, Instant::now()),
                Some(v) => {
                    tokio::time::sleep(v.retry_after.max(Duration::from_millis(1))).await;
                }
            }
        }
    }
}
