//! The partner-money dialogues as plain functions: enrolment in `/accrue`, `/redeem` up to the request, `/find` and
//! `/stats`. Texts are compared with the catalogue's rendering.

use super::*;
use crate::callback::{Callback, DraftId};
use crate::chat::{BotKind, InlineButton, Keyboard, Sender};
use crate::dialogue::Effect;
use crate::identity::Phone;
use crate::ids::ClientId;
use crate::money::{Kopecks, Points, PointsError};
use crate::partner::find::{ClientCard, FindResult};
use crate::partner::redeem::{Lookup, RequestResult};
use crate::text::ClientText;

fn draft(n: u8) -> DraftId {
    DraftId::parse(&format!("{n:02x}").repeat(16)).expect("a valid draft id")
}

fn info() -> PartnerInfo {
    PartnerInfo {
        id: PartnerId(7),
        company: "Кофейня".into(),
        rate: CashbackRate::DEFAULT,
    }
}

fn ctx() -> PartnerCtx {
    PartnerCtx {
        access: PartnerAccess::Approved(info()),
        lang: Lang::Ru,
        receipt_max: Kopecks::DEFAULT_RECEIPT_MAX,
        redeem_cap_percent: 50,
        today: jiff::civil::Date::new(2027, 3, 5).expect("date"),
        categories: std::sync::Arc::new(vec!["Кафе".into()]),
    }
}

