//! The partner bot as plain functions: the flows partners walk, and arbitrary input into every state. Texts are
//! compared with the catalogue's rendering, never with words typed into the test.

use proptest::prelude::*;

use super::*;
use crate::callback::{Callback, DraftId};
use crate::chat::{BotKind, InlineButton, Sender};
use crate::dialogue::Effect;
use crate::ids::ClientId;
use crate::money::{AmountError, Points};
use crate::text::ClientText;

fn sender(user_id: i64) -> Sender {
    Sender {
        user_id,
        chat_id: user_id,
        first_name: "Anna".into(),
        lang: Lang::Ru,
    }
}

fn approved() -> PartnerCtx {
    PartnerCtx {
        access: PartnerAccess::Approved(info()),
        lang: Lang::Ru,
        receipt_max: Kopecks::DEFAULT_RECEIPT_MAX,
        today: jiff::civil::Date::new(2027, 3, 5).expect("date"),
        categories: std::sync::Arc::new(vec!["Кафе".into(), "Салон красоты".into()]),
        redeem_cap_percent: 50,
    }
}

fn info() -> PartnerInfo {
    PartnerInfo {
        id: PartnerId(7),
        company: "Кофейня".into(),
        rate: CashbackRate::DEFAULT,
    }
}

pub(crate) fn draft(n: u8) -> DraftId {
    DraftId::parse(&format!("{n:02x}").repeat(16)).expect("a valid draft id")
}

fn user_as(user_id: i64, input: UserInput, fresh: u8) -> PartnerEvent {
    PartnerEvent::User(UserEvent {
        sender: sender(user_id),
        input,
        fresh_draft: draft(fresh),
    })
}

fn user(input: UserInput, fresh: u8) -> PartnerEvent {
    user_as(42, input, fresh)
}

fn text(t: &str) -> UserInput {
    UserInput::from_text(t)
}

fn press(callback: &Callback) -> UserInput {
    UserInput::Callback {
        data: callback.encode(),
    }
}

fn found() -> FoundClient {
    FoundClient {
        id: ClientId(3),
        label: "+7 *** **4567".into(),
        telegram_id: Some(99),
        balance: 100,
        lang: Lang::En,
    }
}

fn confirm_state(d: u8, by: i64) -> PartnerState {
    PartnerState::Accrue(AccrueStep::Confirm {
        client: found(),
        amount: Kopecks::new(100_000).expect("amount"),
        points: Points::new(50).expect("points"),
        draft: draft(d),
        by,
    })
}

fn texts(effects: &[Effect<PartnerCommand>]) -> Vec<String> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Reply(r) | Effect::Edit(r) => Some(r.html.clone()),
            _ => None,
        })
        .collect()
}

fn ledger_calls(effects: &[Effect<PartnerCommand>]) -> usize {
    effects
        .iter()
        .filter(|e| {
            matches!(
                e,
                Effect::Command(PartnerCommand::Accrue(AccrueCommand::Accrue { .. }))
            )
        })
        .count()
}

#[test]
fn a_partner_accrues_by_phone_amount_and_confirm() {
    let ctx = approved();
    let t = step(&PartnerState::Menu, &ctx, user(text("/accrue"), 1));
    assert_eq!(t.next, PartnerState::Accrue(AccrueStep::Client));
    let t = step(&t.next, &ctx, user(text("8 (999) 123-45-67"), 2));
    assert!(matches!(
        &t.effects[..],
        [Effect::Command(PartnerCommand::Accrue(AccrueCommand::FindClient(ClientQuery::Phone(p))))] if p.as_str() == "+79991234567"
    ));
    let t = step(
        &t.next,
        &ctx,
        PartnerEvent::Accrue(AccrueEvent::ClientLookup(Some(found()))),
    );
    assert!(matches!(
        t.next,
        PartnerState::Accrue(AccrueStep::Amount { .. })
    ));
    let t = step(&t.next, &ctx, user(text("1 999,99"), 3));
    assert!(
        matches!(&t.next, PartnerState::Accrue(AccrueStep::Confirm { points, draft: d, by: 42, .. }) if points.get() == 99 && *d == draft(3))
    );
    let [Effect::Reply(confirm)] = &t.effects[..] else {
        panic!("a confirm screen: {:?}", t.effects)
    };
    let Keyboard::Inline(rows) = &confirm.keyboard else {
        panic!("inline buttons")
    };
    let ok = Callback::Accrual {
        draft: draft(3),
        confirm: true,
    };
    assert_eq!(
        rows[0][0],
        InlineButton {
            text: render(Lang::Ru, &CommonText::BtnConfirm),
            data: ok.encode()
        }
    );
    let confirming = t.next.clone();
    let t = step(&confirming, &ctx, user(press(&ok), 4));
    let [Effect::Command(PartnerCommand::Accrue(AccrueCommand::Accrue { key, amount, .. }))] =
        &t.effects[..]
    else {
        panic!("{:?}", t.effects)
    };
    // The key is minted with the confirm screen, not derived from Telegram's ids.
    assert_eq!(
        (key.as_str(), amount.get()),
        (format!("accrual:{}", draft(3)).as_str(), 199_999)
    );
    // A second tap while the first is in flight asks the ledger again with the same key: one operation.
    let again = step(&confirming, &ctx, user(press(&ok), 5));
    assert!(
        matches!(&again.effects[..], [Effect::Command(PartnerCommand::Accrue(AccrueCommand::Accrue { key: k, .. }))] if k == key)
    );
    let t = step(
        &t.next,
        &ctx,
        PartnerEvent::Accrue(AccrueEvent::Accrual(AccrualResult::Applied {
            operation: crate::ids::OperationId(11),
            points: Points::new(99).expect("points"),
            balance: 199,
        })),
    );
    assert_eq!(t.next, PartnerState::Menu);
    // The confirm message turns into the outcome (no buttons) and the client is told; the menu keyboard never
    // left, so there is no second message to the partner.
    assert_eq!(
        t.effects[0],
        Effect::Edit(Reply::new(render(
            Lang::Ru,
            &PartnerText::Accrued {
                points: Points::new(99).expect("points"),
                balance: 199
            }
        )))
    );
    assert!(
        !t.effects
            .iter()
            .any(|e| matches!(e, Effect::Reply(_) | Effect::Edit(_)) && *e != t.effects[0]),
        "one message to the partner: {:?}",
        t.effects
    );
    let notice = ClientText::AccrualNotice {
        partner: "Кофейня",
        amount: Kopecks::new(199_999).expect("amount"),
        points: Points::new(99).expect("points"),
        balance: 199,
    };
    assert_eq!(
        t.effects[1],
        Effect::Notify {
            bot: BotKind::Client,
            chat_id: 99,
            reply: Reply::new(render(Lang::En, &notice)),
        }
    );
    // After completion the same button is stale.
    let t = step(&t.next, &ctx, user(press(&ok), 6));
    assert_eq!(ledger_calls(&t.effects), 0);
    assert_eq!(
        texts(&t.effects),
        vec![render(Lang::Ru, &CommonText::StaleButton)]
    );
}

