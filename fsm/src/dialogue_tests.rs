//! The dialogues as plain functions: the flows users walk, and arbitrary input into every state.

use proptest::prelude::*;

use crate::chat::{Keyboard, Lang, Sender, UserInput};
use crate::client::{
    self, ClientAccess, ClientCtx, ClientEffect, ClientEvent, ClientProfile, ClientState,
};
use crate::ids::{ClientId, PartnerId};
use crate::money::{AmountError, CashbackRate, Kopecks, Points};
use crate::partner::{
    self, AccrualResult, ClientQuery, FoundClient, PartnerAccess, PartnerCtx, PartnerEffect,
    PartnerEvent, PartnerInfo, PartnerState,
};
use crate::text::{ClientText, CommonText, PartnerText, TextKey, render};

/// What the user sees for `key` in Russian, the language of these tests' users.
fn ru(key: &impl TextKey) -> String {
    render(Lang::Ru, key)
}

fn sender() -> Sender {
    Sender {
        user_id: 42,
        chat_id: 42,
        first_name: "Anna".into(),
        lang: Lang::Ru,
    }
}

fn approved() -> PartnerCtx {
    PartnerCtx {
        access: PartnerAccess::Approved(PartnerInfo {
            id: PartnerId(7),
            company: "Кофейня".into(),
            rate: CashbackRate::DEFAULT,
        }),
        lang: Lang::Ru,
        receipt_max: Kopecks::DEFAULT_RECEIPT_MAX,
    }
}

fn user(input: UserInput, update_id: i64) -> PartnerEvent {
    PartnerEvent::User {
        sender: sender(),
        input,
        update_id,
    }
}

