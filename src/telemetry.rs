//! Logging set-up: one line per event on stderr, at the configured level.

use tracing_subscriber::filter::LevelFilter;

pub fn init(level: &str) {
    let level = level.parse::<LevelFilter>().unwrap_or(LevelFilter::INFO);
    // A second init (tests) is harmless: the first subscriber stays.
    let _ = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        // A log line that cannot be written (stderr closed, a full disk) is dropped. By default the subscriber
        // reports that with `eprintln!`, which panics on the same broken stderr and took the task that was logging
        // with it (an outbox reader, found by the black-box review).
        .log_internal_errors(false)
        .try_init();
}
