//! A real Redis Cluster for a test: three masters and three replicas on loopback (`redis-server
//! --cluster-enabled yes`, joined by `redis-cli --cluster create`), in a temporary directory, killed on drop.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Nodes of the cluster: 3 masters, each with one replica.
const NODES: usize = 6;
/// How long to wait for the cluster to form or to fail over.
const FORM_WAIT: Duration = Duration::from_secs(60);

pub(crate) struct RedisCluster {
    /// Every node's client port (the bus port is 10000 above).
    pub(crate) ports: Vec<u16>,
    children: Vec<(u16, Child)>,
    dir: std::path::PathBuf,
}

/// A port `p` free on loopback with `p + 10000` free too (the cluster bus).
fn free_cluster_port(taken: &[u16]) -> u16 {
    // Below Linux's ephemeral range (32768-60999), for the port and its bus port (+10000) alike: an ephemeral port
    // found free can be taken by any test's outgoing connection before redis-server binds it, and a node without its
    // bus never joins (seen in full-suite runs).
    loop {
        let port = 12_000 + (rand::random::<u32>() % 10_000) as u16;
        if taken.contains(&port) {
            continue;
        }
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok()
            && std::net::TcpListener::bind(("127.0.0.1", port + 10_000)).is_ok()
        {
            return port;
        }
    }
}

