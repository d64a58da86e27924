//! The catalogue as a whole: every key renders in both languages for every plural form, both languages define the
//! same messages, plurals and numbers read right.

use std::collections::BTreeSet;

use fluent_syntax::ast::Entry;
use fluent_syntax::parser;

use super::catalog::{self, RESOURCES};
use super::*;
use crate::money::{AmountError, CashbackRate, Kopecks, Points};

const LANGS: [Lang; 2] = [Lang::Ru, Lang::En];

/// One count per CLDR plural category of ru and en: one (1, 21), few (2, 22), many/other (0, 5, 11, 111), and big
/// numbers that get grouped.
const COUNTS: [i64; 11] = [0, 1, 2, 5, 11, 21, 22, 25, 111, 1000, 12_345];

/// The message ids of one `.ftl` file, failing on a syntax error.
fn ids_in(lang: Lang, file: &str, source: &str) -> BTreeSet<String> {
    let resource = parser::parse(source)
        .unwrap_or_else(|(_, errors)| panic!("{lang:?}/{file}.ftl does not parse: {errors:?}"));
    resource
        .body
        .iter()
        .filter_map(|entry| match entry {
            Entry::Message(m) => Some(m.id.name.to_owned()),
            _ => None,
        })
        .collect()
}

/// Every key variant, with `n` wherever a count goes: its file, its id and what went wrong rendering it in either
/// language.
fn key_ids(n: i64) -> Vec<(&'static str, &'static str, Vec<String>)> {
    fn check<K: TextKey>(
        file: &'static str,
        keys: Vec<K>,
        out: &mut Vec<(&'static str, &'static str, Vec<String>)>,
    ) {
        for key in keys {
            let errors = LANGS
                .iter()
                .filter_map(|lang| catalog::format(*lang, key.id(), &key.args(*lang)).err())
                .flatten()
                .collect();
            out.push((file, key.id(), errors));
        }
    }
    let mut out = Vec::new();
    check("common", CommonText::samples(n), &mut out);
    check("partner", PartnerText::samples(n), &mut out);
    check("client", ClientText::samples(n), &mut out);
    check("admin", AdminText::samples(n), &mut out);
    check("office", OfficeText::samples(n), &mut out);
    check("miniapp", MiniAppText::samples(n), &mut out);
    out
}

#[test]
fn every_key_renders_in_both_languages_for_every_plural_form() {
    for lang in LANGS {
        assert_eq!(
            catalog::catalog(lang).problems,
            Vec::<String>::new(),
            "{lang:?}"
        );
    }
    for n in COUNTS {
        let failures: Vec<String> = key_ids(n)
            .into_iter()
            .flat_map(|(_, _, errors)| errors)
            .collect();
        assert!(failures.is_empty(), "count {n}: {failures:#?}");
    }
}

#[test]
fn both_languages_define_the_same_messages_and_the_code_uses_all_of_them() {
    let used = key_ids(1);
    for file in ["common", "partner", "client", "admin", "office", "miniapp"] {
        let files: Vec<BTreeSet<String>> = RESOURCES
            .iter()
            .filter(|(_, f, _)| *f == file)
            .map(|(lang, f, source)| ids_in(*lang, f, source))
            .collect();
        assert_eq!(files.len(), 2, "{file}");
        assert_eq!(files[0], files[1], "{file}.ftl: ru and en differ");
        let keys: BTreeSet<String> = used
            .iter()
            .filter(|(f, ..)| *f == file)
            .map(|(_, id, _)| (*id).to_owned())
            .collect();
        assert_eq!(keys, files[0], "{file}.ftl: keys and messages differ");
    }
}

#[test]
fn points_take_the_plural_form_of_their_number() {
    let accrued = |lang, n| {
        render(
            lang,
            &PartnerText::Accrued {
                points: Points::new(n).expect("positive"),
                balance: 0,
            },
        )
    };
    let ru = [
        (1, "1</b> балл."),
        (2, "2</b> балла."),
        (5, "5</b> баллов."),
        (11, "11</b> баллов."),
        (21, "21</b> балл."),
        (22, "22</b> балла."),
        (25, "25</b> баллов."),
        (111, "111</b> баллов."),
        (1000, "1\u{a0}000</b> баллов."),
        (12_345, "12\u{a0}345</b> баллов."),
    ];
    for (n, tail) in ru {
        let text = accrued(Lang::Ru, n);
        assert!(text.contains(&format!("<b>{tail}")), "{n}: {text}");
    }
    let en = [
        (1, "1</b> point."),
        (2, "2</b> points."),
        (5, "5</b> points."),
        (11, "11</b> points."),
        (21, "21</b> points."),
        (22, "22</b> points."),
        (25, "25</b> points."),
        (111, "111</b> points."),
        (1000, "1,000</b> points."),
        (12_345, "12,345</b> points."),
    ];
    for (n, tail) in en {
        let text = accrued(Lang::En, n);
        assert!(text.contains(&format!("<b>{tail}")), "{n}: {text}");
    }
    let zero = render(
        Lang::Ru,
        &ClientText::Balance {
            balance: 0,
            code: "K7M2QX",
        },
    );
    assert!(zero.contains("<b>0</b> баллов."), "{zero}");
}

