//! Property: any sequence of ledger commands gives the outcomes and balances of a plain in-memory model.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};

use actors::{LedgerCommand, LedgerOp, LedgerOutcome};
use fsm::{ClientId, OperationId, PartnerId};
use proptest::prelude::*;

use crate::helpers::TestWorld;
use crate::ledger::{accrue, client, key, partner, redeem, welcome};

const CLIENTS: usize = 3;
const PARTNERS: usize = 2;

#[derive(Debug, Clone)]
enum Cmd {
    Welcome(usize),
    Accrue(usize, usize, i64),
    Redeem(usize, usize, i64),
    /// Reverse the operation made by the n-th earlier command (modulo how many there were).
    Reverse(usize),
    /// Send the n-th earlier command again, same key.
    Replay(usize),
}

fn cmd() -> impl Strategy<Value = Cmd> {
    prop_oneof![
        1 => (0..CLIENTS).prop_map(Cmd::Welcome),
        4 => (0..CLIENTS, 0..PARTNERS, 1i64..400_000).prop_map(|(c, p, k)| Cmd::Accrue(c, p, k)),
        4 => (0..CLIENTS, 0..PARTNERS, 1i64..250).prop_map(|(c, p, n)| Cmd::Redeem(c, p, n)),
        1 => any::<usize>().prop_map(Cmd::Reverse),
        1 => any::<usize>().prop_map(Cmd::Replay),
    ]
}

/// What the model remembers of an applied operation.
#[derive(Debug, Clone)]
struct ModelOp {
    client: usize,
    points: i64,
    /// The wallet gained points (accrual, welcome) rather than lost them (redemption).
    credited_wallet: bool,
    is_reversal: bool,
    reversed: bool,
}

#[derive(Default)]
struct Model {
    balances: [i64; CLIENTS],
    welcomed: [bool; CLIENTS],
    ops: HashMap<OperationId, ModelOp>,
}

impl Model {
    /// The expected outcome, as (variant with balance, points moved) where `Applied` carries no operation id.
    fn expect(&self, op: &ModelCommand) -> LedgerOutcome {
        let applied = |points: i64, balance: i64| LedgerOutcome::Applied {
            operation: OperationId(0),
            points: fsm::Points::new(points).expect("positive"),
            balance,
        };
        match *op {
            ModelCommand::Welcome(c) if self.welcomed[c] => LedgerOutcome::WelcomeAlreadyGranted {
                balance: self.balances[c],
            },
            ModelCommand::Welcome(c) => applied(100, self.balances[c] + 100),
            ModelCommand::Accrue(c, k) => match k * 500 / 1_000_000 {
                0 => LedgerOutcome::NothingToAccrue,
                p => applied(p, self.balances[c] + p),
            },
            ModelCommand::Redeem(c, n) if n > self.balances[c] => {
                LedgerOutcome::InsufficientPoints {
                    balance: self.balances[c],
                }
            }
            ModelCommand::Redeem(c, n) => applied(n, self.balances[c] - n),
            ModelCommand::Reverse(id) => match self.ops.get(&id) {
                None => LedgerOutcome::OperationNotFound,
                Some(o) if o.is_reversal => LedgerOutcome::NotReversible,
                Some(o) if o.reversed => LedgerOutcome::AlreadyReversed,
                Some(o) if o.credited_wallet && self.balances[o.client] < o.points => {
                    LedgerOutcome::InsufficientPoints {
                        balance: self.balances[o.client],
                    }
                }
                Some(o) if o.credited_wallet => {
                    applied(o.points, self.balances[o.client] - o.points)
                }
                Some(o) => applied(o.points, self.balances[o.client] + o.points),
            },
        }
    }

    fn apply(&mut self, op: &ModelCommand, id: OperationId, points: i64) {
        let (client, credited, is_reversal) = match *op {
            ModelCommand::Welcome(c) => {
                self.welcomed[c] = true;
                (c, true, false)
            }
            ModelCommand::Accrue(c, _) => (c, true, false),
            ModelCommand::Redeem(c, _) => (c, false, false),
            ModelCommand::Reverse(target) => {
                let original = self.ops.get_mut(&target).expect("reversed op exists");
                original.reversed = true;
                (original.client, !original.credited_wallet, true)
            }
        };
        self.balances[client] += if credited { points } else { -points };
        self.ops.insert(
            id,
            ModelOp {
                client,
                points,
                credited_wallet: credited,
                is_reversal,
                reversed: false,
            },
        );
    }
}

/// A command as the model sees it: client indexes, and the real id of the operation to reverse.
#[derive(Debug, Clone, Copy)]
enum ModelCommand {
    Welcome(usize),
    Accrue(usize, i64),
    Redeem(usize, i64),
    Reverse(OperationId),
}

fn without_id(outcome: &LedgerOutcome) -> LedgerOutcome {
    match outcome {
        LedgerOutcome::Applied {
            points, balance, ..
        } => LedgerOutcome::Applied {
            operation: OperationId(0),
            points: *points,
            balance: *balance,
        },
        other => other.clone(),
    }
}

