//! Texts of the admins' web dashboard (`/dashboard/`). Wording: `locales/*/dashboard.ftl`.
//!
//! The dashboard's templates name their texts by Fluent id (`{{ t("dash-overview") }}`) rather than by a typed key:
//! a page has dozens of labels, and the template is where they are used. What keeps the ids honest is a test of the
//! dashboard that every id its templates use exists in both languages, and the test here that both languages define
//! the same messages. Plain text, not Telegram HTML: the templates escape what they place.

use fluent_bundle::FluentArgs;

use super::catalog;
use crate::chat::Lang;

/// The prefix of every dashboard message: a template cannot reach the bots' texts.
const PREFIX: &str = "dash-";

/// The dashboard text `id` in `lang` with `args` (counts as Fluent numbers, money already written). Never panics:
/// an unknown id, or one outside the dashboard's file, renders as the id itself.
pub fn dashboard_text(lang: Lang, id: &str, args: &FluentArgs<'_>) -> String {
    if !id.starts_with(PREFIX) {
        return id.to_owned();
    }
    catalog::format(lang, id, args).unwrap_or_else(|_| id.to_owned())
}

/// Whether the dashboard message `id` exists in `lang`.
pub fn dashboard_has(lang: Lang, id: &str) -> bool {
    id.starts_with(PREFIX) && catalog::has(lang, id)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use fluent_syntax::ast::Entry;

    use super::*;

    fn ids(source: &str) -> BTreeSet<String> {
        let resource = fluent_syntax::parser::parse(source).expect("dashboard.ftl parses");
        resource
            .body
            .iter()
            .filter_map(|e| match e {
                Entry::Message(m) => Some(m.id.name.to_owned()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn both_languages_define_the_same_dashboard_messages_all_prefixed() {
        let ru = ids(include_str!("../../locales/ru/dashboard.ftl"));
        let en = ids(include_str!("../../locales/en/dashboard.ftl"));
        assert_eq!(ru, en);
        assert!(ru.iter().all(|id| id.starts_with(PREFIX)), "{ru:?}");
        for id in &ru {
            assert!(
                dashboard_has(Lang::Ru, id) && dashboard_has(Lang::En, id),
                "{id}"
            );
        }
        assert!(!dashboard_has(Lang::Ru, "partner-menu"));
        assert_eq!(
            dashboard_text(Lang::En, "dash-nope", &FluentArgs::new()),
            "dash-nope"
        );
    }
}
