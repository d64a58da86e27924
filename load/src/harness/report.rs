//! The run's report: a table on stdout, `report.json`, and `report.svg` (throughput, p99 latency and the replicas'
//! memory over time, drawn with `plotters`) that a person opens in a browser.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use plotters::prelude::*;
use serde::Serialize;

use super::history::Verdict;
use super::users::Sample;

/// Latency figures of one step kind, milliseconds.
#[derive(Debug, Clone, Serialize)]
pub struct KindStats {
    pub kind: String,
    pub count: usize,
    pub errors: usize,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
}

/// One second of the run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Second {
    pub second: u64,
    pub steps: usize,
    pub p99_ms: f64,
    /// Each replica's resident set, MiB (`None` once it is gone).
    pub rss_mib: Vec<Option<f64>>,
}

/// One replica's share.
#[derive(Debug, Clone, Serialize)]
pub struct ReplicaStats {
    pub index: usize,
    pub killed: bool,
    /// Updates the webhook deliverer pushed to it (webhook mode).
    pub delivered: u64,
    /// The counters read from its `/metrics` at the end (none for a killed replica).
    pub metrics: BTreeMap<String, f64>,
    pub rss_peak_mib: f64,
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub transport: String,
    pub replicas: Vec<ReplicaStats>,
    pub users: usize,
    pub partners: usize,
    pub seconds: f64,
    pub steps: usize,
    pub steps_per_s: f64,
    pub errors_by_kind: BTreeMap<String, usize>,
    pub kinds: Vec<KindStats>,
    pub timeline: Vec<Second>,
    pub webhook_push_failures: u64,
    /// Replies sent again because they were in flight when their sender was SIGKILLed or SIGSTOPped (the outbox's
    /// at-least-once window; `World::replies_sent_twice`), as `bot user button`. Not violations.
    pub sent_again_across_a_fault: Vec<String>,
    pub verdict: Verdict,
}

fn percentile(sorted: &[Duration], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[i].as_secs_f64() * 1e3
}

/// Figures per step kind, and errors by kind (`kind:error`).
pub fn by_kind(samples: &[Sample]) -> (Vec<KindStats>, BTreeMap<String, usize>) {
    let mut groups: BTreeMap<&str, Vec<&Sample>> = BTreeMap::new();
    let mut errors = BTreeMap::new();
    for s in samples {
        groups.entry(s.kind).or_default().push(s);
        if let Some(e) = s.error {
            *errors.entry(format!("{}:{e}", s.kind)).or_insert(0) += 1;
        }
    }
    let kinds = groups
        .into_iter()
        .map(|(kind, group)| {
            let mut ok: Vec<Duration> = group
                .iter()
                .filter(|s| s.error.is_none())
                .map(|s| s.latency)
                .collect();
            ok.sort_unstable();
            KindStats {
                kind: kind.to_string(),
                count: group.len(),
                errors: group.len() - ok.len(),
                p50_ms: percentile(&ok, 0.5),
                p95_ms: percentile(&ok, 0.95),
                p99_ms: percentile(&ok, 0.99),
            }
        })
        .collect();
    (kinds, errors)
}

/// Steps and p99 per second of the run (answered steps, by when they were sent), with the memory samples.
pub fn timeline(samples: &[Sample], rss: &[Vec<Option<f64>>]) -> Vec<Second> {
    let last = samples.iter().map(|s| s.at_ms / 1000).max().unwrap_or(0);
    let mut per: Vec<Vec<Duration>> = vec![Vec::new(); last as usize + 1];
    for s in samples.iter().filter(|s| s.error.is_none()) {
        per[(s.at_ms / 1000) as usize].push(s.latency);
    }
    per.into_iter()
        .enumerate()
        .map(|(i, mut lat)| {
            lat.sort_unstable();
            Second {
                second: i as u64,
                steps: lat.len(),
                p99_ms: percentile(&lat, 0.99),
                rss_mib: rss.get(i).cloned().unwrap_or_default(),
            }
        })
        .collect()
}