#[test]
fn cancel_on_the_confirm_screen_edits_it_and_leaves_the_menu() {
    let t = step(
        &confirm_state(3, 42),
        &approved(),
        user(
            press(&Callback::Accrual {
                draft: draft(3),
                confirm: false,
            }),
            4,
        ),
    );
    assert_eq!(t.next, PartnerState::Menu);
    assert_eq!(
        t.effects,
        vec![Effect::Edit(Reply::new(render(
            Lang::Ru,
            &PartnerText::AccrualCancelled
        )))]
    );
}

#[test]
fn bad_amounts_keep_the_partner_at_the_amount_step_with_the_reason() {
    let ctx = approved();
    let state = PartnerState::Accrue(AccrueStep::Amount { client: found() });
    let max = Kopecks::DEFAULT_RECEIPT_MAX;
    for (input, expected) in [
        ("1e3", PartnerText::AmountInvalid(&AmountError::NotANumber)),
        ("-5", PartnerText::AmountInvalid(&AmountError::Negative)),
        (
            "1,999.999",
            PartnerText::AmountInvalid(&AmountError::NotANumber),
        ),
        (
            "1000000.01",
            PartnerText::AmountInvalid(&AmountError::TooLarge { max }),
        ),
        (
            "19.99",
            PartnerText::NothingToAccrue {
                amount: Kopecks::new(1_999).expect("amount"),
                rate: CashbackRate::DEFAULT,
            },
        ),
    ] {
        let t = step(&state, &ctx, user(text(input), 9));
        assert_eq!(t.next, state, "{input}");
        assert_eq!(
            texts(&t.effects),
            vec![render(Lang::Ru, &expected)],
            "{input}"
        );
    }
}

#[test]
fn forged_stale_or_foreign_callbacks_never_reach_the_ledger() {
    let ctx = approved();
    let confirm = confirm_state(3, 42);
    for data in [
        Callback::Accrual {
            draft: draft(4),
            confirm: true,
        }
        .encode(),
        "1:acc:ok:".into(),
        "1:acc:ok:3:x".into(),
        "partner_approve_1".into(),
        String::new(),
        format!(
            "{}\u{0}",
            Callback::Accrual {
                draft: draft(3),
                confirm: true
            }
            .encode()
        ),
    ] {
        let t = step(
            &confirm,
            &ctx,
            user(UserInput::Callback { data: data.clone() }, 10),
        );
        assert_eq!(ledger_calls(&t.effects), 0, "{data:?}");
        assert_eq!(t.next, confirm, "{data:?}");
    }
    // The right button, pressed by another user (a forged chat id): refused.
    let ok = press(&Callback::Accrual {
        draft: draft(3),
        confirm: true,
    });
    let t = step(&confirm, &ctx, user_as(43, ok.clone(), 11));
    assert_eq!(ledger_calls(&t.effects), 0);
    // The right button with no confirm screen on display.
    let t = step(&PartnerState::Menu, &ctx, user(ok, 12));
    assert_eq!(ledger_calls(&t.effects), 0);
}

