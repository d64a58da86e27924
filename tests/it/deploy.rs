//! The deploy files (docker-compose.yml, deploy/nginx.conf, deploy/prometheus.yml, deploy/k8s/) checked without a
//! Docker engine or a cluster, by `scripts/validate-deploy.sh`: docker-compose 1.29's own validation, the Kubernetes
//! schemas through kubernetes-validate, and the replicas named alike everywhere. The first run installs the
//! validators from PyPI into `.local/deploy-tools` (under a lock; later runs reuse them).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn validate(args: &[&Path]) -> Output {
    Command::new(repo().join("scripts/validate-deploy.sh"))
        .args(args)
        .output()
        .expect("run scripts/validate-deploy.sh (needs python3 with venv: apt-get install python3-venv)")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A scratch directory unique to this test process.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("loyalty-deploy-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

#[test]
fn the_compose_file_and_the_kubernetes_manifests_are_valid() {
    let out = validate(&[]);
    let report = text(&out);
    assert!(out.status.success(), "deploy files invalid:\n{report}");
    assert!(report.contains("is a valid compose file"), "{report}");
    assert!(
        report.contains("replicas app1, app2, app3: proxied by nginx and scraped by Prometheus"),
        "{report}"
    );
    for kind in [
        "deployment/loyalty",
        "service/loyalty",
        "poddisruptionbudget/loyalty",
        "horizontalpodautoscaler/loyalty",
        "configmap/loyalty-config",
        "secret/loyalty-secrets",
    ] {
        assert!(
            report.contains(&format!("passed for resource {kind}")),
            "{kind} not validated:\n{report}"
        );
    }
}

#[test]
fn a_broken_manifest_or_compose_file_is_named() {
    // A Deployment whose replica count is text: the schema wants an integer.
    let k8s = scratch("k8s");
    let deployment = std::fs::read_to_string(repo().join("deploy/k8s/deployment.yaml"))
        .expect("deployment.yaml");
    assert!(deployment.contains("replicas: 3"), "{deployment}");
    std::fs::write(
        k8s.join("deployment.yaml"),
        deployment.replace("replicas: 3", "replicas: three"),
    )
    .expect("write");
    let out = validate(&[&repo().join("docker-compose.yml"), &k8s]);
    let report = text(&out);
    assert!(!out.status.success(), "a broken manifest passed:\n{report}");
    for words in ["deployment.yaml", "spec.replicas", "is invalid"] {
        assert!(report.contains(words), "{words:?} missing:\n{report}");
    }

    // A compose file with a misspelt service key.
    let compose_dir = scratch("compose");
    let compose = std::fs::read_to_string(repo().join("docker-compose.yml")).expect("compose");
    let broken = compose_dir.join("docker-compose.yml");
    std::fs::write(
        &broken,
        compose.replacen(
            "    restart: unless-stopped",
            "    restart_policy: unless-stopped",
            1,
        ),
    )
    .expect("write");
    let out = validate(&[&broken]);
    let report = text(&out);
    assert!(
        !out.status.success(),
        "a broken compose file passed:\n{report}"
    );
    for words in ["restart_policy", "is not a valid compose file"] {
        assert!(report.contains(words), "{words:?} missing:\n{report}");
    }

    // A fourth replica that nginx and Prometheus do not know.
    std::fs::write(
        &broken,
        compose.replace(
            "  app3:\n    <<: *loyalty\n",
            "  app3:\n    <<: *loyalty\n  app4:\n    <<: *loyalty\n",
        ),
    )
    .expect("write");
    let out = validate(&[&broken]);
    let report = text(&out);
    assert!(
        !out.status.success(),
        "an unproxied replica passed:\n{report}"
    );
    assert!(report.contains("deploy files disagree"), "{report}");
    assert!(report.contains("app4:8080"), "{report}");
    for dir in [k8s, compose_dir] {
        let _ = std::fs::remove_dir_all(dir);
    }
}