/// The table a person reads at the end of the run.
pub fn print(r: &Report) {
    println!(
        "\n{} users, {} partners, {} replica(s) by {}, {:.1} s: {} steps, {:.0} steps/s",
        r.users,
        r.partners,
        r.replicas.len(),
        r.transport,
        r.seconds,
        r.steps,
        r.steps_per_s
    );
    println!(
        "{:<16} {:>8} {:>7} {:>9} {:>9} {:>9}",
        "step", "count", "errors", "p50 ms", "p95 ms", "p99 ms"
    );
    for k in &r.kinds {
        println!(
            "{:<16} {:>8} {:>7} {:>9.1} {:>9.1} {:>9.1}",
            k.kind, k.count, k.errors, k.p50_ms, k.p95_ms, k.p99_ms
        );
    }
    for rep in &r.replicas {
        let get = |name: &str| rep.metrics.get(name).copied().unwrap_or(0.0);
        println!(
            "replica {}{}: {} pushed, processed {}, duplicates {}, rate-limited {}, 429 waits {}, peak RSS {:.0} MiB",
            rep.index,
            if rep.killed { " (killed)" } else { "" },
            rep.delivered,
            get("loyalty_updates_total{outcome=\"processed\"}"),
            get("loyalty_updates_total{outcome=\"duplicate\"}"),
            get("loyalty_updates_total{outcome=\"rate_limited\"}"),
            get("loyalty_outbox_retry_after_waits_total"),
            rep.rss_peak_mib
        );
    }
    if !r.errors_by_kind.is_empty() {
        println!("errors: {:?}", r.errors_by_kind);
    }
    let v = &r.verdict;
    println!(
        "history: {} ok, {} failed, {} unknown ({} applied); {} wallets checked; {}",
        v.ok,
        v.fail,
        v.unknown,
        v.unknown_applied,
        v.clients_checked,
        if v.violations.is_empty() {
            "no violations, check-ledger clean".to_string()
        } else {
            format!("{} VIOLATIONS", v.violations.len())
        }
    );
    for violation in &v.violations {
        println!("  VIOLATION: {violation}");
    }
}

/// Writes `report.json` and `report.svg` into `dir`.
pub fn write(r: &Report, dir: &Path) -> anyhow::Result<()> {
    std::fs::write(dir.join("report.json"), serde_json::to_vec_pretty(r)?)?;
    draw(r, &dir.join("report.svg"))
}

fn draw(r: &Report, path: &Path) -> anyhow::Result<()> {
    let root = SVGBackend::new(path, (960, 720)).into_drawing_area();
    root.fill(&WHITE)?;
    let panels = root.split_evenly((3, 1));
    let seconds = r.timeline.len().max(2) as u64;
    let top = |f: fn(&Second) -> f64| r.timeline.iter().map(f).fold(1.0_f64, f64::max) * 1.1;
    type Series = (&'static str, &'static str, fn(&Second) -> f64);
    let series: [Series; 2] = [
        ("Throughput", "steps/s", |s| s.steps as f64),
        ("Latency, p99 of each second", "ms", |s| s.p99_ms),
    ];
    for (panel, (title, unit, value)) in panels.iter().zip(series) {
        let mut chart = ChartBuilder::on(panel)
            .caption(title, ("sans-serif", 18))
            .margin(8)
            .x_label_area_size(28)
            .y_label_area_size(56)
            .build_cartesian_2d(0u64..seconds, 0f64..top(value))?;
        chart
            .configure_mesh()
            .x_desc("second of the run")
            .y_desc(unit)
            .draw()?;
        chart.draw_series(LineSeries::new(
            r.timeline.iter().map(|s| (s.second, value(s))),
            &BLUE,
        ))?;
    }
    let rss_top = r
        .timeline
        .iter()
        .flat_map(|s| s.rss_mib.iter().flatten().copied())
        .fold(1.0_f64, f64::max)
        * 1.1;
    let mut chart = ChartBuilder::on(&panels[2])
        .caption("Replicas' resident memory", ("sans-serif", 18))
        .margin(8)
        .x_label_area_size(28)
        .y_label_area_size(56)
        .build_cartesian_2d(0u64..seconds, 0f64..rss_top)?;
    chart
        .configure_mesh()
        .x_desc("second of the run")
        .y_desc("MiB")
        .draw()?;
    for (i, colour) in (0..r.replicas.len()).zip([&RED, &GREEN, &MAGENTA, &CYAN].iter().cycle()) {
        chart
            .draw_series(LineSeries::new(
                r.timeline
                    .iter()
                    .filter_map(|s| Some((s.second, (*s.rss_mib.get(i)?)?))),
                *colour,
            ))?
            .label(format!("replica {i}"))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], *colour));
    }
    chart
        .configure_series_labels()
        .border_style(BLACK)
        .background_style(WHITE.mix(0.8))
        .draw()?;
    root.present()?;
    Ok(())
}
