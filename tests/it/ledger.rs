//! The ledger against a real Postgres: money rules, idempotency, concurrency, group commit, reversal, invariants.

use actix::Actor;
use actors::db::{clients, partners};
use actors::{IdempotencyKey, LedgerActor, LedgerCommand, LedgerOp, LedgerOutcome, LedgerReply};
use fsm::{CashbackRate, ClientId, Kopecks, OperationId, PartnerId, Points, parse_amount};
use loyalty::db;

use crate::helpers::TestWorld;

pub fn key(k: &str) -> IdempotencyKey {
    IdempotencyKey::new(k).expect("valid key")
}

pub async fn send(world: &TestWorld, key_text: &str, op: LedgerOp) -> LedgerReply {
    world
        .services
        .ledger
        .send(LedgerCommand {
            key: key(key_text),
            op,
        })
        .await
        .expect("actor alive")
        .expect("final outcome")
}

pub async fn partner(world: &TestWorld, telegram_id: i64) -> PartnerId {
    partners::upsert_approved_partner(&world.db, telegram_id, "Кофейня", 500)
        .await
        .expect("partner")
}

pub async fn client(world: &TestWorld, telegram_id: i64) -> ClientId {
    clients::upsert_client_by_telegram(&world.db, telegram_id, Some("Анна"), None)
        .await
        .expect("client")
        .0
}

/// Another replica's ledger actor on the same database (not started), with the world's ledger settings.
fn second_replica(world: &TestWorld) -> LedgerActor {
    LedgerActor::new(
        db::pg_pool(&world.settings.database, 2).expect("pool"),
        world.settings.ledger.clone(),
    )
}

pub fn accrue(client: ClientId, partner: PartnerId, kopecks: i64) -> LedgerOp {
    LedgerOp::Accrue {
        client,
        partner,
        receipt: Kopecks::new(kopecks).expect("positive"),
        rate: CashbackRate::DEFAULT,
    }
}

pub fn redeem(client: ClientId, partner: PartnerId, points: i64) -> LedgerOp {
    LedgerOp::Redeem {
        client,
        partner,
        points: Points::new(points).expect("positive"),
        receipt: None,
    }
}

pub fn welcome(client: ClientId) -> LedgerOp {
    LedgerOp::WelcomeBonus {
        client,
        referrer: None,
        points: Points::new(100).expect("positive"),
    }
}

async fn balance(world: &TestWorld, client: ClientId) -> i64 {
    clients::wallet_balance(&world.db, client)
        .await
        .expect("balance")
}

async fn assert_ledger_clean(world: &TestWorld) {
    let checks = actors::ledger::audit::check(&world.db)
        .await
        .expect("audit runs");
    let violated: Vec<_> = checks.iter().filter(|c| c.violations != 0).collect();
    assert!(
        violated.is_empty(),
        "ledger invariants violated: {violated:?}"
    );
}

#[actix_rt::test]
async fn receipts_from_the_spec_table_credit_exactly_the_listed_points() {
    let world = TestWorld::new().await;
    let p = partner(&world, 1).await;
    let c = client(&world, 2).await;
    let max = Kopecks::DEFAULT_RECEIPT_MAX;
    let mut expected_balance = 0;
    for (input, points) in [("1000.00", 50), ("999.00", 49), ("1999.99", 99)] {
        let receipt = parse_amount(input, max).expect("valid amount");
        let reply = send(&world, &format!("acc:{input}"), accrue(c, p, receipt.get())).await;
        expected_balance += points;
        match reply.outcome {
            LedgerOutcome::Applied {
                points: got,
                balance,
                ..
            } => {
                assert_eq!((got.get(), balance), (points, expected_balance), "{input}");
            }
            other => panic!("{input}: expected Applied, got {other:?}"),
        }
    }
    let small = parse_amount("19.99", max).expect("valid amount");
    let reply = send(&world, "acc:19.99", accrue(c, p, small.get())).await;
    assert_eq!(reply.outcome, LedgerOutcome::NothingToAccrue);
    for bad in ["1e3", "-5", "1,999.999", ""] {
        assert!(
            parse_amount(bad, max).is_err(),
            "{bad:?} must be refused before it reaches the ledger"
        );
    }
    assert_eq!(balance(&world, c).await, 198);
    assert_eq!(
        world.count("SELECT count(*) FROM operations").await,
        3,
        "the refused receipt left no operation"
    );
    assert_ledger_clean(&world).await;
}

