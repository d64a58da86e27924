//! The Jepsen-style history of every step that moves points, and its check against the database.
//!
//! A money step is logged when the synthetic user makes it (`invoke`, with the idempotency key the product will use,
//! read from the button pressed) and completed with what the user then saw: `ok` (the success message), `fail` (a
//! refusal: declined, insufficient points) or `unknown` (no answer in time, a replica killed under it). Afterwards
//! [`check`] holds the database to the history:
//! - an `ok` operation is in the journal once, with the points the user was shown;
//! - a `fail` operation is absent;
//! - an `unknown` one is there at most once (either outcome is allowed; the database decides it);
//! - no accrual or redemption exists that nobody asked for;
//! - every client's wallet equals the welcome bonus plus what the history and the resolved unknowns add up to;
//! - `check-ledger`'s invariants all hold.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::Instant;

use serde::{Deserialize, Serialize};

/// What a money step is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpKind {
    Welcome,
    Accrual,
    Redemption,
}

/// How a money step ended, as its user saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Completion {
    Invoked,
    Ok,
    Fail,
    Unknown,
}

/// One money step.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Op {
    pub kind: OpKind,
    /// The ledger's idempotency key (`accrual:{draft}`, `redeem:{draft}`, `welcome:c{client id}` once resolved).
    pub key: String,
    /// The client's Telegram id.
    pub client: i64,
    /// Points the user was shown (or asked for, until shown).
    pub points: i64,
    pub completion: Completion,
    /// Milliseconds since the run began: invoked and completed.
    pub invoked_ms: u64,
    pub completed_ms: Option<u64>,
}

/// The run's history, shared by every synthetic user.
pub struct History {
    start: Instant,
    ops: Mutex<Vec<Op>>,
}

impl History {
    pub fn new(start: Instant) -> History {
        History {
            start,
            ops: Mutex::new(Vec::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Op>> {
        self.ops.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Logs an invocation; returns its index for [`History::complete`].
    pub fn invoke(&self, kind: OpKind, key: String, client: i64, points: i64) -> usize {
        let mut ops = self.lock();
        ops.push(Op {
            kind,
            key,
            client,
            points,
            completion: Completion::Invoked,
            invoked_ms: self.start.elapsed().as_millis() as u64,
            completed_ms: None,
        });
        ops.len() - 1
    }

    /// Completes invocation `i`; `points` replaces the asked points when the user was shown a figure.
    pub fn complete(&self, i: usize, completion: Completion, points: Option<i64>) {
        let at = self.start.elapsed().as_millis() as u64;
        if let Some(op) = self.lock().get_mut(i) {
            op.completion = completion;
            op.completed_ms = Some(at);
            if let Some(p) = points {
                op.points = p;
            }
        }
    }

    /// Every op, invocations never completed turned into `unknown`.
    pub fn finish(&self) -> Vec<Op> {
        let mut ops = self.lock().clone();
        for op in &mut ops {
            if op.completion == Completion::Invoked {
                op.completion = Completion::Unknown;
            }
        }
        ops
    }
}

/// What the check found.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Verdict {
    pub ok: usize,
    pub fail: usize,
    pub unknown: usize,
    /// Unknowns the database shows applied.
    pub unknown_applied: usize,
    pub clients_checked: usize,
    /// Each violation, in words.
    pub violations: Vec<String>,
}

/// Holds the database at `db` to `ops` (see the module doc). A welcome bonus is named `welcome:tg{telegram id}` on
/// both sides (the user cannot know the client's row id the ledger key uses).
pub async fn check(db: &tokio_postgres::Client, ops: &[Op]) -> anyhow::Result<Verdict> {
    let mut verdict = Verdict::default();
    let rows = db
        .query(
            "SELECT CASE WHEN o.kind = 'welcome_bonus' THEN 'welcome:tg' || c.telegram_id ELSE o.idempotency_key END,
                    o.kind, o.points
             FROM operations o
             JOIN clients c ON c.id = o.client_id
             WHERE o.kind IN ('accrual', 'redemption', 'welcome_bonus')",
            &[],
        )
        .await?;
    // key -> (kind, points); a key twice is a double application.
    let mut applied: HashMap<String, (String, i64)> = HashMap::new();
    for r in &rows {
        let key: Option<String> = r.get(0);
        let key = key.unwrap_or_default();
        if applied.insert(key.clone(), (r.get(1), r.get(2))).is_some() {
            verdict
                .violations
                .push(format!("{key} is in the journal twice"));
        }
    }
    let mut logged = HashSet::new();
    // The wallet each client must hold: what the history says happened.
    let mut expected: HashMap<i64, i64> = HashMap::new();
    for op in ops {
        logged.insert(op.key.clone());
        let found = applied.get(&op.key);
        let sign = if op.kind == OpKind::Redemption { -1 } else { 1 };
        let wallet = expected.entry(op.client).or_default();
        match op.completion {
            Completion::Ok => {
                verdict.ok += 1;
                match found {
                    None => verdict.violations.push(format!(
                        "{:?} {} was acknowledged to the user ({} points) but is not in the journal",
                        op.kind, op.key, op.points
                    )),
                    Some((_, points)) if *points != op.points => verdict.violations.push(format!(
                        "{:?} {}: the user was shown {} points, the journal holds {points}",
                        op.kind, op.key, op.points
                    )),
                    Some((_, points)) => *wallet += sign * points,
                }
            }
            Completion::Fail => {
                verdict.fail += 1;
                if found.is_some() {
                    verdict.violations.push(format!(
                        "{:?} {} was refused to the user but is in the journal",
                        op.kind, op.key
                    ));
                }
            }
            Completion::Unknown | Completion::Invoked => {
                verdict.unknown += 1;
                if let Some((_, points)) = found {
                    verdict.unknown_applied += 1;
                    *wallet += sign * points;
                }
            }
        }
    }
    for (key, (kind, points)) in &applied {
        if !logged.contains(key) {
            verdict.violations.push(format!(
                "{kind} {key} ({points} points) is in the journal but no user asked for it"
            ));
        }
    }
    // Wallets: every client of the run.
    for (client, want) in &expected {
        let balance: i64 = db
            .query_opt(
                "SELECT a.balance FROM clients c
                 JOIN accounts a ON a.client_id = c.id AND a.kind = 'client_wallet'
                 WHERE c.telegram_id = $1",
                &[client],
            )
            .await?
            .map_or(0, |r| r.get(0));
        verdict.clients_checked += 1;
        if balance != *want {
            verdict.violations.push(format!(
                "client {client}: the wallet holds {balance} points, the history adds up to {want}"
            ));
        }
    }
    for c in actors::ledger::audit::check(db).await? {
        if c.violations != 0 {
            verdict.violations.push(format!(
                "check-ledger {}: {} ({} violations)",
                c.name, c.description, c.violations
            ));
        }
    }
    verdict.violations.sort();
    Ok(verdict)
}
