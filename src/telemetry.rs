//! Logging and error reporting. Logs: one event per line on stderr, as text or JSON (`[log] format`), at the
//! configured level; an update's events carry its `update_id` and `chat_id` (the ingress's `update` span). Errors:
//! with a Sentry DSN (`[sentry] dsn`, or `SENTRY_DSN`), every error-level event and every panic is reported, the
//! warnings before it as breadcrumbs, after [`scrub_event`] took out the configured secrets and anything shaped like a
//! phone number.

use std::sync::Arc;
use std::time::Duration;

use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::prelude::*;

use crate::config::Settings;

/// How long the last reports may take to leave when the process exits.
const SENTRY_FLUSH: Duration = Duration::from_millis(500);

/// Sets up logging (and Sentry when a DSN is configured). Keep the returned guard for the life of the process:
/// dropping it sends what is still queued.
pub fn init(settings: &Settings) -> Option<sentry::ClientInitGuard> {
    let sentry = start_sentry(settings);
    init_logs(
        &settings.log.level,
        settings.log.format == "json",
        sentry.is_some(),
    );
    sentry
}

/// Text logs at `level` only (the tests' set-up).
pub fn init_text(level: &str) {
    init_logs(level, false, false);
}

fn init_logs(level: &str, json: bool, sentry: bool) {
    let filter = level
        .parse::<Targets>()
        .unwrap_or_else(|_| Targets::new().with_default(LevelFilter::INFO));
    // A log line that cannot be written (stderr closed, a full disk) is dropped. By default the subscriber reports
    // that with `eprintln!`, which panics on the same broken stderr and took the task that was logging with it (an
    // outbox reader, found by the black-box review).
    let text = (!json).then(|| {
        tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .log_internal_errors(false)
    });
    let json = json.then(|| {
        tracing_subscriber::fmt::layer()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .with_writer(std::io::stderr)
            .log_internal_errors(false)
    });
    // Sentry's spans off: an update's span would become a Sentry span on every step, for a product that sends no
    // performance data. The events still carry their own fields (the update id).
    let to_sentry = sentry.then(|| sentry::integrations::tracing::layer().span_filter(|_| false));
    // A second init (tests) is harmless: the first subscriber stays.
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(text)
        .with(json)
        .with(to_sentry)
        .try_init();
}

fn start_sentry(settings: &Settings) -> Option<sentry::ClientInitGuard> {
    let dsn = match settings.sentry.dsn.expose().as_str() {
        "" => std::env::var("SENTRY_DSN").ok()?,
        dsn => dsn.to_owned(),
    };
    if dsn.is_empty() {
        return None;
    }
    let dsn: sentry::types::Dsn = match dsn.parse() {
        Ok(dsn) => dsn,
        Err(e) => {
            // Before logging is set up: the one place stderr is written directly.
            eprintln!("loyalty: sentry.dsn is not a DSN ({e}); errors are not reported");
            return None;
        }
    };
    let secrets = Arc::new(secrets(settings));
    let for_breadcrumbs = secrets.clone();
    Some(sentry::init(sentry::ClientOptions {
        dsn: Some(dsn),
        release: sentry::release_name!(),
        send_default_pii: false,
        shutdown_timeout: SENTRY_FLUSH,
        before_send: Some(Arc::new(move |event| scrub_event(event, &secrets))),
        before_breadcrumb: Some(Arc::new(move |mut crumb| {
            scrub_crumb(&mut crumb, &for_breadcrumbs);
            Some(crumb)
        })),
        ..Default::default()
    }))
}

/// The configured secrets, and the password inside each URL, as they could appear in an error's text.
fn secrets(settings: &Settings) -> Vec<String> {
    let t = &settings.telegram;
    let mut all: Vec<String> = [
        &t.partner_token,
        &t.client_token,
        &t.admin_token,
        &t.webhook_secret,
        &settings.database.url,
        &settings.redis.url,
    ]
    .iter()
    .map(|s| s.expose().clone())
    .collect();
    for url in [&settings.database.url, &settings.redis.url] {
        if let Ok(url) = reqwest::Url::parse(url.expose())
            && let Some(password) = url.password()
        {
            all.push(password.to_owned());
        }
    }
    // Short values would blank out ordinary words; no real secret is that short.
    all.retain(|s| s.len() >= 6);
    all
}