#[actix_rt::test]
async fn one_key_sent_100_times_at_once_moves_points_once_and_gets_100_equal_replies() {
    let world = TestWorld::new().await;
    let p = partner(&world, 1).await;
    let c = client(&world, 2).await;
    let command = LedgerCommand {
        key: key("till-7:receipt-42"),
        op: accrue(c, p, 1_000_00),
    };
    let sends = (0..100).map(|_| world.services.ledger.send(command.clone()));
    let replies: Vec<LedgerReply> = futures_util::future::join_all(sends)
        .await
        .into_iter()
        .map(|r| r.expect("alive").expect("final"))
        .collect();
    let first = &replies[0].outcome;
    assert!(
        matches!(first, LedgerOutcome::Applied { balance: 50, .. }),
        "{first:?}"
    );
    assert!(
        replies.iter().all(|r| &r.outcome == first),
        "every reply carries the first result"
    );
    assert_eq!(
        replies.iter().filter(|r| !r.replayed).count(),
        1,
        "exactly one submission applied"
    );
    assert_eq!(world.count("SELECT count(*) FROM operations").await, 1);
    assert_eq!(world.count("SELECT count(*) FROM journal_entries").await, 1);
    assert_eq!(balance(&world, c).await, 50);
    assert_ledger_clean(&world).await;
}

#[actix_rt::test]
async fn a_key_reused_for_another_operation_is_refused_and_changes_nothing() {
    let world = TestWorld::new().await;
    let p = partner(&world, 1).await;
    let c = client(&world, 2).await;
    send(&world, "k", accrue(c, p, 1_000_00)).await;
    let reply = send(&world, "k", accrue(c, p, 2_000_00)).await;
    assert_eq!(reply.outcome, LedgerOutcome::KeyReusedWithOtherParams);
    assert_eq!(balance(&world, c).await, 50);
    assert_eq!(world.count("SELECT count(*) FROM operations").await, 1);
}

#[actix_rt::test]
async fn two_redemptions_of_the_whole_balance_from_two_replicas_succeed_exactly_once() {
    let world = TestWorld::new().await;
    let p = partner(&world, 1).await;
    // Several rounds, each a fresh client with 100 points and two replicas' ledgers racing for them.
    let replica_b = second_replica(&world).start();
    for round in 0..10 {
        let c = client(&world, 100 + round).await;
        send(&world, &format!("welcome:{round}"), welcome(c)).await;
        let a = world.services.ledger.send(LedgerCommand {
            key: key(&format!("a:{round}")),
            op: redeem(c, p, 100),
        });
        let b = replica_b.send(LedgerCommand {
            key: key(&format!("b:{round}")),
            op: redeem(c, p, 100),
        });
        let (a, b) = futures_util::future::join(a, b).await;
        let outcomes = [
            a.expect("alive").expect("final").outcome,
            b.expect("alive").expect("final").outcome,
        ];
        let applied = outcomes
            .iter()
            .filter(|o| matches!(o, LedgerOutcome::Applied { balance: 0, .. }))
            .count();
        let refused = outcomes
            .iter()
            .filter(|o| **o == LedgerOutcome::InsufficientPoints { balance: 0 })
            .count();
        assert_eq!((applied, refused), (1, 1), "round {round}: {outcomes:?}");
        assert_eq!(balance(&world, c).await, 0);
    }
    assert_ledger_clean(&world).await;
}

