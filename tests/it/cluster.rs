//! `loyalty serve` on a real three-master Redis Cluster (issue 17): the dialogues of many chats, spread over every
//! master, complete with each reply sent once; a coordinated failover of a master during traffic loses and
//! duplicates nothing; after a master is SIGKILLed every chat keeps being answered.

use std::time::Duration;

use fsm::text::PartnerText;
use fsm::{CashbackRate, Kopecks, Points};

use crate::helpers::{connect, db_url, ru};
use crate::redis_cluster::{RedisCluster, cli};
use crate::replicas::{Sandbox, seeded_database};
use crate::serving::{Serve, Server};

/// Partner chats: two per chat group (eight groups, the default), so every master holds some.
const PARTNERS: std::ops::Range<i64> = 7_100_000..7_100_016;
const MASKED: &str = "+7 *** **4567";

/// A database where every chat of `PARTNERS` is an approved partner, beside the seeded client.
async fn partners_database() -> String {
    let database = seeded_database().await;
    let db = connect(&db_url(&database)).await;
    for partner in PARTNERS {
        actors::db::partners::upsert_approved_partner(&db, partner, "Кофейня", 500)
            .await
            .expect("partner");
    }
    database
}

/// `loyalty serve` polling the sandbox, its sessions and outbox on `cluster`.
fn serve(sandbox: &Sandbox, cluster: &RedisCluster, database: &str, namespace: &str) -> Server {
    Serve::new(sandbox, database)
        .env("LOYALTY__REDIS__CLUSTER_URLS", cluster.urls_toml())
        .env("LOYALTY__SESSIONS__REDIS_NAMESPACE", namespace)
        .polling(&["partner"])
        .lease_ms(3000)
        .sends_unthrottled()
        .bursts()
        .spawn()
}

/// The replies of one accrual dialogue that ends with `/cancel`, step by step.
fn steps() -> [(&'static str, String); 4] {
    [
        ("/accrue", ru(&PartnerText::AskClient)),
        (
            "+7 999 123-45-67",
            ru(&PartnerText::AskAmount {
                client: MASKED,
                balance: 0,
                rate: CashbackRate::DEFAULT,
            }),
        ),
        (
            "1000",
            ru(&PartnerText::ConfirmAccrual {
                client: MASKED,
                amount: Kopecks::new(100_000).expect("positive"),
                points: Points::new(50).expect("positive"),
            }),
        ),
        (
            "/cancel",
            ru(&PartnerText::Menu {
                company: "Кофейня"
            }),
        ),
    ]
}

/// Sends step `step` to every partner and waits until each has its reply (so the next step starts from it).
async fn run_step(sandbox: &Sandbox, step: usize, before: usize) {
    let (text, expected) = &steps()[step];
    for partner in PARTNERS {
        sandbox.send("partner", partner, text);
    }
    for partner in PARTNERS {
        let replies = sandbox.bot_messages("partner", partner, before + 1).await;
        assert_eq!(&replies[before], expected, "partner {partner}, step {step}");
    }
}

/// After a pause for late duplicates: every partner got exactly `expected`, in order.
async fn assert_exactly(sandbox: &Sandbox, expected: &[String]) {
    tokio::time::sleep(Duration::from_millis(800)).await;
    for partner in PARTNERS {
        let replies = sandbox.bot_messages("partner", partner, 0).await;
        assert_eq!(
            replies, expected,
            "partner {partner}: each reply once, in order"
        );
    }
}

#[actix_rt::test]
async fn dialogues_of_many_chats_complete_on_a_three_master_cluster_with_each_reply_once() {
    let cluster = RedisCluster::start();
    let sandbox = Sandbox::start();
    let database = partners_database().await;
    let namespace = format!("test:{database}:");
    let mut server = serve(&sandbox, &cluster, &database, &namespace);
    for step in 0..4 {
        run_step(&sandbox, step, step).await;
    }
    let expected: Vec<String> = steps().into_iter().map(|(_, r)| r).collect();
    assert_exactly(&sandbox, &expected).await;
    let holding: Vec<usize> = cluster
        .masters()
        .into_iter()
        .map(|port| cluster.keys_on(port, &namespace))
        .collect();
    // Every outbox stream's reader has a cluster connection of its own (its blocking read holds it): with one bot
    // and eight streams, nine cluster connections in all, each with a socket to each master.
    let clients: Vec<usize> = cluster
        .masters()
        .into_iter()
        .map(|port| {
            let info = cli(port, &["info", "clients"]);
            info.lines()
                .find_map(|l| l.strip_prefix("connected_clients:"))
                .and_then(|n| n.trim().parse().ok())
                .unwrap_or(0)
        })
        .collect();
    assert!(
        clients.iter().all(|&n| n <= 8 + 1 + 1),
        "8 readers + 1 shared connection (+ redis-cli asking) per master: {clients:?}"
    );
    server.stop();
    assert_eq!(holding.len(), 3, "three masters");
    assert!(
        holding.iter().all(|&keys| keys > 0),
        "the chats' keys spread over every master: {holding:?}"
    );
}

#[actix_rt::test]
async fn a_master_failing_over_during_traffic_loses_and_repeats_no_reply_and_dialogues_continue() {
    let mut cluster = RedisCluster::start();
    let sandbox = Sandbox::start();
    let database = partners_database().await;
    let namespace = format!("test:{database}:");
    let mut server = serve(&sandbox, &cluster, &database, &namespace);
    run_step(&sandbox, 0, 0).await;

    // A coordinated failover (the replica takes over once it has every write) while the second step is under
    // way: no reply is lost or sent twice, and every dialogue continues from its state.
    let (_, replica) = cluster.master_with_replica(0).await;
    let (text, _) = &steps()[1];
    for partner in PARTNERS {
        sandbox.send("partner", partner, text);
    }
    assert!(cli(replica, &["cluster", "failover"]).starts_with("OK"));
    cluster.wait_master(replica).await;
    for partner in PARTNERS {
        let replies = sandbox.bot_messages("partner", partner, 2).await;
        assert_eq!(replies[1], steps()[1].1, "partner {partner}, step 1");
    }
    run_step(&sandbox, 2, 2).await;
    run_step(&sandbox, 3, 3).await;
    let expected: Vec<String> = steps().into_iter().map(|(_, r)| r).collect();
    assert_exactly(&sandbox, &expected).await;

    // A master SIGKILLed: its replica is promoted after the node timeout. Replication is asynchronous, so the
    // last writes before the kill may be lost (a step then runs again): here only "every chat is answered".
    let (victim, heir) = cluster.master_with_replica(replica).await;
    cluster.kill(victim);
    cluster.wait_master(heir).await;
    for partner in PARTNERS {
        sandbox.send("partner", partner, steps()[0].0);
    }
    for partner in PARTNERS {
        let replies = sandbox.bot_messages("partner", partner, 5).await;
        assert!(
            replies[4..].contains(&steps()[0].1),
            "partner {partner} answered after the kill: {replies:#?}"
        );
    }
    server.stop();
}