fn text(t: &str) -> UserInput {
    UserInput::from_text(t)
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

fn replies<E>(effects: &[E], f: impl Fn(&E) -> Option<&String>) -> Vec<String> {
    effects.iter().filter_map(f).cloned().collect()
}

fn partner_texts(effects: &[PartnerEffect]) -> Vec<String> {
    replies(effects, |e| match e {
        PartnerEffect::Reply(r) => Some(&r.html),
        _ => None,
    })
}

#[test]
fn a_partner_accrues_by_phone_amount_and_confirm() {
    let ctx = approved();
    let t = partner::step(&PartnerState::Menu, &ctx, user(text("/accrue"), 1));
    assert_eq!(t.next, PartnerState::AccrueClient);
    let t = partner::step(&t.next, &ctx, user(text("8 (999) 123-45-67"), 2));
    assert!(
        matches!(&t.effects[..], [PartnerEffect::FindClient(ClientQuery::Phone(p))] if p.as_str() == "+79991234567")
    );
    let t = partner::step(&t.next, &ctx, PartnerEvent::ClientLookup(Some(found())));
    assert!(matches!(t.next, PartnerState::AccrueAmount { .. }));
    let t = partner::step(&t.next, &ctx, user(text("1 999,99"), 3));
    assert!(
        matches!(t.next, PartnerState::AccrueConfirm { points, draft: 3, .. } if points.get() == 99)
    );
    let PartnerEffect::Reply(confirm) = &t.effects[0] else {
        panic!("confirm screen")
    };
    let Keyboard::Inline(rows) = &confirm.keyboard else {
        panic!("inline buttons")
    };
    assert_eq!(rows[0][0].data, "acc:ok:3");
    let confirming = t.next.clone();
    let t = partner::step(
        &confirming,
        &ctx,
        user(
            UserInput::Callback {
                data: "acc:ok:3".into(),
            },
            4,
        ),
    );
    let [PartnerEffect::Accrue { key, amount, .. }] = &t.effects[..] else {
        panic!("{:?}", t.effects)
    };
    assert_eq!((key.as_str(), amount.get()), ("accrual:p7:d3", 199_999));
    // A second tap while the first is in flight asks the ledger again with the same key: one operation.
    let again = partner::step(
        &confirming,
        &ctx,
        user(
            UserInput::Callback {
                data: "acc:ok:3".into(),
            },
            5,
        ),
    );
    assert!(matches!(&again.effects[..], [PartnerEffect::Accrue { key: k, .. }] if k == key));
    let t = partner::step(
        &t.next,
        &ctx,
        PartnerEvent::Accrual(AccrualResult::Applied {
            points: Points::new(99).unwrap(),
            balance: 199,
        }),
    );
    assert_eq!(t.next, PartnerState::Menu);
    assert_eq!(
        partner_texts(&t.effects)[0],
        ru(&PartnerText::Accrued {
            points: Points::new(99).unwrap(),
            balance: 199
        })
    );
    assert!(t.effects.iter().any(|e| matches!(
        e,
        PartnerEffect::NotifyClient {
            telegram_id: 99,
            lang: Lang::En,
            points,
            ..
        } if points.get() == 99
    )));
    // After completion the same button is stale.
    let t = partner::step(
        &t.next,
        &ctx,
        user(
            UserInput::Callback {
                data: "acc:ok:3".into(),
            },
            6,
        ),
    );
    assert!(
        t.effects
            .iter()
            .all(|e| !matches!(e, PartnerEffect::Accrue { .. }))
    );
}

#[test]
fn bad_amounts_keep_the_partner_at_the_amount_step_with_the_reason() {
    let ctx = approved();
    let state = PartnerState::AccrueAmount { client: found() };
    let nothing = PartnerText::NothingToAccrue {
        amount: Kopecks::new(1999).unwrap(),
        rate: CashbackRate::DEFAULT,
    };
    for (input, reason) in [
        (
            "1e3",
            ru(&PartnerText::AmountInvalid(&AmountError::NotANumber)),
        ),
        (
            "-5",
            ru(&PartnerText::AmountInvalid(&AmountError::Negative)),
        ),
        ("19.99", ru(&nothing)),
        (
            "1,999.999",
            ru(&PartnerText::AmountInvalid(&AmountError::NotANumber)),
        ),
    ] {
        let t = partner::step(&state, &ctx, user(text(input), 9));
        assert_eq!(t.next, state, "{input}");
        assert_eq!(partner_texts(&t.effects), vec![reason], "{input}");
    }
}

#[test]
fn forged_or_stale_callbacks_never_reach_the_ledger() {
    let ctx = approved();
    let confirm = PartnerState::AccrueConfirm {
        client: found(),
        amount: Kopecks::new(100_000).unwrap(),
        points: Points::new(50).unwrap(),
        draft: 3,
    };
    for data in [
        "acc:ok:4",
        "acc:ok:",
        "acc:ok:3:x",
        "partner_approve_1",
        "",
        "acc:ok:3\u{0}",
    ] {
        let t = partner::step(
            &confirm,
            &ctx,
            user(UserInput::Callback { data: data.into() }, 10),
        );
        assert!(
            t.effects
                .iter()
                .all(|e| !matches!(e, PartnerEffect::Accrue { .. })),
            "{data:?}"
        );
    }
    let t = partner::step(
        &PartnerState::Menu,
        &ctx,
        user(
            UserInput::Callback {
                data: "acc:ok:3".into(),
            },
            11,
        ),
    );
    assert!(
        t.effects
            .iter()
            .all(|e| !matches!(e, PartnerEffect::Accrue { .. }))
    );
}

#[test]
fn pending_rejected_and_unknown_partners_only_see_their_status() {
    for (access, status) in [
        (PartnerAccess::Pending, PartnerText::ApplicationPending),
        (PartnerAccess::Rejected, PartnerText::ApplicationRejected),
        (PartnerAccess::Unknown, PartnerText::NotAPartner),
    ] {
        let ctx = PartnerCtx {
            access,
            ..approved()
        };
        for input in [
            text("/accrue"),
            UserInput::Callback {
                data: "acc:ok:3".into(),
            },
            text(&ru(&PartnerText::BtnAccrue)),
        ] {
            let t = partner::step(&PartnerState::AccrueClient, &ctx, user(input, 1));
            assert_eq!(t.next, PartnerState::Menu);
            assert_eq!(t.effects.len(), 1);
            assert_eq!(partner_texts(&t.effects), vec![ru(&status)]);
        }
    }
}

#[test]
fn cancel_and_menu_leave_every_dialogue() {
    let ctx = approved();
    let states = [
        PartnerState::AccrueClient,
        PartnerState::AccrueAmount { client: found() },
        PartnerState::AccrueConfirm {
            client: found(),
            amount: Kopecks::new(1).unwrap(),
            points: Points::new(1).unwrap(),
            draft: 1,
        },
    ];
    for state in states {
        let cancel_ru = ru(&CommonText::BtnCancel);
        let cancel_en = render(Lang::En, &CommonText::BtnCancel);
        for input in ["/cancel", "/menu", "/start", &cancel_ru, &cancel_en] {
            assert_eq!(
                partner::step(&state, &ctx, user(text(input), 2)).next,
                PartnerState::Menu,
                "{input} in {state:?}"
            );
        }
    }
}

#[test]
fn help_explains_the_bot_and_leaves_any_dialogue_for_the_menu() {
    let ctx = approved();
    for state in [PartnerState::Menu, PartnerState::AccrueClient] {
        let t = partner::step(&state, &ctx, user(text("/help"), 3));
        assert_eq!(t.next, PartnerState::Menu);
        assert_eq!(partner_texts(&t.effects), vec![ru(&PartnerText::Help)]);
    }
    let t = client::step(
        &ClientState::AwaitContact,
        &client_ctx(true),
        ClientEvent::User {
            sender: sender(),
            input: text("/help"),
        },
    );
    assert_eq!(t.next, ClientState::Menu);
    assert!(
        matches!(&t.effects[..], [ClientEffect::Reply(r)] if r.html == ru(&ClientText::Help)),
        "{:?}",
        t.effects
    );
}

fn client_ctx(registered: bool) -> ClientCtx {
    let access = if registered {
        ClientAccess::Registered(ClientProfile {
            member_code: "K7M2QX".into(),
            balance: 150,
            phone_verified: false,
        })
    } else {
        ClientAccess::Unregistered
    };
    ClientCtx {
        access,
        lang: Lang::Ru,
    }
}

#[test]
fn a_client_starts_from_a_partner_link_and_shares_their_own_phone() {
    let ctx = client_ctx(false);
    let t = client::step(
        &ClientState::Menu,
        &ctx,
        ClientEvent::User {
            sender: sender(),
            input: text("/start p_abc-1"),
        },
    );
    assert_eq!(
        t.effects,
        vec![ClientEffect::Register {
            referral: Some("p_abc-1".into())
        }]
    );
    let t = client::step(
        &ClientState::Menu,
        &ctx,
        ClientEvent::User {
            sender: sender(),
            input: text("/start <script>"),
        },
    );
    assert_eq!(t.effects, vec![ClientEffect::Register { referral: None }]);
    let reg = client::Registration {
        created: true,
        bonus: Some(Points::new(100).unwrap()),
        partner: Some("Кофейня".into()),
        phone_verified: false,
    };
    let t = client::step(
        &ClientState::Menu,
        &client_ctx(true),
        ClientEvent::Registered(reg),
    );
    assert_eq!(t.next, ClientState::AwaitContact);
    let [ClientEffect::Reply(welcome)] = &t.effects[..] else {
        panic!("{:?}", t.effects)
    };
    let greeting = ru(&ClientText::WelcomeNew {
        bonus: Points::new(100).unwrap(),
        partner: Some("Кофейня"),
    });
    assert_eq!(
        welcome.html,
        format!("{greeting}\n\n{}", ru(&ClientText::AskContact))
    );
    let ctx = client_ctx(true);
    let own = UserInput::Contact {
        phone: "+79991234567".into(),
        user_id: Some(42),
    };
    let t = client::step(
        &ClientState::AwaitContact,
        &ctx,
        ClientEvent::User {
            sender: sender(),
            input: own,
        },
    );
    assert!(
        matches!(&t.effects[..], [ClientEffect::SaveContact { phone }] if phone.as_str() == "+79991234567")
    );
    for user_id in [Some(43), None] {
        let forwarded = UserInput::Contact {
            phone: "+79991234567".into(),
            user_id,
        };
        let t = client::step(
            &ClientState::AwaitContact,
            &ctx,
            ClientEvent::User {
                sender: sender(),
                input: forwarded,
            },
        );
        assert!(
            t.effects
                .iter()
                .all(|e| !matches!(e, ClientEffect::SaveContact { .. })),
            "{user_id:?}"
        );
    }
}

#[test]
fn balance_is_shown_only_to_registered_clients() {
    let t = client::step(
        &ClientState::Menu,
        &client_ctx(true),
        ClientEvent::User {
            sender: sender(),
            input: text("/balance"),
        },
    );
    let [ClientEffect::Reply(r)] = &t.effects[..] else {
        panic!()
    };
    assert_eq!(
        r.html,
        ru(&ClientText::Balance {
            balance: 150,
            code: "K7M2QX"
        })
    );
    let t = client::step(
        &ClientState::Menu,
        &client_ctx(false),
        ClientEvent::User {
            sender: sender(),
            input: text("/balance"),
        },
    );
    let [ClientEffect::Reply(r)] = &t.effects[..] else {
        panic!()
    };
    assert_eq!(r.html, ru(&ClientText::NotRegistered));
}

fn any_input() -> impl Strategy<Value = UserInput> {
    prop_oneof![
        any::<String>().prop_map(|s| UserInput::from_text(&s)),
        "/[a-z_]{0,12}( .{0,70})?".prop_map(|s| UserInput::from_text(&s)),
        any::<String>().prop_map(|data| UserInput::Callback { data }),
        "acc:(ok|no):-?[0-9]{1,4}".prop_map(|data| UserInput::Callback { data }),
        (any::<String>(), proptest::option::of(any::<i64>()))
            .prop_map(|(phone, user_id)| UserInput::Contact { phone, user_id }),
        Just(UserInput::Unsupported),
    ]
}

fn any_partner_state() -> impl Strategy<Value = PartnerState> {
    prop_oneof![
        Just(PartnerState::Menu),
        Just(PartnerState::AccrueClient),
        Just(PartnerState::AccrueAmount { client: found() }),
        (1i64..10_000).prop_map(|d| PartnerState::AccrueConfirm {
            client: found(),
            amount: Kopecks::new(100_000).unwrap(),
            points: Points::new(50).unwrap(),
            draft: d
        }),
    ]
}

proptest! {
    #[test]
    fn any_input_in_any_partner_state_gets_an_answer_and_never_panics(state in any_partner_state(), input in any_input(), id in any::<i64>()) {
        for ctx in [approved(), PartnerCtx { access: PartnerAccess::Pending, ..approved() }] {
            let t = partner::step(&state, &ctx, user(input.clone(), id));
            // Every user action gets a reply or starts a lookup / ledger call whose result is answered.
            prop_assert!(!t.effects.is_empty());
            // A state always survives a round trip through storage.
            let json = serde_json::to_string(&t.next).unwrap();
            prop_assert_eq!(serde_json::from_str::<PartnerState>(&json).unwrap(), t.next);
        }
    }

    #[test]
    fn any_input_in_any_client_state_gets_an_answer(registered in any::<bool>(), await_contact in any::<bool>(), input in any_input()) {
        let state = if await_contact { ClientState::AwaitContact } else { ClientState::Menu };
        let t = client::step(&state, &client_ctx(registered), ClientEvent::User { sender: sender(), input });
        prop_assert!(!t.effects.is_empty());
    }
}

#[test]
fn language_can_be_asked_for_and_set_by_command_or_button() {
    use crate::chat::LanguageRequest;
    assert_eq!(
        LanguageRequest::from_input(&text("/language")),
        Some(LanguageRequest::Ask)
    );
    assert_eq!(
        LanguageRequest::from_input(&text("/language en")),
        Some(LanguageRequest::Set(Lang::En))
    );
    assert_eq!(
        LanguageRequest::from_input(&text("/lang RU")),
        Some(LanguageRequest::Set(Lang::Ru))
    );
    assert_eq!(
        LanguageRequest::from_input(&UserInput::Callback {
            data: "lang:en".into()
        }),
        Some(LanguageRequest::Set(Lang::En))
    );
    assert_eq!(
        LanguageRequest::from_input(&UserInput::Callback {
            data: "lang:de".into()
        }),
        None
    );
    assert_eq!(LanguageRequest::from_input(&text("english")), None);
}