/// `event` with every text in it scrubbed (its message, exceptions, tags, extra data, contexts and breadcrumbs): each
/// secret replaced by `[redacted]`, each run of ten digits or more (a phone number, however it is written) by
/// `[number]`. Numbers as numbers (the update id among the event's fields) are kept. Scrubbed in place: a round trip
/// through JSON lost some events.
pub fn scrub_event(
    mut event: sentry::protocol::Event<'static>,
    secrets: &[String],
) -> Option<sentry::protocol::Event<'static>> {
    let text = |s: &mut String| *s = scrub_text(s, secrets);
    if let Some(message) = &mut event.message {
        text(message);
    }
    if let Some(entry) = &mut event.logentry {
        text(&mut entry.message);
        entry
            .params
            .iter_mut()
            .for_each(|v| scrub_value(v, secrets));
    }
    for exception in event.exception.values.iter_mut() {
        if let Some(value) = &mut exception.value {
            text(value);
        }
    }
    event.tags.values_mut().for_each(text);
    event
        .extra
        .values_mut()
        .for_each(|v| scrub_value(v, secrets));
    for context in event.contexts.values_mut() {
        if let sentry::protocol::Context::Other(map) = context {
            map.values_mut().for_each(|v| scrub_value(v, secrets));
        }
    }
    for crumb in event.breadcrumbs.values.iter_mut() {
        scrub_crumb(crumb, secrets);
    }
    Some(event)
}

/// A breadcrumb (a warning before the error) scrubbed like an event.
fn scrub_crumb(crumb: &mut sentry::protocol::Breadcrumb, secrets: &[String]) {
    if let Some(message) = &mut crumb.message {
        *message = scrub_text(message, secrets);
    }
    crumb
        .data
        .values_mut()
        .for_each(|v| scrub_value(v, secrets));
}

fn scrub_value(value: &mut serde_json::Value, secrets: &[String]) {
    use serde_json::Value;
    match value {
        Value::String(s) => *s = scrub_text(s, secrets),
        Value::Array(items) => items.iter_mut().for_each(|v| scrub_value(v, secrets)),
        Value::Object(map) => map.values_mut().for_each(|v| scrub_value(v, secrets)),
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// `text` with the secrets and the phone-like digit runs replaced.
pub fn scrub_text(text: &str, secrets: &[String]) -> String {
    let mut text = text.to_owned();
    for secret in secrets {
        if text.contains(secret.as_str()) {
            text = text.replace(secret.as_str(), "[redacted]");
        }
    }
    let mut out = String::with_capacity(text.len());
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        // A run: digits, with single separators between them (`+7 (912) 345-67-89`).
        let start = i;
        let mut end = i;
        let mut digits = 0;
        let mut j = i;
        if chars.get(j) == Some(&'+') {
            j += 1;
        }
        while j < chars.len() {
            if chars[j].is_ascii_digit() {
                digits += 1;
                j += 1;
                end = j;
            } else if let Some(skip) = separators_before_digit(&chars[j..])
                && digits > 0
            {
                j += skip;
            } else {
                break;
            }
        }
        if digits >= 10 {
            out.push_str("[number]");
            i = end;
        } else {
            let next = if end > start { end } else { start + 1 };
            out.extend(&chars[start..next]);
            i = next;
        }
    }
    out
}

/// How many separator characters (`+7 (912) 345-67-89`: space, dash, parentheses, dot; at most two) start `rest`
/// and are followed by a digit.
fn separators_before_digit(rest: &[char]) -> Option<usize> {
    let is_separator = |c: &char| matches!(c, ' ' | '-' | '(' | ')' | '.');
    let skip = rest.iter().take(2).take_while(|c| is_separator(c)).count();
    (skip > 0 && rest.get(skip).is_some_and(char::is_ascii_digit)).then_some(skip)
}

#[cfg(test)]
mod tests {
    use super::scrub_text;

    #[test]
    fn phones_and_secrets_leave_the_text_and_short_numbers_stay() {
        let secrets = vec!["123456:AAH-token".to_owned()];
        let text = "call +7 (912) 345-67-89 or 89123456789 about update 4242, token 123456:AAH-token, 2026-11-29";
        let scrubbed = scrub_text(text, &secrets);
        assert_eq!(
            scrubbed,
            "call [number] or [number] about update 4242, token [redacted], 2026-11-29"
        );
    }
}