/// `redis-cli -p port args...`, its output; panics when it fails.
pub(crate) fn cli(port: u16, args: &[&str]) -> String {
    let out = Command::new("redis-cli")
        .arg("-p")
        .arg(port.to_string())
        .args(args)
        .output()
        .expect("redis-cli (install redis-tools / redis-server)");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The port of the first online replica the master at `port` reports, if any.
fn online_replica(port: u16) -> Option<u16> {
    cli(port, &["info", "replication"])
        .lines()
        .find_map(|line| {
            let fields = line.strip_prefix("slave")?.split_once(':')?.1;
            fields.contains("state=online").then_some(())?;
            fields
                .split(',')
                .find_map(|f| f.strip_prefix("port="))?
                .trim()
                .parse()
                .ok()
        })
}

/// One line of `CLUSTER NODES`: the node's port and whether it is a master.
pub(crate) struct Node {
    pub(crate) port: u16,
    pub(crate) master: bool,
    /// Not flagged `fail`.
    pub(crate) alive: bool,
    /// Serves slots (a node `redis-cli --cluster create` makes a replica shows as a master without slots until its
    /// new role has reached the node asked).
    pub(crate) serves_slots: bool,
}

impl RedisCluster {
    /// Starts six nodes and joins them (masters get equal, contiguous slot ranges), then waits until every node
    /// reports `cluster_state:ok`.
    pub(crate) fn start() -> RedisCluster {
        let mut ports = Vec::new();
        for _ in 0..NODES {
            let port = free_cluster_port(&ports);
            ports.push(port);
        }
        let dir = std::env::temp_dir().join(format!(
            "loyalty-cluster-{}-{}",
            std::process::id(),
            ports[0]
        ));
        let mut cluster = RedisCluster {
            ports: ports.clone(),
            children: Vec::new(),
            dir,
        };
        for port in ports.clone() {
            let node_dir = cluster.dir.join(port.to_string());
            std::fs::create_dir_all(&node_dir).expect("node dir");
            let child = Command::new("redis-server")
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
                .args(["--cluster-enabled", "yes", "--cluster-node-timeout", "5000"])
                .args(["--appendonly", "no", "--save", ""])
                .arg("--dir")
                .arg(&node_dir)
                .arg("--logfile")
                .arg(node_dir.join("redis.log"))
                .stdout(Stdio::null())
                .spawn()
                .expect("redis-server (install redis-server)");
            cluster.children.push((port, child));
        }
        for &port in &ports {
            let started = Instant::now();
            while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
                assert!(started.elapsed() < FORM_WAIT, "redis-server did not start");
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        let addresses: Vec<String> = ports.iter().map(|p| format!("127.0.0.1:{p}")).collect();
        let created = Command::new("redis-cli")
            .arg("--cluster")
            .arg("create")
            .args(&addresses)
            .args(["--cluster-replicas", "1", "--cluster-yes"])
            .stdout(Stdio::null())
            .status()
            .expect("redis-cli --cluster create");
        assert!(created.success(), "redis-cli --cluster create failed");
        cluster.wait_ok();
        cluster
    }

    /// Seed URLs for `redis.cluster_urls`, as TOML (for `LOYALTY__REDIS__CLUSTER_URLS`).
    pub(crate) fn urls_toml(&self) -> String {
        let urls: Vec<String> = self
            .ports
            .iter()
            .map(|p| format!("\"redis://127.0.0.1:{p}\""))
            .collect();
        format!("[{}]", urls.join(","))
    }

    /// Waits until every live node reports `cluster_state:ok`.
    pub(crate) fn wait_ok(&self) {
        let started = Instant::now();
        loop {
            let ok = self
                .children
                .iter()
                .all(|(port, _)| cli(*port, &["cluster", "info"]).contains("cluster_state:ok"));
            if ok {
                return;
            }
            assert!(
                started.elapsed() < FORM_WAIT,
                "the cluster did not form\n{}",
                self.logs()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The cluster's nodes as a live node sees them.
    pub(crate) fn nodes(&self) -> Vec<Node> {
        let (port, _) = self.children.first().expect("a live node");
        cli(*port, &["cluster", "nodes"])
            .lines()
            .filter_map(|line| {
                let fields: Vec<&str> = line.split_whitespace().collect();
                let address = fields.get(1)?;
                let port = address.split(['@', ',']).next()?.rsplit(':').next()?;
                let flags = fields.get(2)?;
                Some(Node {
                    port: port.parse().ok()?,
                    master: flags.contains("master"),
                    alive: !flags.contains("fail"),
                    serves_slots: fields.len() > 8,
                })
            })
            .collect()
    }

    /// The ports of the live masters that serve slots.
    pub(crate) fn masters(&self) -> Vec<u16> {
        self.nodes()
            .into_iter()
            .filter(|n| n.master && n.alive && n.serves_slots)
            .map(|n| n.port)
            .collect()
    }

    /// A live master other than `except` (0: any) with an online replica, and that replica, waiting for one. The
    /// replica is read from the master's own `INFO replication` (`slave0:ip=…,port=…,state=online`): gossip
    /// (`CLUSTER NODES` on another node) can lag behind on a loaded machine, and a replica is online only once it
    /// has synced.
    pub(crate) async fn master_with_replica(&self, except: u16) -> (u16, u16) {
        let started = Instant::now();
        loop {
            let found = self
                .masters()
                .into_iter()
                .filter(|&m| m != except)
                .find_map(|m| online_replica(m).map(|r| (m, r)));
            if let Some(pair) = found {
                return pair;
            }
            assert!(
                started.elapsed() < FORM_WAIT,
                "no master with an online replica\n{}",
                self.logs()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until the node at `port` is a master, without holding up the test's runtime (the sandbox the product
    /// talks to runs on it).
    pub(crate) async fn wait_master(&self, port: u16) {
        let started = Instant::now();
        while !cli(port, &["role"]).starts_with("master") {
            assert!(
                started.elapsed() < FORM_WAIT,
                "no promotion of {port}\n{}",
                self.logs()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// What a failed wait shows: every node's role and replication state, and the end of its log.
    pub(crate) fn logs(&self) -> String {
        let mut out = String::new();
        for port in &self.ports {
            let log = std::fs::read_to_string(self.dir.join(port.to_string()).join("redis.log"))
                .unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(25).collect();
            out.push_str(&format!(
                "--- node {port}: {}\n{}\n",
                cli(*port, &["info", "replication"]).replace("\r\n", " "),
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            ));
        }
        out
    }

    /// SIGKILLs the node at `port`.
    pub(crate) fn kill(&mut self, port: u16) {
        if let Some(at) = self.children.iter().position(|(p, _)| *p == port) {
            let (_, mut child) = self.children.remove(at);
            child.kill().ok();
            child.wait().ok();
        }
    }

    /// The keys under `namespace` held by the node at `port`.
    pub(crate) fn keys_on(&self, port: u16, namespace: &str) -> usize {
        cli(port, &["--raw", "keys", &format!("{namespace}*")])
            .lines()
            .filter(|l| !l.is_empty())
            .count()
    }
}

impl Drop for RedisCluster {
    fn drop(&mut self) {
        for (_, child) in &mut self.children {
            child.kill().ok();
            child.wait().ok();
        }
        std::fs::remove_dir_all(&self.dir).ok();
    }
}