#[test]
fn a_button_from_an_older_deploy_is_answered_as_outdated() {
    for data in ["acc:ok:3", "lang:en", "9:acc:ok:x"] {
        let t = step(
            &confirm_state(3, 42),
            &approved(),
            user(UserInput::Callback { data: data.into() }, 1),
        );
        assert_eq!(ledger_calls(&t.effects), 0);
        assert_eq!(
            texts(&t.effects),
            vec![render(Lang::Ru, &CommonText::ButtonOutdated)],
            "{data}"
        );
    }
}

#[test]
fn pending_partners_only_see_their_status() {
    // Unknown and rejected people may apply: see `backoffice_tests`.
    for (access, msg) in [(PartnerAccess::Pending, PartnerText::ApplicationPending)] {
        let ctx = PartnerCtx {
            access,
            ..approved()
        };
        for input in [
            text("/accrue"),
            press(&Callback::Accrual {
                draft: draft(3),
                confirm: true,
            }),
            text(&render(Lang::Ru, &PartnerText::BtnAccrue)),
        ] {
            let t = step(&confirm_state(3, 42), &ctx, user(input, 1));
            assert_eq!(t.next, PartnerState::Menu);
            assert_eq!(
                t.effects,
                vec![Effect::Reply(Reply::with(
                    render(Lang::Ru, &msg),
                    Keyboard::Remove
                ))]
            );
        }
    }
}

#[test]
fn cancel_and_menu_leave_every_dialogue() {
    let ctx = approved();
    let states = [
        PartnerState::Accrue(AccrueStep::Client),
        PartnerState::Accrue(AccrueStep::Amount { client: found() }),
        confirm_state(1, 42),
    ];
    let cancel_ru = render(Lang::Ru, &CommonText::BtnCancel);
    let cancel_en = render(Lang::En, &CommonText::BtnCancel);
    for state in states {
        for input in ["/cancel", "/menu", "/start", &cancel_ru, &cancel_en] {
            let t = step(&state, &ctx, user(text(input), 2));
            assert_eq!(t.next, PartnerState::Menu, "{input} in {state:?}");
            assert_eq!(
                t.effects,
                vec![Effect::Reply(menu_reply(Lang::Ru, &info()))]
            );
        }
    }
}

#[test]
fn help_explains_the_bot_and_keeps_the_dialogue() {
    let state = PartnerState::Accrue(AccrueStep::Client);
    let t = step(&state, &approved(), user(text("/help"), 1));
    assert_eq!(t.next, state);
    assert_eq!(
        texts(&t.effects),
        vec![render(Lang::Ru, &PartnerText::Help)]
    );
}

#[test]
fn a_language_button_stores_it_edits_the_picker_and_resends_the_keyboard_in_the_new_language() {
    let t = step(
        &PartnerState::Menu,
        &approved(),
        user(press(&Callback::Language(Lang::En)), 1),
    );
    assert_eq!(
        t.effects,
        vec![
            Effect::SetLanguage(Lang::En),
            Effect::Edit(Reply::new(render(Lang::En, &CommonText::LanguageSet))),
            Effect::Reply(menu_reply(Lang::En, &info())),
        ]
    );
    let t = step(&PartnerState::Menu, &approved(), user(text("/language"), 1));
    assert_eq!(
        t.effects,
        vec![Effect::Reply(crate::dialogue::language_picker(Lang::Ru))]
    );
}

fn any_input() -> impl Strategy<Value = UserInput> {
    prop_oneof![
        any::<String>().prop_map(|s| UserInput::from_text(&s)),
        "/[a-z_]{0,12}( .{0,70})?".prop_map(|s| UserInput::from_text(&s)),
        any::<String>().prop_map(|data| UserInput::Callback { data }),
        "1:acc:(ok|no):[0-9a-f]{32}".prop_map(|data| UserInput::Callback { data }),
        (any::<String>(), proptest::option::of(any::<i64>()))
            .prop_map(|(phone, user_id)| UserInput::Contact { phone, user_id }),
        Just(UserInput::Unsupported),
    ]
}

fn any_partner_state() -> impl Strategy<Value = PartnerState> {
    prop_oneof![
        Just(PartnerState::Menu),
        Just(PartnerState::Accrue(AccrueStep::Client)),
        Just(PartnerState::Accrue(AccrueStep::Amount { client: found() })),
        (0u8..=255).prop_map(|d| confirm_state(d, 42)),
    ]
}

proptest! {
    #[test]
    fn any_input_in_any_partner_state_gets_an_answer_and_never_panics(state in any_partner_state(), input in any_input(), fresh in any::<u8>()) {
        for ctx in [approved(), PartnerCtx { access: PartnerAccess::Pending, ..approved() }] {
            let t = step(&state, &ctx, user(input.clone(), fresh));
            // Every user action gets a reply or starts a lookup / ledger call whose result is answered.
            prop_assert!(!t.effects.is_empty());
            // A state always survives a round trip through storage.
            let json = serde_json::to_string(&t.next).expect("serializes");
            prop_assert_eq!(serde_json::from_str::<PartnerState>(&json).expect("deserializes"), t.next);
        }
    }
}
