//! The Fluent bundles: one per language, built once from the `.ftl` files embedded at compile time (no IO).

use std::sync::OnceLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};

use super::format;
use crate::chat::Lang;

/// Every `.ftl` file: language, file name (the bot it serves) and its text.
pub(crate) const RESOURCES: [(Lang, &str, &str); 14] = [
    (
        Lang::Ru,
        "common",
        include_str!("../../locales/ru/common.ftl"),
    ),
    (
        Lang::Ru,
        "partner",
        include_str!("../../locales/ru/partner.ftl"),
    ),
    (
        Lang::Ru,
        "client",
        include_str!("../../locales/ru/client.ftl"),
    ),
    (
        Lang::Ru,
        "admin",
        include_str!("../../locales/ru/admin.ftl"),
    ),
    // --- Partner back office ---
    (
        Lang::Ru,
        "office",
        include_str!("../../locales/ru/office.ftl"),
    ),
    (
        Lang::Ru,
        "miniapp",
        include_str!("../../locales/ru/miniapp.ftl"),
    ),
    (
        Lang::Ru,
        "dashboard",
        include_str!("../../locales/ru/dashboard.ftl"),
    ),
    (
        Lang::En,
        "common",
        include_str!("../../locales/en/common.ftl"),
    ),
    (
        Lang::En,
        "partner",
        include_str!("../../locales/en/partner.ftl"),
    ),
    (
        Lang::En,
        "client",
        include_str!("../../locales/en/client.ftl"),
    ),
    (
        Lang::En,
        "admin",
        include_str!("../../locales/en/admin.ftl"),
    ),
    // --- Partner back office ---
    (
        Lang::En,
        "office",
        include_str!("../../locales/en/office.ftl"),
    ),
    (
        Lang::En,
        "miniapp",
        include_str!("../../locales/en/miniapp.ftl"),
    ),
    (
        Lang::En,
        "dashboard",
        include_str!("../../locales/en/dashboard.ftl"),
    ),
];

/// A language's bundle and what went wrong while building it (parse errors, ids defined twice); the catalogue test
/// requires `problems` to be empty, production renders whatever did load.
pub(crate) struct Catalog {
    bundle: FluentBundle<FluentResource>,
    #[cfg_attr(
        not(test),
        allow(dead_code, reason = "only the catalogue test reads it")
    )]
    pub(crate) problems: Vec<String>,
}

/// The catalogue of a language, built on first use and shared by every thread after that.
pub(crate) fn catalog(lang: Lang) -> &'static Catalog {
    static RU: OnceLock<Catalog> = OnceLock::new();
    static EN: OnceLock<Catalog> = OnceLock::new();
    match lang {
        Lang::Ru => RU.get_or_init(|| build(Lang::Ru)),
        Lang::En => EN.get_or_init(|| build(Lang::En)),
    }
}

fn build(lang: Lang) -> Catalog {
    let mut problems = Vec::new();
    let code = match lang {
        Lang::Ru => "ru",
        Lang::En => "en",
    };
    let locale = code.parse().unwrap_or_else(|e| {
        problems.push(format!("{code}: bad locale: {e}"));
        Default::default()
    });
    let mut bundle = FluentBundle::new_concurrent(vec![locale]);
    // The texts are Telegram HTML; the bidi isolation marks Fluent puts around placeables would show up as junk.
    bundle.set_use_isolating(false);
    bundle.set_formatter(Some(match lang {
        Lang::Ru => numbers_ru,
        Lang::En => numbers_en,
    }));
    for (_, file, source) in RESOURCES.iter().filter(|(l, ..)| *l == lang) {
        let resource =
            FluentResource::try_new((*source).to_owned()).unwrap_or_else(|(res, errors)| {
                problems.extend(errors.iter().map(|e| format!("{code}/{file}.ftl: {e:?}")));
                res
            });
        // On a clash the bundle keeps the first definition and reports the rest.
        if let Err(errors) = bundle.add_resource(resource) {
            problems.extend(errors.iter().map(|e| format!("{code}/{file}.ftl: {e}")));
        }
    }
    Catalog { bundle, problems }
}

/// Whole numbers (point counts, balances) are shown grouped as the language writes them: «12 345», "12,345".
/// Anything else falls back to Fluent's own formatting.
fn numbers(lang: Lang, value: &FluentValue<'_>) -> Option<String> {
    match value {
        FluentValue::Number(n) if n.value.fract() == 0.0 && n.value.abs() < 1e15 => {
            // Exact: |value| < 2^53 and it has no fraction.
            #[allow(clippy::cast_possible_truncation)]
            Some(format::integer(lang, n.value as i64))
        }
        _ => None,
    }
}

fn numbers_ru<M>(value: &FluentValue<'_>, _: &M) -> Option<String> {
    numbers(Lang::Ru, value)
}

fn numbers_en<M>(value: &FluentValue<'_>, _: &M) -> Option<String> {
    numbers(Lang::En, value)
}

/// Formats message `id` with `args`; the error lists everything Fluent reported (missing message or value, unknown
/// variable, ...).
pub(crate) fn format(lang: Lang, id: &str, args: &FluentArgs<'_>) -> Result<String, Vec<String>> {
    let bundle = &catalog(lang).bundle;
    let message = bundle
        .get_message(id)
        .ok_or_else(|| vec![format!("no message {id}")])?;
    let pattern = message
        .value()
        .ok_or_else(|| vec![format!("message {id} has no value")])?;
    let mut errors = Vec::new();
    let text = bundle.format_pattern(pattern, Some(args), &mut errors);
    if errors.is_empty() {
        Ok(text.into_owned())
    } else {
        Err(errors.iter().map(|e| format!("{id}: {e}")).collect())
    }
}

/// Whether message `id` exists in `lang`.
pub(crate) fn has(lang: Lang, id: &str) -> bool {
    catalog(lang).bundle.has_message(id)
}
