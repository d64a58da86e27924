//! The back office as plain functions: the application, rejected and pending applicants, promotions' date rules,
//! forged buttons, services and arbitrary input into every back-office state. Texts come from the catalogue.

use std::sync::Arc;

use jiff::civil::Date;
use proptest::prelude::*;

use super::*;
use crate::callback::{Callback, DraftId, ItemAction, PromoField, SettingField};
use crate::chat::{BotKind, Sender};
use crate::dialogue::{Effect, UserEvent};
use crate::text::OfficeText;

fn ctx(access: PartnerAccess) -> PartnerCtx {
    PartnerCtx {
        access,
        lang: Lang::Ru,
        receipt_max: Kopecks::DEFAULT_RECEIPT_MAX,
        today: Date::new(2027, 3, 5).expect("date"),
        categories: Arc::new(vec!["Кафе".into(), "Салон".into()]),
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

fn approved() -> PartnerCtx {
    ctx(PartnerAccess::Approved(info()))
}

fn draft(n: u8) -> DraftId {
    DraftId::parse(&format!("{n:02x}").repeat(16)).expect("draft")
}

fn from(user_id: i64, input: UserInput, fresh: u8) -> PartnerEvent {
    PartnerEvent::User(UserEvent {
        sender: Sender {
            user_id,
            chat_id: user_id,
            first_name: "Иван".into(),
            lang: Lang::Ru,
        },
        input,
        fresh_draft: draft(fresh),
    })
}

fn user(input: UserInput) -> PartnerEvent {
    from(42, input, 9)
}

fn text(t: &str) -> UserInput {
    UserInput::from_text(t)
}

fn press(c: &Callback) -> UserInput {
    UserInput::Callback { data: c.encode() }
}

fn texts(t: &PartnerStep) -> Vec<String> {
    t.effects
        .iter()
        .filter_map(|e| match e {
            Effect::Reply(r) | Effect::Edit(r) => Some(r.html.clone()),
            _ => None,
        })
        .collect()
}

fn ru(key: &impl crate::text::TextKey) -> String {
    render(Lang::Ru, key)
}

fn commands(t: &PartnerStep) -> Vec<OfficeCommand> {
    t.effects
        .iter()
        .filter_map(|e| match e {
            Effect::Command(PartnerCommand::Office(c)) => Some(c.clone()),
            _ => None,
        })
        .collect()
}

/// Walks an unknown applicant to the summary, checking each question; returns the summary state.
fn to_summary(c: &PartnerCtx) -> PartnerState {
    let t = step(&PartnerState::Menu, c, user(text("привет")));
    assert!(texts(&t)[0].ends_with(&ru(&OfficeText::ApplyAskContact)));
    let t = step(&t.next, c, user(text("Иван")));
    assert_eq!(texts(&t), vec![ru(&OfficeText::ApplyAskCompany)]);
    let t = step(&t.next, c, user(text("Пекарня")));
    assert_eq!(texts(&t), vec![ru(&OfficeText::ApplyAskPhone)]);
    // Typed text or someone else's card: not accepted.
    let typed = step(&t.next, c, user(text("+79991234567")));
    assert_eq!(typed.next, t.next);
    let foreign = UserInput::Contact {
        phone: "+79991234567".into(),
        user_id: Some(777),
    };
    let other = step(&t.next, c, user(foreign));
    assert_eq!(texts(&other), vec![ru(&OfficeText::ApplyContactNotOwn)]);
    let own = UserInput::Contact {
        phone: "79991234567".into(),
        user_id: Some(42),
    };
    let t = step(&t.next, c, user(own));
    assert_eq!(texts(&t), vec![ru(&OfficeText::ApplyAskCity)]);
    let t = step(&t.next, c, user(text("Казань")));
    let not_listed = step(&t.next, c, user(text("Космос")));
    assert_eq!(not_listed.next, t.next);
    let t = step(&t.next, c, from(42, text("Кафе"), 5));
    assert_eq!(texts(&t)[0], ru(&OfficeText::ApplyCheck));
    assert!(
        matches!(&t.next, PartnerState::Apply(ApplyStep::Confirm { draft: d, by: 42, form }) if *d == draft(5) && form.phone.as_ref().map(|p| p.as_str()) == Some("+79991234567"))
    );
    t.next
}

#[test]
fn an_unknown_person_applies_and_the_submission_notifies_every_admin() {
    let c = ctx(PartnerAccess::Unknown);
    let summary = to_summary(&c);
    let submit = press(&Callback::Apply {
        draft: draft(5),
        submit: true,
    });
    // Another user's press, or another summary's button: stale, nothing submitted.
    assert!(commands(&step(&summary, &c, from(43, submit.clone(), 1))).is_empty());
    let wrong = press(&Callback::Apply {
        draft: draft(6),
        submit: true,
    });
    assert!(commands(&step(&summary, &c, user(wrong))).is_empty());
    let t = step(&summary, &c, user(submit));
    assert!(
        matches!(&commands(&t)[..], [OfficeCommand::Apply(ApplyCommand::Submit { draft: d, .. })] if *d == draft(5))
    );
    let admins = vec![(1, Lang::Ru), (2, Lang::En)];
    let done = step(
        &t.next,
        &c,
        PartnerEvent::Office(OfficeEvent::Apply(ApplyEvent::Submitted {
            admins,
            card: Box::new(crate::admin::ApplicationCard {
                partner: 9,
                company: "Пекарня".into(),
                contact: "Анна".into(),
                phone: None,
                city: "Тула".into(),
                category: "Кафе".into(),
                status: "pending".into(),
                reason: None,
                submitted_at_unix_s: 0,
            }),
        })),
    );
    assert_eq!(done.next, PartnerState::Menu);
    let told: Vec<(i64, bool)> = done
        .effects
        .iter()
        .filter_map(|e| match e {
            Effect::Notify {
                bot: BotKind::Admin,
                chat_id,
                reply,
            } => Some((*chat_id, reply.html.contains("Пекарня"))),
            _ => None,
        })
        .collect();
    assert_eq!(told, vec![(1, true), (2, true)]);
    assert!(texts(&done).contains(&ru(&PartnerText::ApplicationPending)));
}

#[test]
fn a_stored_submission_run_again_reaches_the_submission_but_a_pending_applicant_cannot_restart() {
    let summary = to_summary(&ctx(PartnerAccess::Unknown));
    let pending = ctx(PartnerAccess::Pending);
    let submit = press(&Callback::Apply {
        draft: draft(5),
        submit: true,
    });
    assert_eq!(commands(&step(&summary, &pending, user(submit))).len(), 1);
    let t = step(&summary, &pending, user(text("/start")));
    assert_eq!(texts(&t), vec![ru(&PartnerText::ApplicationPending)]);
    assert!(commands(&t).is_empty());
}

#[test]
fn a_rejected_applicant_sees_the_reason_and_the_reapply_button_starts_again() {
    let c = ctx(PartnerAccess::Rejected {
        reason: Some("нет печати".into()),
    });
    let t = step(&PartnerState::Menu, &c, user(text("/start")));
    assert_eq!(
        texts(&t),
        vec![ru(&OfficeText::RejectedBecause {
            reason: "нет печати"
        })]
    );
    let t = step(&PartnerState::Menu, &c, user(press(&Callback::Reapply)));
    assert!(matches!(t.next, PartnerState::Apply(ApplyStep::Contact)));
}

fn new_promo(title: &str, starts: Date) -> PartnerState {
    PartnerState::Promos(PromoStep::New {
        form: promos::PromoForm {
            title: Some(title.into()),
            description: Some("d".into()),
            discount: Some("−10 %".into()),
            starts: Some(starts),
        },
        draft: draft(8),
    })
}

#[test]
fn a_promotion_must_not_end_before_it_starts_nor_before_today_in_the_network_zone() {
    let c = approved();
    let state = new_promo("Акция", Date::new(2027, 3, 1).expect("date"));
    for (end, why) in [
        ("04.03.2027", OfficeText::PromoEndsInPast),
        ("28.02.2027", OfficeText::PromoEndsBeforeStart),
        ("5/3/2027", OfficeText::DateInvalid),
    ] {
        let t = step(&state, &c, user(text(end)));
        assert_eq!(t.next, state, "{end}");
        assert_eq!(texts(&t), vec![ru(&why)], "{end}");
    }
    // Ending today is allowed; the row is named by the draft minted when the creation started.
    let t = step(&state, &c, user(text("05.03.2027")));
    assert!(
        matches!(&commands(&t)[..], [OfficeCommand::Promo(PromoCommand::Create { partner: PartnerId(7), draft: d, .. })] if *d == draft(8))
    );
}

#[test]
fn a_promotion_or_service_button_is_looked_up_with_the_senders_own_partner_id() {
    let c = approved();
    for (data, expected) in [
        (
            Callback::Promo {
                id: 999,
                action: ItemAction::DeleteYes,
            },
            OfficeCommand::Promo(PromoCommand::Delete {
                partner: PartnerId(7),
                id: 999,
            }),
        ),
        (
            Callback::Promo {
                id: 5,
                action: ItemAction::Edit(PromoField::Ends),
            },
            OfficeCommand::Promo(PromoCommand::Open {
                partner: PartnerId(7),
                id: 5,
                then: ItemAction::Edit(PromoField::Ends),
            }),
        ),
        (
            Callback::Service {
                id: 3,
                action: ItemAction::View,
            },
            OfficeCommand::Service(ServiceCommand::Open {
                partner: PartnerId(7),
                id: 3,
                then: ItemAction::View,
            }),
        ),
    ] {
        let t = step(&PartnerState::Menu, &c, user(press(&data)));
        assert_eq!(commands(&t), vec![expected]);
    }
    // Not found (or another partner's): said, nothing else.
    let t = step(
        &PartnerState::Menu,
        &c,
        PartnerEvent::Office(OfficeEvent::Promo(PromoEvent::Opened {
            promo: None,
            then: ItemAction::View,
        })),
    );
    assert_eq!(texts(&t), vec![ru(&OfficeText::NotFoundOrNotYours)]);
}

#[test]
fn the_back_office_sections_answer_their_commands_and_buttons_instead_of_not_yet() {
    let c = approved();
    for input in ["/promos", "/services", "/invite", "/settings"]
        .map(String::from)
        .into_iter()
        .chain(
            [
                PartnerText::BtnPromos,
                PartnerText::BtnServices,
                PartnerText::BtnInvite,
                PartnerText::BtnSettings,
            ]
            .iter()
            .map(ru),
        )
    {
        let t = step(&PartnerState::Menu, &c, user(text(&input)));
        assert_eq!(commands(&t).len(), 1, "{input}");
    }
    let t = step(
        &PartnerState::Menu,
        &c,
        user(press(&Callback::Setting(SettingField::City))),
    );
    assert_eq!(texts(&t), vec![ru(&OfficeText::SettingsAskCity)]);
}

#[test]
fn a_service_needs_a_positive_whole_price() {
    let c = approved();
    let state = PartnerState::Services(ServiceStep::New {
        form: services::ServiceForm {
            title: Some("Капучино".into()),
            description: Some("400 мл".into()),
        },
        draft: draft(4),
    });
    for bad in ["0", "-5", "1.5", "сто"] {
        let t = step(&state, &c, user(text(bad)));
        assert_eq!(texts(&t), vec![ru(&OfficeText::PriceInvalid)], "{bad}");
    }
    let t = step(&state, &c, user(text("150")));
    assert_eq!(commands(&t).len(), 1);
}

fn any_state() -> impl Strategy<Value = PartnerState> {
    prop_oneof![
        Just(PartnerState::Apply(ApplyStep::Contact)),
        Just(to_summary(&ctx(PartnerAccess::Unknown))),
        Just(new_promo("Акция", Date::new(2027, 3, 1).expect("date"))),
        Just(PartnerState::Settings(SettingsStep::Edit {
            field: SettingField::Company
        })),
        Just(PartnerState::Services(ServiceStep::New {
            form: services::ServiceForm::default(),
            draft: draft(1),
        })),
    ]
}

fn any_input() -> impl Strategy<Value = UserInput> {
    prop_oneof![
        any::<String>().prop_map(|s| UserInput::from_text(&s)),
        "1:(pr|sv):[a-z]{1,3}:[0-9]{0,20}".prop_map(|data| UserInput::Callback { data }),
        "1:(ap:(ok|no):[0-9a-f]{32}|reap|set:[a-z]{4,8})"
            .prop_map(|data| UserInput::Callback { data }),
        (any::<String>(), proptest::option::of(any::<i64>()))
            .prop_map(|(phone, user_id)| UserInput::Contact { phone, user_id }),
        Just(UserInput::Unsupported),
    ]
}

proptest! {
    #[test]
    fn any_input_in_any_back_office_state_gets_an_answer(state in any_state(), input in any_input()) {
        for c in [approved(), ctx(PartnerAccess::Unknown), ctx(PartnerAccess::Pending), ctx(PartnerAccess::Rejected { reason: None })] {
            let t = step(&state, &c, user(input.clone()));
            prop_assert!(!t.effects.is_empty());
            let json = serde_json::to_string(&t.next).expect("serializes");
            prop_assert_eq!(serde_json::from_str::<PartnerState>(&json).expect("deserializes"), t.next);
        }
    }
}

#[test]
fn categories_show_in_the_applicants_language_and_are_stored_by_their_configured_name() {
    let mut c = ctx(PartnerAccess::Unknown);
    c.categories = Arc::new(vec![crate::partner::onboarding::Category {
        name: "Кафе и рестораны".into(),
        en: "Cafés and restaurants".into(),
    }]);
    c.lang = Lang::En;
    let at_category = PartnerState::Apply(ApplyStep::Category {
        form: ApplicationForm::default(),
    });
    // The keyboard of the city step's answer lists the English label.
    let city = PartnerState::Apply(ApplyStep::City {
        form: ApplicationForm::default(),
    });
    let t = step(&city, &c, user(text("Kazan")));
    let labels: Vec<String> = t
        .effects
        .iter()
        .filter_map(|e| match e {
            Effect::Reply(r) => Some(format!("{:?}", r.keyboard)),
            _ => None,
        })
        .collect();
    assert!(
        labels
            .iter()
            .any(|k| k.contains("Cafés and restaurants") && !k.contains("Кафе")),
        "{labels:?}"
    );
    let t = step(&at_category, &c, from(42, text("Cafés and restaurants"), 5));
    assert!(
        matches!(&t.next, PartnerState::Apply(ApplyStep::Confirm { form, .. }) if form.category == "Кафе и рестораны"),
        "{:?}",
        t.next
    );
}