#[test]
fn money_and_rates_in_texts_are_written_per_language() {
    let nothing = |lang| {
        render(
            lang,
            &PartnerText::NothingToAccrue {
                amount: Kopecks::new(1999).expect("positive"),
                rate: CashbackRate::DEFAULT,
            },
        )
    };
    assert!(nothing(Lang::Ru).starts_with("С чека 19,99\u{a0}₽ при кэшбэке 5\u{a0}% "));
    assert!(nothing(Lang::En).starts_with("A 19.99\u{a0}₽ receipt at 5% cashback"));
    let too_large = AmountError::TooLarge {
        max: Kopecks::DEFAULT_RECEIPT_MAX,
    };
    assert_eq!(
        render(Lang::Ru, &PartnerText::AmountInvalid(&too_large)),
        "Сумма больше допустимой (1\u{a0}000\u{a0}000,00\u{a0}₽)."
    );
    assert_eq!(
        render(Lang::En, &PartnerText::AmountInvalid(&too_large)),
        "The amount is above the maximum (1,000,000.00\u{a0}₽)."
    );
}

#[test]
fn multiline_texts_keep_their_lines_and_no_isolation_marks() {
    let text = render(
        Lang::Ru,
        &PartnerText::AskAmount {
            client: "K7M2QX",
            balance: 22,
            rate: CashbackRate::DEFAULT,
        },
    );
    assert_eq!(
        text,
        "Клиент: K7M2QX\nБаланс: <b>22</b> балла\nКэшбэк: 5\u{a0}%\n\nВведите сумму чека в рублях."
    );
    assert!(!text.contains(['\u{2068}', '\u{2069}']));
}

#[test]
fn command_descriptions_fit_telegrams_limit() {
    for bot in [BotKind::Partner, BotKind::Client, BotKind::Admin] {
        for lang in LANGS {
            let commands = bot_commands(bot, lang);
            assert!(commands.iter().any(|(c, _)| *c == "language"), "{bot:?}");
            for (command, description) in commands {
                let chars = description.chars().count();
                assert!(
                    (1..=256).contains(&chars),
                    "{bot:?} /{command}: {description}"
                );
                assert!(
                    !description.contains("-cmd-"),
                    "{bot:?} /{command}: {description}"
                );
            }
        }
    }
    let help = render(Lang::Ru, &PartnerText::Help);
    for (command, _) in bot_commands(BotKind::Partner, Lang::Ru) {
        assert!(
            command == "help" || help.contains(&format!("/{command} ")),
            "/{command}"
        );
    }
}

#[test]
fn a_missing_message_renders_as_its_id() {
    struct Missing;
    impl TextKey for Missing {
        fn id(&self) -> &'static str {
            "no-such-message"
        }
        fn args(&self, _: Lang) -> FluentArgs<'_> {
            FluentArgs::new()
        }
    }
    assert_eq!(render(Lang::En, &Missing), "no-such-message");
}

#[test]
fn user_text_cannot_inject_markup() {
    assert_eq!(
        escape("<b>Tom & \"Jerry\"</b>"),
        "&lt;b&gt;Tom &amp; &quot;Jerry&quot;&lt;/b&gt;"
    );
}

#[test]
fn button_labels_differ_by_language_and_never_collide() {
    let buttons = PartnerText::samples(1)
        .into_iter()
        .filter(|k| k.id().starts_with("partner-btn-"))
        .collect::<Vec<_>>();
    assert_eq!(buttons.len(), 8);
    for lang in LANGS {
        let labels: BTreeSet<String> = buttons.iter().map(|b| render(lang, b)).collect();
        assert_eq!(labels.len(), buttons.len());
    }
    assert_ne!(
        render(Lang::Ru, &PartnerText::BtnAccrue),
        render(Lang::En, &PartnerText::BtnAccrue)
    );
}