#[actix_rt::test]
async fn insufficient_balance_is_refused_with_the_balance_and_nothing_changes() {
    let world = TestWorld::new().await;
    let p = partner(&world, 1).await;
    let c = client(&world, 2).await;
    send(&world, "w", welcome(c)).await;
    send(&world, "r1", redeem(c, p, 50)).await;
    let ops_before = world.count("SELECT count(*) FROM operations").await;
    let reply = send(&world, "r2", redeem(c, p, 100)).await;
    assert_eq!(
        reply.outcome,
        LedgerOutcome::InsufficientPoints { balance: 50 }
    );
    assert_eq!(balance(&world, c).await, 50);
    assert_eq!(
        world.count("SELECT count(*) FROM operations").await,
        ops_before
    );
    // The refusal is the key's first result: replaying it later, even with points available, says the same.
    send(&world, "a", accrue(c, p, 10_000_00)).await;
    assert_eq!(
        send(&world, "r2", redeem(c, p, 100)).await.outcome,
        LedgerOutcome::InsufficientPoints { balance: 50 }
    );
}

#[actix_rt::test]
async fn welcome_bonus_is_granted_once_per_client_whatever_the_key() {
    let world = TestWorld::new().await;
    let c = client(&world, 2).await;
    let sends = (0..10).map(|i| {
        world.services.ledger.send(LedgerCommand {
            key: key(&format!("w{i}")),
            op: welcome(c),
        })
    });
    let replies = futures_util::future::join_all(sends).await;
    let applied = replies
        .into_iter()
        .filter(|r| {
            matches!(
                r.as_ref().expect("alive").as_ref().expect("final").outcome,
                LedgerOutcome::Applied { .. }
            )
        })
        .count();
    assert_eq!(applied, 1);
    assert_eq!(balance(&world, c).await, 100);
    assert_ledger_clean(&world).await;
}

#[actix_rt::test]
async fn pending_or_unknown_partners_cannot_move_points() {
    let world = TestWorld::new().await;
    let c = client(&world, 2).await;
    let p = partner(&world, 1).await;
    world
        .db
        .execute(
            "UPDATE partners SET status = 'pending' WHERE id = $1",
            &[&p.0],
        )
        .await
        .expect("update");
    assert_eq!(
        send(&world, "a", accrue(c, p, 1_000_00)).await.outcome,
        LedgerOutcome::PartnerNotActive
    );
    assert_eq!(
        send(&world, "b", accrue(c, PartnerId(999), 1_000_00))
            .await
            .outcome,
        LedgerOutcome::PartnerNotFound
    );
    assert_eq!(
        send(&world, "c", accrue(ClientId(999), p, 1_000_00))
            .await
            .outcome,
        LedgerOutcome::ClientNotFound
    );
    assert_eq!(balance(&world, c).await, 0);
    assert_eq!(world.count("SELECT count(*) FROM operations").await, 0);
}

#[actix_rt::test]
async fn reversal_compensates_once_and_never_drives_a_wallet_negative() {
    let world = TestWorld::new().await;
    let p = partner(&world, 1).await;
    let c = client(&world, 2).await;
    let reverse = |op: OperationId, reason: &str| LedgerOp::Reverse {
        operation: op,
        admin_id: 77,
        reason: reason.into(),
    };
    let LedgerOutcome::Applied {
        operation: accrual, ..
    } = send(&world, "a", accrue(c, p, 2_000_00)).await.outcome
    else {
        panic!("accrual applied")
    };
    let LedgerOutcome::Applied {
        operation: spend, ..
    } = send(&world, "r", redeem(c, p, 60)).await.outcome
    else {
        panic!("redemption applied")
    };
    // 100 earned, 60 spent: reversing the accrual would need 100 and there are 40.
    assert_eq!(
        send(&world, "x1", reverse(accrual, "mistake"))
            .await
            .outcome,
        LedgerOutcome::InsufficientPoints { balance: 40 }
    );
    let LedgerOutcome::Applied {
        operation: undo,
        balance,
        ..
    } = send(&world, "x2", reverse(spend, "refund")).await.outcome
    else {
        panic!("reversal of the redemption applied")
    };
    assert_eq!(balance, 100);
    assert_eq!(
        send(&world, "x3", reverse(spend, "again")).await.outcome,
        LedgerOutcome::AlreadyReversed
    );
    assert_eq!(
        send(&world, "x4", reverse(undo, "undo the undo"))
            .await
            .outcome,
        LedgerOutcome::NotReversible
    );
    assert_eq!(
        send(&world, "x5", reverse(OperationId(424242), "?"))
            .await
            .outcome,
        LedgerOutcome::OperationNotFound
    );
    assert_eq!(
        world
            .count("SELECT count(*) FROM operations WHERE kind = 'redemption'")
            .await,
        1,
        "the original stays"
    );
    assert_ledger_clean(&world).await;
}