fn user_as(user_id: i64, input: UserInput, fresh: u8) -> PartnerEvent {
    PartnerEvent::User(UserEvent {
        sender: Sender {
            user_id,
            chat_id: user_id,
            first_name: "Anna".into(),
            lang: Lang::Ru,
        },
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

fn press(c: &Callback) -> UserInput {
    UserInput::Callback { data: c.encode() }
}

fn found(balance: i64, telegram_id: Option<i64>) -> FoundClient {
    FoundClient {
        id: ClientId(3),
        label: "+7 *** **4567".into(),
        telegram_id,
        balance,
        lang: Lang::En,
    }
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

fn pts(n: i64) -> Points {
    Points::new(n).expect("points")
}

#[test]
fn an_unknown_phone_is_offered_for_enrolment_and_enrolling_goes_on_to_the_amount() {
    let phone = Phone::parse("+79995554433").expect("phone");
    let at_client = PartnerState::Accrue(AccrueStep::Client);
    let t = step(
        &at_client,
        &ctx(),
        PartnerEvent::Accrue(AccrueEvent::UnknownPhone {
            phone: phone.clone(),
            draft: draft(5),
            by: 42,
        }),
    );
    let [Effect::Reply(offer)] = &t.effects[..] else {
        panic!("an offer: {:?}", t.effects)
    };
    assert_eq!(
        offer.html,
        render(
            Lang::Ru,
            &PartnerText::EnrolOffer {
                phone: "+7 *** **4433"
            }
        )
    );
    let enrol = Callback::Enrol {
        draft: draft(5),
        confirm: true,
    };
    let Keyboard::Inline(rows) = &offer.keyboard else {
        panic!("inline buttons")
    };
    assert_eq!(rows[0][0].data, enrol.encode());
    // Another partner's press, and a press of an older offer, do nothing.
    let offered = t.next.clone();
    let forged = step(&offered, &ctx(), user_as(43, press(&enrol), 6));
    assert_eq!(
        texts(&forged.effects),
        vec![render(Lang::Ru, &CommonText::StaleButton)]
    );
    let old = Callback::Enrol {
        draft: draft(4),
        confirm: true,
    };
    let stale = step(&offered, &ctx(), user(press(&old), 6));
    assert_eq!(
        texts(&stale.effects),
        vec![render(Lang::Ru, &CommonText::StaleButton)]
    );
    let t = step(&offered, &ctx(), user(press(&enrol), 6));
    assert_eq!(
        t.effects,
        vec![Effect::Command(PartnerCommand::Accrue(
            AccrueCommand::Enrol {
                phone: phone.clone(),
                partner: PartnerId(7),
            }
        ))]
    );
    let mut enrolled = found(0, None);
    enrolled.label = "+7 *** **4433".into();
    let t = step(
        &t.next,
        &ctx(),
        PartnerEvent::Accrue(AccrueEvent::Enrolled(Some(enrolled.clone()))),
    );
    assert_eq!(
        t.next,
        PartnerState::Accrue(AccrueStep::Amount { client: enrolled })
    );
    assert_eq!(
        texts(&t.effects)[0],
        render(
            Lang::Ru,
            &PartnerText::Enrolled {
                phone: "+7 *** **4433"
            }
        )
    );
}

#[test]
fn the_partners_own_record_is_refused_in_accrual_and_redemption() {
    let t = step(
        &PartnerState::Accrue(AccrueStep::Client),
        &ctx(),
        PartnerEvent::Accrue(AccrueEvent::OwnRecord),
    );
    assert_eq!(
        texts(&t.effects),
        vec![render(Lang::Ru, &PartnerText::OwnClientRecord)]
    );
    let t = step(
        &PartnerState::Redeem(RedeemStep::Client),
        &ctx(),
        PartnerEvent::Redeem(RedeemEvent::ClientLookup(Lookup::Own)),
    );
    assert_eq!(t.next, PartnerState::Redeem(RedeemStep::Client));
    assert_eq!(
        texts(&t.effects),
        vec![render(Lang::Ru, &PartnerText::OwnClientRecord)]
    );
}

#[test]
fn a_redemption_checks_balance_and_cap_then_sends_the_request_to_the_client() {
    let t = step(&PartnerState::Menu, &ctx(), user(text("/redeem"), 1));
    assert_eq!(t.next, PartnerState::Redeem(RedeemStep::Client));
    let t = step(
        &t.next,
        &ctx(),
        PartnerEvent::Redeem(RedeemEvent::ClientLookup(Lookup::Found(found(
            100,
            Some(99),
        )))),
    );
    let at_points = t.next.clone();
    // Bad numbers and too many points keep the partner here; nothing is asked of anyone.
    for (input, expected) in [
        ("abc", PartnerText::PointsInvalid(&PointsError::NotANumber)),
        ("0", PartnerText::PointsInvalid(&PointsError::NotPositive)),
        (
            "150",
            PartnerText::OverBalance {
                points: pts(150),
                balance: 100,
            },
        ),
    ] {
        let t = step(&at_points, &ctx(), user(text(input), 2));
        assert_eq!(t.next, at_points, "{input}");
        assert_eq!(
            texts(&t.effects),
            vec![render(Lang::Ru, &expected)],
            "{input}"
        );
    }
    let t = step(&at_points, &ctx(), user(text("80"), 2));
    let at_receipt = t.next.clone();
    // 50 % of 100.00 is 50 points: not enough for 80.
    let t = step(&at_receipt, &ctx(), user(text("100"), 3));
    assert_eq!(t.next, at_receipt);
    assert_eq!(
        texts(&t.effects),
        vec![render(
            Lang::Ru,
            &PartnerText::OverCap {
                points: pts(80),
                amount: Kopecks::new(10_000).expect("amount"),
                max: 50
            }
        )]
    );
    let t = step(&at_receipt, &ctx(), user(text("160"), 3));
    let screen = t.next.clone();
    assert!(matches!(
        &screen,
        PartnerState::Redeem(RedeemStep::Confirm { receipt: Some(r), by: 42, .. }) if r.get() == 16_000
    ));
    let ok = Callback::Redemption {
        draft: draft(3),
        confirm: true,
    };
    let t = step(&screen, &ctx(), user(press(&ok), 4));
    assert_eq!(
        t.effects,
        vec![Effect::Command(PartnerCommand::Redeem(
            RedeemCommand::Request {
                key: format!("redeem:{}", draft(3)),
                client: ClientId(3),
                partner: PartnerId(7),
                points: pts(80),
                receipt: Kopecks::new(16_000),
            }
        ))]
    );
    let t = step(
        &t.next,
        &ctx(),
        PartnerEvent::Redeem(RedeemEvent::Requested(RequestResult::Sent {
            request: 17,
            balance: 100,
            minutes: 5,
        })),
    );
    assert_eq!(t.next, PartnerState::Menu);
    let Some(Effect::Notify {
        bot: BotKind::Client,
        chat_id: 99,
        reply,
    }) = t.effects.last()
    else {
        panic!("the client is asked: {:?}", t.effects)
    };
    assert_eq!(
        reply.html,
        render(
            Lang::En,
            &ClientText::ConsentAsk {
                partner: "Кофейня",
                points: pts(80),
                receipt: Kopecks::new(16_000),
                balance: 100,
                minutes: 5
            }
        )
    );
    let Keyboard::Inline(rows) = &reply.keyboard else {
        panic!("buttons")
    };
    assert_eq!(
        rows[0][0],
        InlineButton {
            text: render(Lang::En, &ClientText::BtnApprove),
            data: Callback::Consent {
                request: 17,
                approve: true
            }
            .encode()
        }
    );
}

#[test]
fn a_client_without_telegram_cannot_be_asked_to_consent() {
    let t = step(
        &PartnerState::Redeem(RedeemStep::Client),
        &ctx(),
        PartnerEvent::Redeem(RedeemEvent::ClientLookup(Lookup::Found(found(100, None)))),
    );
    assert_eq!(t.next, PartnerState::Redeem(RedeemStep::Client));
    assert_eq!(
        texts(&t.effects),
        vec![render(Lang::Ru, &PartnerText::RedemptionNoTelegram)]
    );
}

#[test]
fn find_shows_one_answer_for_unknown_and_foreign_and_the_card_for_own() {
    let t = step(&PartnerState::Menu, &ctx(), user(text("/find"), 1));
    assert_eq!(t.next, PartnerState::Find(FindStep::Client));
    let t = step(&t.next, &ctx(), user(text("K7M2QX"), 2));
    assert!(matches!(
        &t.effects[..],
        [Effect::Command(PartnerCommand::Find(FindCommand::Lookup {
            partner: PartnerId(7),
            ..
        }))]
    ));
    let looked = |r| {
        step(
            &PartnerState::Find(FindStep::Client),
            &ctx(),
            PartnerEvent::Find(FindEvent::Looked(r)),
        )
    };
    let t = looked(FindResult::NotFound);
    assert_eq!(
        texts(&t.effects),
        vec![render(Lang::Ru, &PartnerText::FindNotFound)]
    );
    let t = looked(FindResult::TooMany);
    assert_eq!(t.next, PartnerState::Menu);
    let t = looked(FindResult::Found(ClientCard {
        label: "K7M2QX".into(),
        balance: 5,
        operations: 2,
        last_visit: Some("29.11.2026".into()),
    }));
    assert_eq!(t.next, PartnerState::Menu);
    assert!(texts(&t.effects)[0].contains("29.11.2026"));
}

#[test]
fn stats_are_asked_for_this_partner_and_shown_where_the_partner_is() {
    let t = step(&PartnerState::Menu, &ctx(), user(text("/stats"), 1));
    assert_eq!(
        t.effects,
        vec![Effect::Command(PartnerCommand::Stats(StatsCommand::Load {
            partner: PartnerId(7)
        }))]
    );
    let t = step(
        &PartnerState::Menu,
        &ctx(),
        PartnerEvent::Stats(StatsEvent::Loaded(Default::default())),
    );
    assert_eq!(t.next, PartnerState::Menu);
    assert_eq!(texts(&t.effects).len(), 1);
}

fn any_input() -> impl proptest::strategy::Strategy<Value = UserInput> {
    use proptest::prelude::*;
    prop_oneof![
        any::<String>().prop_map(|s| UserInput::from_text(&s)),
        "/[a-z_]{0,12}( .{0,70})?".prop_map(|s| UserInput::from_text(&s)),
        "[0-9 ]{0,12}".prop_map(|s| UserInput::from_text(&s)),
        any::<String>().prop_map(|data| UserInput::Callback { data }),
        "1:(enr|red|acc):(ok|no):[0-9a-f]{32}".prop_map(|data| UserInput::Callback { data }),
        (any::<String>(), proptest::option::of(any::<i64>()))
            .prop_map(|(phone, user_id)| UserInput::Contact { phone, user_id }),
        Just(UserInput::Unsupported),
    ]
}

fn any_money_state() -> impl proptest::strategy::Strategy<Value = PartnerState> {
    use proptest::prelude::*;
    let phone = Phone::parse("+79995554433").expect("phone");
    prop_oneof![
        Just(PartnerState::Redeem(RedeemStep::Client)),
        Just(PartnerState::Redeem(RedeemStep::Points {
            client: found(100, Some(99))
        })),
        Just(PartnerState::Redeem(RedeemStep::Receipt {
            client: found(100, Some(99)),
            points: pts(40)
        })),
        (0u8..=255).prop_map(|d| PartnerState::Redeem(RedeemStep::Confirm {
            client: found(100, Some(99)),
            points: pts(40),
            receipt: None,
            draft: draft(d),
            by: 42,
        })),
        (0u8..=255).prop_map(move |d| PartnerState::Accrue(AccrueStep::Enrol {
            phone: phone.clone(),
            draft: draft(d),
            by: 42,
        })),
        Just(PartnerState::Find(FindStep::Client)),
    ]
}

proptest::proptest! {
    #[test]
    fn any_input_in_any_money_state_gets_an_answer_and_never_panics(
        state in any_money_state(),
        input in any_input(),
        fresh in proptest::prelude::any::<u8>(),
    ) {
        let t = step(&state, &ctx(), user(input, fresh));
        proptest::prop_assert!(!t.effects.is_empty());
        let json = serde_json::to_string(&t.next).expect("serializes");
        proptest::prop_assert_eq!(serde_json::from_str::<PartnerState>(&json).expect("deserializes"), t.next);
    }
}
