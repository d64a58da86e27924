use super::*;
use crate::callback::{Callback, DraftId};
use crate::chat::{BotKind, Sender, UserInput};

fn ctx(is_admin: bool) -> AdminCtx {
    AdminCtx {
        is_admin,
        lang: Lang::En,
        rate_min: CashbackRate::new(100, 1, 10_000).expect("rate"),
        rate_max: CashbackRate::new(3_000, 1, 10_000).expect("rate"),
    }
}

fn input(input: UserInput) -> AdminEvent {
    AdminEvent::User(UserEvent {
        sender: Sender {
            user_id: 5,
            chat_id: 5,
            first_name: "Eve".into(),
            lang: Lang::En,
        },
        input,
        fresh_draft: DraftId::parse(&"a".repeat(32)).expect("draft"),
    })
}

fn event(text: &str) -> AdminEvent {
    input(UserInput::from_text(text))
}

fn press(cb: Callback) -> AdminEvent {
    input(UserInput::Callback { data: cb.encode() })
}

fn commands(t: &AdminStep) -> Vec<AdminCommand> {
    t.effects
        .iter()
        .filter_map(|e| match e {
            Effect::Command(c) => Some(c.clone()),
            _ => None,
        })
        .collect()
}

fn texts(t: &AdminStep) -> String {
    t.effects
        .iter()
        .filter_map(|e| match e {
            Effect::Reply(r) | Effect::Edit(r) => Some(r.html.clone()),
            Effect::Notify { reply, .. } => Some(format!("[notify] {}", reply.html)),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_stranger_is_refused_whatever_they_send_or_press() {
    let forged = [
        press(Callback::Moderate {
            subject: Subject::Application(1),
            approve: true,
        }),
        press(Callback::AdminConfirm {
            draft: DraftId::parse(&"a".repeat(32)).expect("draft"),
            confirm: true,
        }),
    ];
    let typed = [
        "/start",
        "/help",
        "/language en",
        "/stats",
        "/pending",
        "/rate 1",
        "/reverse 1",
        "/dashboard",
        "hello",
    ]
    .map(event);
    let states = [
        AdminState::Menu,
        AdminState::RateAskPartner,
        AdminState::RejectReason {
            subject: Subject::Service(3),
            title: "#3".into(),
        },
    ];
    for state in &states {
        for ev in typed.iter().chain(forged.iter()) {
            let t = step(state, &ctx(false), ev.clone());
            assert_eq!(t.next, AdminState::Menu);
            assert_eq!(
                t.effects,
                vec![Effect::Reply(Reply::with(
                    render(Lang::En, &AdminText::AdminOnly),
                    Keyboard::Remove
                ))],
                "{ev:?}"
            );
        }
    }
}

#[test]
fn an_admin_gets_help_and_the_menu_actions_become_commands() {
    let t = step(&AdminState::Menu, &ctx(true), event("/help"));
    assert!(texts(&t).contains("/pending"));
    assert_eq!(
        commands(&step(&AdminState::Menu, &ctx(true), event("/stats"))),
        vec![AdminCommand::Stats]
    );
    assert_eq!(
        commands(&step(&AdminState::Menu, &ctx(true), event("/pending"))),
        vec![AdminCommand::Queue]
    );
    assert_eq!(
        commands(&step(
            &AdminState::Menu,
            &ctx(true),
            event(&render(Lang::Ru, &AdminText::BtnDashboard))
        )),
        vec![AdminCommand::DashboardLink]
    );
    let t = step(&AdminState::Menu, &ctx(true), event("/frobnicate"));
    assert_eq!(texts(&t), render(Lang::En, &CommonText::UnknownCommand));
}

#[test]
fn reject_asks_for_a_reason_then_decides_with_it_or_without_on_skip() {
    let subject = Subject::Service(42);
    let t = step(
        &AdminState::Menu,
        &ctx(true),
        press(Callback::Moderate {
            subject,
            approve: false,
        }),
    );
    assert!(commands(&t).is_empty(), "nothing decided before the reason");
    let waiting = t.next.clone();
    assert!(matches!(waiting, AdminState::RejectReason { .. }));
    let t = step(&waiting, &ctx(true), event("  Photos are missing  "));
    assert_eq!(
        commands(&t),
        vec![AdminCommand::Decide {
            subject,
            verdict: Verdict::Reject {
                reason: Some("Photos are missing".into())
            }
        }]
    );
    let t = step(&waiting, &ctx(true), event("/skip"));
    assert_eq!(
        commands(&t),
        vec![AdminCommand::Decide {
            subject,
            verdict: Verdict::Reject { reason: None }
        }]
    );
    let t = step(
        &waiting,
        &ctx(true),
        event(&"x".repeat(REASON_MAX_CHARS + 1)),
    );
    assert!(commands(&t).is_empty());
    assert_eq!(t.next, waiting, "a too long reason is asked again");
    let t = step(&waiting, &ctx(true), event("/cancel"));
    assert!(commands(&t).is_empty());
    assert_eq!(t.next, AdminState::Menu);
}

#[test]
fn approve_decides_at_once_and_the_card_flips_to_the_other_button() {
    let subject = Subject::Application(7);
    let t = step(
        &AdminState::Menu,
        &ctx(true),
        press(Callback::Moderate {
            subject,
            approve: true,
        }),
    );
    assert_eq!(
        commands(&t),
        vec![AdminCommand::Decide {
            subject,
            verdict: Verdict::Approve
        }]
    );
    let card = Card::Application(ApplicationCard {
        partner: 7,
        company: "Tom & <Jerry>".into(),
        contact: "Tom".into(),
        phone: Some("+79990000000".into()),
        city: "Moscow".into(),
        category: "Cafe".into(),
        status: "approved".into(),
        reason: None,
        submitted_at_unix_s: 0,
    });
    let t = step(
        &AdminState::Menu,
        &ctx(true),
        AdminEvent::Decided {
            verdict_approve: true,
            outcome: Decided::Done {
                previous: "pending".into(),
            },
            card: Some(card),
        },
    );
    let Effect::Edit(edited) = &t.effects[0] else {
        panic!("the card is edited: {:?}", t.effects)
    };
    assert!(
        edited.html.contains("Tom &amp; &lt;Jerry&gt;"),
        "{}",
        edited.html
    );
    let Keyboard::Inline(rows) = &edited.keyboard else {
        panic!("buttons")
    };
    assert_eq!(
        rows,
        &vec![vec![crate::chat::InlineButton {
            text: render(Lang::En, &AdminText::BtnReject),
            data: Callback::Moderate {
                subject,
                approve: false
            }
            .encode(),
        }]]
    );
}

#[test]
fn a_rate_change_needs_a_value_within_bounds_and_the_confirm_of_the_same_screen() {
    let partner = PartnerRow {
        id: 3,
        company: "Cafe".into(),
        status: "approved".into(),
        rate: CashbackRate::DEFAULT,
        telegram_id: 333,
        lang: Lang::Ru,
    };
    let t = step(&AdminState::Menu, &ctx(true), event("/rate caf"));
    assert_eq!(
        commands(&t),
        vec![AdminCommand::FindPartners {
            query: "caf".into()
        }]
    );
    let t = step(
        &t.next,
        &ctx(true),
        AdminEvent::Partners(vec![partner.clone()]),
    );
    let asking = t.next.clone();
    assert_eq!(
        asking,
        AdminState::RateAskValue {
            partner: partner.clone()
        }
    );
    for bad in ["0.5", "31", "abc", "7.555"] {
        let t = step(&asking, &ctx(true), event(bad));
        assert_eq!(t.next, asking, "{bad}");
    }
    let t = step(&asking, &ctx(true), event("7,5"));
    let AdminState::RateConfirm { draft, rate, .. } = t.next.clone() else {
        panic!("{:?}", t.next)
    };
    assert_eq!(rate.basis_points(), 750);
    let confirm = t.next.clone();
    let forged = DraftId::parse(&"b".repeat(32)).expect("draft");
    let t = step(
        &confirm,
        &ctx(true),
        press(Callback::AdminConfirm {
            draft: forged,
            confirm: true,
        }),
    );
    assert!(
        commands(&t).is_empty(),
        "another screen's Confirm does nothing"
    );
    let t = step(
        &confirm,
        &ctx(true),
        press(Callback::AdminConfirm {
            draft,
            confirm: true,
        }),
    );
    assert_eq!(
        commands(&t),
        vec![AdminCommand::SetRate { partner: 3, rate }]
    );
    let t = step(
        &t.next,
        &ctx(true),
        AdminEvent::RateChanged(RateChanged::Done {
            previous: CashbackRate::DEFAULT,
        }),
    );
    assert_eq!(t.next, AdminState::Menu);
    assert!(t.effects.iter().any(|e| matches!(e,
        Effect::Notify { bot: BotKind::Partner, chat_id: 333, reply } if reply.html.contains("7,5"))),
        "the partner is told in Russian: {:?}", t.effects);
}

#[test]
fn a_reversal_shows_the_operation_asks_a_reason_and_tells_the_client() {
    let op = OperationCard {
        id: 10,
        kind: "accrual".into(),
        member_code: "AB12CD".into(),
        client_chat: Some(77),
        client_lang: Lang::En,
        company: Some("Cafe".into()),
        points: 50,
        receipt_kopecks: Some(100_000),
        date: "29.11.2026 10:00".into(),
        reversed_by: None,
    };
    let t = step(&AdminState::Menu, &ctx(true), event("/reverse #10"));
    assert_eq!(commands(&t), vec![AdminCommand::FindOperation { id: 10 }]);
    let t = step(&AdminState::Menu, &ctx(true), event("/reverse ten"));
    assert!(commands(&t).is_empty());
    let t = step(
        &AdminState::ReverseAskOperation,
        &ctx(true),
        AdminEvent::Operation(Some(op.clone())),
    );
    assert_eq!(
        t.next,
        AdminState::ReverseAskReason {
            operation: op.clone()
        }
    );
    let t = step(&t.next, &ctx(true), event("Duplicate receipt <b>"));
    let AdminState::ReverseConfirm { draft, .. } = t.next.clone() else {
        panic!("{:?}", t.next)
    };
    let t = step(
        &t.next,
        &ctx(true),
        press(Callback::AdminConfirm {
            draft: draft.clone(),
            confirm: true,
        }),
    );
    assert_eq!(
        commands(&t),
        vec![AdminCommand::Reverse {
            operation: 10,
            reason: "Duplicate receipt <b>".into(),
            draft
        }]
    );
    let t = step(
        &t.next,
        &ctx(true),
        AdminEvent::Reversed(Reversed::Done {
            reversal: 11,
            balance: 50,
        }),
    );
    let all = texts(&t);
    assert!(
        all.contains("[notify]") && all.contains("−50") && all.contains("&lt;b&gt;"),
        "{all}"
    );
    let reversed = OperationCard {
        reversed_by: Some(11),
        ..op
    };
    let t = step(
        &AdminState::ReverseAskOperation,
        &ctx(true),
        AdminEvent::Operation(Some(reversed)),
    );
    assert_eq!(t.next, AdminState::Menu, "an operation is reversed once");
}