#[actix_rt::test]
async fn one_refused_command_in_a_group_commit_fails_alone() {
    let world = TestWorld::new().await;
    let p = partner(&world, 1).await;
    let c = client(&world, 2).await;
    send(&world, "seed", accrue(c, p, 1_000_00)).await;
    let mut commands: Vec<LedgerCommand> = (0..40)
        .map(|i| LedgerCommand {
            key: key(&format!("good{i}")),
            op: accrue(c, p, 1_000_00),
        })
        .collect();
    // A reason longer than the column allows: the constraint refuses this one command inside the shared transaction.
    commands.insert(
        20,
        LedgerCommand {
            key: key("bad"),
            op: LedgerOp::Reverse {
                operation: OperationId(1),
                admin_id: 1,
                reason: "x".repeat(5_000),
            },
        },
    );
    let tx_before = world
        .services
        .ledger_metrics
        .transactions
        .load(std::sync::atomic::Ordering::Relaxed);
    let replies = futures_util::future::join_all(
        commands
            .iter()
            .map(|c| world.services.ledger.send(c.clone())),
    )
    .await;
    let outcomes: Vec<LedgerOutcome> = replies
        .into_iter()
        .map(|r| r.expect("alive").expect("final").outcome)
        .collect();
    assert_eq!(outcomes[20], LedgerOutcome::Rejected);
    assert_eq!(
        outcomes
            .iter()
            .filter(|o| matches!(o, LedgerOutcome::Applied { .. }))
            .count(),
        40
    );
    assert_eq!(balance(&world, c).await, 50 * 41);
    let transactions = world
        .services
        .ledger_metrics
        .transactions
        .load(std::sync::atomic::Ordering::Relaxed)
        - tx_before;
    // Split in halves until the culprit is alone: about 2·log2(41) transactions, not one per command.
    assert!(
        transactions <= 12,
        "41 commands took {transactions} transactions: group commit did not group, or isolation did not bisect"
    );
    assert_ledger_clean(&world).await;
}

#[actix_rt::test]
async fn ledger_tables_are_append_only() {
    let world = TestWorld::new().await;
    let p = partner(&world, 1).await;
    let c = client(&world, 2).await;
    send(&world, "a", accrue(c, p, 1_000_00)).await;
    for sql in [
        "UPDATE journal_entries SET points = 1",
        "DELETE FROM operations",
        "TRUNCATE operations CASCADE",
    ] {
        let err = world.db.batch_execute(sql).await.expect_err(sql);
        assert!(format!("{err:?}").contains("append-only"), "{sql}: {err:?}");
    }
    assert_eq!(balance(&world, c).await, 50);
}