static TELEGRAM_IDS: AtomicI64 = AtomicI64::new(1_000);

async fn run_case(world: &TestWorld, case: i64, cmds: Vec<Cmd>) -> Result<(), TestCaseError> {
    let mut clients: Vec<ClientId> = Vec::new();
    for _ in 0..CLIENTS {
        clients.push(client(world, TELEGRAM_IDS.fetch_add(1, Ordering::Relaxed)).await);
    }
    let mut partners: Vec<PartnerId> = Vec::new();
    for _ in 0..PARTNERS {
        partners.push(partner(world, TELEGRAM_IDS.fetch_add(1, Ordering::Relaxed)).await);
    }
    let mut model = Model::default();
    // Every command sent so far, with its first outcome.
    let mut sent: Vec<(LedgerCommand, LedgerOutcome)> = Vec::new();
    for (i, cmd) in cmds.into_iter().enumerate() {
        let k = key(&format!("case{case}:{i}"));
        let (command, model_cmd) = match cmd {
            Cmd::Replay(n) if !sent.is_empty() => {
                let (command, first) = sent[n % sent.len()].clone();
                let reply = world
                    .services
                    .ledger
                    .send(command)
                    .await
                    .expect("alive")
                    .expect("final");
                prop_assert_eq!(
                    &reply.outcome,
                    &first,
                    "replay of command {} differs",
                    n % sent.len()
                );
                prop_assert!(reply.replayed || first == LedgerOutcome::NothingToAccrue);
                continue;
            }
            Cmd::Replay(_) | Cmd::Welcome(_) => {
                let c = match cmd {
                    Cmd::Welcome(c) => c,
                    _ => 0,
                };
                (
                    LedgerCommand {
                        key: k,
                        op: welcome(clients[c]),
                    },
                    ModelCommand::Welcome(c),
                )
            }
            Cmd::Accrue(c, p, kop) => (
                LedgerCommand {
                    key: k,
                    op: accrue(clients[c], partners[p], kop),
                },
                ModelCommand::Accrue(c, kop),
            ),
            Cmd::Redeem(c, p, n) => (
                LedgerCommand {
                    key: k,
                    op: redeem(clients[c], partners[p], n),
                },
                ModelCommand::Redeem(c, n),
            ),
            Cmd::Reverse(n) => {
                let target = match sent.get(n % sent.len().max(1)).map(|(_, o)| o) {
                    Some(LedgerOutcome::Applied { operation, .. }) => *operation,
                    _ => OperationId(-1),
                };
                let op = LedgerOp::Reverse {
                    operation: target,
                    admin_id: 1,
                    reason: "model".into(),
                };
                (LedgerCommand { key: k, op }, ModelCommand::Reverse(target))
            }
        };
        let expected = model.expect(&model_cmd);
        let reply = world
            .services
            .ledger
            .send(command.clone())
            .await
            .expect("alive")
            .expect("final");
        prop_assert!(!reply.replayed);
        prop_assert_eq!(
            without_id(&reply.outcome),
            expected.clone(),
            "command {} {:?}",
            i,
            model_cmd
        );
        if let LedgerOutcome::Applied {
            operation, points, ..
        } = reply.outcome
        {
            model.apply(&model_cmd, operation, points.get());
        }
        sent.push((command, reply.outcome));
    }
    for (i, c) in clients.iter().enumerate() {
        let balance = actors::db::clients::wallet_balance(&world.db, *c)
            .await
            .expect("balance");
        prop_assert_eq!(balance, model.balances[i], "client {}", i);
    }
    Ok(())
}

/// Runs 24 random sequences against the ledger `adjust` configures, then `check-ledger`.
fn check_against_the_model(adjust: impl FnOnce(&mut loyalty::config::Settings)) {
    let system = actix_rt::System::new();
    let world = system.block_on(TestWorld::with_settings(adjust));
    let case = AtomicI64::new(0);
    let config = ProptestConfig {
        cases: 24,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    proptest!(config, |(cmds in proptest::collection::vec(cmd(), 1..40))| {
        let n = case.fetch_add(1, Ordering::Relaxed);
        system.block_on(run_case(&world, n, cmds))?;
    });
    let checks = system
        .block_on(actors::ledger::audit::check(&world.db))
        .expect("audit");
    assert!(checks.iter().all(|c| c.violations == 0), "{checks:?}");
}

/// Commands sent one at a time: a lone accrual or redemption takes the single-statement path
/// (`sql/queries/ledger_apply_one.sql`), the rest `ledger_apply_batch()`.
#[test]
fn random_command_sequences_match_an_in_memory_model() {
    check_against_the_model(|_| {});
}

/// The same sequences with every command through `ledger_apply_batch()`: both paths give the model's outcomes.
#[test]
fn random_command_sequences_through_the_batch_function_alone_match_the_model() {
    check_against_the_model(|settings| settings.ledger.single_statement = false);
}
