//! The dashboard's pages as minijinja templates, embedded in the binary and built once. Autoescape is on for every
//! `.html` template, so names and titles people typed are always escaped.
//!
//! What a template may call: `t("dash-…", n=…)` for a text of `fsm/locales/*/dashboard.ftl` in the page's language
//! (the context's `lang`), and the filters `money` (kopecks → «1 999,99 ₽»), `num` (grouped integer) and `rate`
//! (basis points → «5 %»). Money stays integer kopecks until these filters write it.

use std::sync::OnceLock;

use fsm::Lang;
use fsm::text::{FluentArgs, dashboard_text, format};
use minijinja::value::Kwargs;
use minijinja::{Environment, Error, ErrorKind, State, Value};

/// Every template: its name and its text.
pub(super) const TEMPLATES: [(&str, &str); 12] = [
    ("base.html", include_str!("templates/base.html")),
    ("message.html", include_str!("templates/message.html")),
    ("login.html", include_str!("templates/login.html")),
    ("overview.html", include_str!("templates/overview.html")),
    ("charts.html", include_str!("templates/charts.html")),
    ("moderation.html", include_str!("templates/moderation.html")),
    ("partners.html", include_str!("templates/partners.html")),
    ("clients.html", include_str!("templates/clients.html")),
    ("audit.html", include_str!("templates/audit.html")),
    ("pager.html", include_str!("templates/pager.html")),
    ("search.html", include_str!("templates/search.html")),
    ("decide.html", include_str!("templates/decide.html")),
];

fn env() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        for (name, source) in TEMPLATES {
            // A template that does not parse fails the template test; production then serves the error page.
            if let Err(e) = env.add_template(name, source) {
                tracing::error!(template = name, error = %e, "dashboard template does not parse");
            }
        }
        env.add_function("t", t);
        env.add_filter("money", money);
        env.add_filter("num", num);
        env.add_filter("rate", rate);
        env
    })
}

/// Renders template `name` with `ctx` (which must carry `lang`, "ru" or "en").
pub(super) fn render(name: &str, ctx: Value) -> Result<String, Error> {
    env().get_template(name)?.render(ctx)
}

/// The page's language, from the context's `lang`.
fn lang(state: &State) -> Lang {
    let code = state.lookup("lang");
    Lang::from_code(code.as_ref().and_then(Value::as_str))
}

fn t(state: &State, id: &str, kwargs: Kwargs) -> Result<String, Error> {
    let mut args = FluentArgs::new();
    for name in kwargs.args() {
        let value: Value = kwargs.get(name)?;
        match value.as_i64() {
            // Counts are Fluent numbers: they choose the plural form and are grouped per language.
            Some(n) => args.set(name.to_owned(), n as f64),
            None => args.set(name.to_owned(), value.to_string()),
        }
    }
    Ok(dashboard_text(lang(state), id, &args))
}

fn integer(value: &Value) -> Result<i64, Error> {
    value.as_i64().ok_or_else(|| {
        Error::new(
            ErrorKind::InvalidOperation,
            format!("{value} is not a whole number"),
        )
    })
}

fn money(state: &State, kopecks: Value) -> Result<String, Error> {
    Ok(format::money_kopecks(lang(state), integer(&kopecks)?))
}

fn num(state: &State, n: Value) -> Result<String, Error> {
    Ok(format::integer(lang(state), integer(&n)?))
}

fn rate(state: &State, bp: Value) -> Result<String, Error> {
    let bp = integer(&bp)?;
    let rate = i32::try_from(bp)
        .ok()
        .and_then(fsm::CashbackRate::from_stored)
        .ok_or_else(|| Error::new(ErrorKind::InvalidOperation, format!("rate {bp}")))?;
    Ok(format::rate(lang(state), rate))
}

/// The message ids a template names literally in `t("…")`.
#[cfg(test)]
pub(super) fn ids_used(source: &str) -> Vec<String> {
    source
        .split("t(\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use fsm::text::dashboard_has;

    #[test]
    fn every_template_parses_and_every_text_it_names_exists_in_both_languages() {
        let mut env = Environment::new();
        let mut ids = Vec::new();
        for (name, source) in TEMPLATES {
            env.add_template(name, source)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            ids.extend(ids_used(source));
        }
        // The pages the code names (refusals, sign-in) and the flash messages.
        for source in [include_str!("mod.rs"), include_str!("login.rs")] {
            ids.extend(
                source
                    .split('"')
                    .filter(|s| s.starts_with("dash-") && !s.contains(['{', ' ']))
                    .map(str::to_owned),
            );
        }
        assert!(ids.len() > 50, "the templates name their texts: {ids:?}");
        let missing: Vec<(Lang, &String)> = [Lang::Ru, Lang::En]
            .into_iter()
            .flat_map(|lang| ids.iter().map(move |id| (lang, id)))
            .filter(|(lang, id)| !dashboard_has(*lang, id))
            .collect();
        assert!(missing.is_empty(), "{missing:?}");
    }

    #[test]
    fn money_and_numbers_are_written_per_language_and_text_is_escaped() {
        let ctx =
            minijinja::context! { lang => "ru", k => 199_999, n => 12_345, bp => 750, s => "<b>&" };
        let source =
            "{{ k|money }}|{{ n|num }}|{{ bp|rate }}|{{ s }}|{{ t(\"dash-points\", n=n) }}";
        let mut env = Environment::new();
        env.add_function("t", t);
        env.add_filter("money", money);
        env.add_filter("num", num);
        env.add_filter("rate", rate);
        env.add_template("x.html", source).expect("template");
        let out = env
            .get_template("x.html")
            .expect("t")
            .render(ctx)
            .expect("render");
        assert_eq!(
            out,
            "1\u{a0}999,99\u{a0}₽|12\u{a0}345|7,5\u{a0}%|&lt;b&gt;&amp;|12\u{a0}345 баллов"
        );
    }
}