/// The ledger points at clients and operations without foreign keys (migration 0008): a client is never deleted,
/// and a ledger row naming a client or an operation that does not exist is what check-ledger's `references_resolve`
/// counts.
#[actix_rt::test]
async fn ledger_references_without_foreign_keys_are_kept_and_checked() {
    let world = TestWorld::new().await;
    let p = partner(&world, 1).await;
    let c = client(&world, 2).await;
    send(&world, "a", accrue(c, p, 1_000_00)).await;
    for sql in ["DELETE FROM clients", "TRUNCATE clients CASCADE"] {
        let err = world.db.batch_execute(sql).await.expect_err(sql);
        assert!(
            format!("{err:?}").contains("referenced by the ledger"),
            "{sql}: {err:?}"
        );
    }
    assert_ledger_clean(&world).await;
    let resolve = |checks: &[actors::ledger::audit::InvariantCheck]| {
        checks
            .iter()
            .find(|c| c.name == "references_resolve")
            .map(|c| c.violations)
    };
    // An operation whose client does not exist, and one whose credit account does not.
    world
        .db
        .batch_execute(
            "INSERT INTO operations (id, idempotency_key, fingerprint, kind, client_id, points, debit_account_id, \
                                     credit_account_id, balance_after) \
               SELECT 900001, 'ghost', 'f', 'welcome_bonus', 987654321, 5, a.id, b.id, 5 \
                 FROM accounts a, accounts b \
                WHERE a.kind = 'bonus_pool' AND b.kind = 'client_wallet' LIMIT 1;
             INSERT INTO operations (id, idempotency_key, fingerprint, kind, client_id, points, debit_account_id, \
                                     credit_account_id, balance_after) \
               SELECT 900002, 'stray', 'f', 'welcome_bonus', w.client_id, 1, a.id, 987654321, 1 \
                 FROM accounts a, accounts w WHERE a.kind = 'bonus_pool' AND w.kind = 'client_wallet' LIMIT 1;",
        )
        .await
        .expect("rows the foreign keys used to refuse");
    let checks = actors::ledger::audit::check(&world.db)
        .await
        .expect("audit runs");
    assert_eq!(resolve(&checks), Some(2), "{checks:?}");
}

#[actix_rt::test]
async fn a_negative_wallet_is_impossible_even_for_direct_sql() {
    let world = TestWorld::new().await;
    let c = client(&world, 2).await;
    send(&world, "w", welcome(c)).await;
    let err = world
        .db
        .execute(
            "UPDATE accounts SET balance = -1 WHERE kind = 'client_wallet' AND client_id = $1",
            &[&c.0],
        )
        .await
        .expect_err("CHECK constraint");
    assert!(
        format!("{err:?}").contains("accounts_wallet_not_negative"),
        "{err:?}"
    );
}

/// One command of a `ledger_apply_batch` call: key, fingerprint, kind, client, partner, points, operation reversed.
type BatchInput<'a> = (
    &'a str,
    &'a str,
    &'a str,
    Option<ClientId>,
    Option<PartnerId>,
    i64,
    Option<i64>,
);
/// One row of `ledger_apply_batch`: outcome, operation, points, balance, replayed.
type BatchRow = (String, Option<i64>, Option<i64>, Option<i64>, bool);

#[actix_rt::test]
async fn one_batch_decides_its_commands_as_if_they_ran_one_after_another() {
    let world = TestWorld::new().await;
    let p = partner(&world, 1).await;
    let (c, d, e) = (
        client(&world, 2).await,
        client(&world, 3).await,
        client(&world, 4).await,
    );
    let LedgerOutcome::Applied { operation: x, .. } =
        send(&world, "before", accrue(e, p, 1_000_00)).await.outcome
    else {
        panic!("seed accrual refused");
    };
    // The ledger actor groups whatever is queued; here one batch holds repeats that only order can settle.
    let r60 = redeem(c, p, 60).fingerprint();
    let rows: [BatchInput; 10] = [
        ("k1", "w", "welcome_bonus", Some(c), None, 100, None),
        ("k2", "w", "welcome_bonus", Some(c), None, 100, None),
        ("k3", &r60, "redemption", Some(c), Some(p), 60, None),
        ("k4", &r60, "redemption", Some(c), Some(p), 60, None),
        ("k1", "w", "welcome_bonus", Some(c), None, 100, None),
        ("k1", "other", "redemption", Some(c), Some(p), 1, None),
        ("k5", "a", "accrual", Some(d), Some(p), 50, None),
        ("k6", "rev", "reversal", None, None, 0, Some(x.0)),
        ("k7", "rev", "reversal", None, None, 0, Some(x.0)),
        ("k8", "a", "accrual", Some(ClientId(-5)), Some(p), 50, None),
    ];
    let col = |f: fn(&BatchInput) -> Option<i64>| rows.iter().map(f).collect::<Vec<Option<i64>>>();
    let keys: Vec<&str> = rows.iter().map(|r| r.0).collect();
    let fingerprints: Vec<&str> = rows.iter().map(|r| r.1).collect();
    let kinds: Vec<&str> = rows.iter().map(|r| r.2).collect();
    let clients = col(|r| r.3.map(|c| c.0));
    let partners = col(|r| r.4.map(|p| p.0));
    let points: Vec<i64> = rows.iter().map(|r| r.5).collect();
    let receipts = col(|r| (r.2 == "accrual").then_some(1_000_00));
    let rates: Vec<Option<i32>> = rows
        .iter()
        .map(|r| (r.2 == "accrual").then_some(500))
        .collect();
    let reverses = col(|r| r.6);
    let reasons: Vec<Option<&str>> = rows.iter().map(|r| r.6.map(|_| "test")).collect();
    let actors = col(|r| r.6.map(|_| 7));
    let got: Vec<BatchRow> = world
        .db
        .query(
            "SELECT * FROM ledger_apply_batch($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            &[
                &keys,
                &fingerprints,
                &kinds,
                &clients,
                &partners,
                &points,
                &receipts,
                &rates,
                &reverses,
                &reasons,
                &actors,
            ],
        )
        .await
        .expect("batch runs")
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)))
        .collect();
    let outcome = |i: usize| (got[i].0.as_str(), got[i].2, got[i].3, got[i].4);
    assert_eq!(outcome(0), ("applied", Some(100), Some(100), false));
    assert_eq!(
        outcome(1),
        ("welcome_already_granted", Some(100), Some(100), false)
    );
    assert_eq!(outcome(2), ("applied", Some(60), Some(40), false));
    assert_eq!(
        outcome(3),
        ("insufficient_points", Some(60), Some(40), false)
    );
    assert_eq!(
        outcome(4),
        ("applied", Some(100), Some(100), true),
        "a repeat replays the first"
    );
    assert_eq!(
        got[4].1, got[0].1,
        "a repeat names the first one's operation"
    );
    assert_eq!(outcome(5), ("key_reused", None, None, false));
    assert_eq!(outcome(6), ("applied", Some(50), Some(50), false));
    assert_eq!(outcome(7), ("applied", Some(50), Some(0), false));
    assert_eq!(outcome(8), ("already_reversed", Some(0), Some(0), false));
    assert_eq!(outcome(9), ("client_not_found", Some(50), None, false));
    assert_eq!(
        (
            balance(&world, c).await,
            balance(&world, d).await,
            balance(&world, e).await
        ),
        (40, 50, 0)
    );
    // What the batch recorded is what a later replay through the actor answers.
    let again = send(&world, "k4", redeem(c, p, 60)).await;
    assert_eq!(
        again.outcome,
        LedgerOutcome::InsufficientPoints { balance: 40 }
    );
    assert!(again.replayed);
    assert_ledger_clean(&world).await;
}

/// One key racing through both paths of two replicas at once: alone on one (the single statement) and inside a group
/// commit on the other (`ledger_apply_batch()`). They share the key's advisory lock, so the redemption is booked once
/// and both submitters get the same answer, one of them replayed; the batch's other commands are unaffected.
#[actix_rt::test]
async fn one_key_alone_on_one_replica_and_in_a_batch_on_another_moves_points_once() {
    let world = TestWorld::new().await;
    let p = partner(&world, 1).await;
    let replica_b = second_replica(&world);
    let b_metrics = replica_b.metrics();
    let replica_b = replica_b.start();
    let others: Vec<ClientId> =
        futures_util::future::join_all((0..9).map(|i| client(&world, 900 + i))).await;
    for round in 0..10 {
        let c = client(&world, 100 + round).await;
        send(&world, &format!("welcome:{round}"), welcome(c)).await;
        let shared = format!("shared:{round}");
        let alone = world.services.ledger.send(LedgerCommand {
            key: key(&shared),
            op: redeem(c, p, 100),
        });
        // Sent in one turn of the scheduler, so replica B takes them in one transaction.
        let batch = futures_util::future::join_all(
            std::iter::once(LedgerCommand {
                key: key(&shared),
                op: redeem(c, p, 100),
            })
            .chain(others.iter().enumerate().map(|(i, o)| LedgerCommand {
                key: key(&format!("other:{round}:{i}")),
                op: accrue(*o, p, 100_00),
            }))
            .map(|command| replica_b.send(command)),
        );
        let (alone, batch) = futures_util::future::join(alone, batch).await;
        let alone = alone.expect("alive").expect("final");
        let mut batch = batch.into_iter().map(|r| r.expect("alive").expect("final"));
        let in_batch = batch.next().expect("the shared key's reply");
        assert!(
            matches!(alone.outcome, LedgerOutcome::Applied { balance: 0, .. }),
            "round {round}: {alone:?}"
        );
        assert_eq!(alone.outcome, in_batch.outcome, "round {round}");
        assert!(
            alone.replayed != in_batch.replayed,
            "round {round}: exactly one replays"
        );
        for other in batch {
            assert!(
                matches!(other.outcome, LedgerOutcome::Applied { .. }) && !other.replayed,
                "round {round}: {other:?}"
            );
        }
        assert_eq!(balance(&world, c).await, 0);
        assert_eq!(
            world
                .count(&format!(
                    "SELECT count(*) FROM operations WHERE idempotency_key = '{shared}'"
                ))
                .await,
            1,
            "round {round}"
        );
    }
    // Replica B really grouped its commands: ten per round, in far fewer transactions.
    let relaxed = std::sync::atomic::Ordering::Relaxed;
    let (commands, transactions) = (
        b_metrics.commands.load(relaxed),
        b_metrics.transactions.load(relaxed),
    );
    assert_eq!(commands, 100);
    assert!(
        transactions <= 30,
        "{transactions} transactions for {commands} commands"
    );
    assert_ledger_clean(&world).await;
}

/// A wallet row held by a transaction that stays open (an operator's psql session) past the pool's `lock_timeout`:
/// the redemption is answered "unavailable" — the submitter retries it under its key — and not refused. Postgres
/// reports the wait as `55P03 lock_not_available`, which the ledger took for a statement error: the lone command
/// was answered `Rejected`, a refusal of a valid redemption. Once the row is free, the same key applies it.
#[actix_rt::test]
async fn a_command_that_waited_past_the_lock_timeout_is_unavailable_not_refused() {
    let world = TestWorld::with_settings(|s| s.database.lock_timeout_ms = 300).await;
    let p = partner(&world, 1).await;
    let c = client(&world, 2).await;
    send(&world, "w", welcome(c)).await;
    let operator = crate::helpers::connect(&crate::helpers::db_url(&world.database)).await;
    operator
        .batch_execute(&format!(
            "BEGIN; SELECT 1 FROM accounts WHERE client_id = {} FOR UPDATE",
            c.0
        ))
        .await
        .expect("hold the wallet");
    let command = || LedgerCommand {
        key: key("r"),
        op: redeem(c, p, 40),
    };
    let waited = world
        .services
        .ledger
        .send(command())
        .await
        .expect("actor alive");
    assert!(
        matches!(waited, Err(actors::LedgerError::Unavailable)),
        "a lock wait is not the command's fault: {waited:?}"
    );
    assert_eq!(balance(&world, c).await, 100, "nothing moved");

    operator.batch_execute("COMMIT").await.expect("release");
    let applied = send(&world, "r", redeem(c, p, 40)).await;
    assert!(
        matches!(applied.outcome, LedgerOutcome::Applied { .. }),
        "{applied:?}"
    );
    assert_eq!(balance(&world, c).await, 60);
    assert_ledger_clean(&world).await;
}
