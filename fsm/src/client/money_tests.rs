//! Consent and NPS in the client bot as plain functions.

use super::consent::{ConsentCommand, ConsentEvent, ConsentParty, ConsentResult};
use super::nps::{NpsCommand, NpsEvent, NpsResult};
use super::*;
use crate::callback::{Callback, DraftId};
use crate::chat::{BotKind, Sender};
use crate::dialogue::Effect;
use crate::ids::OperationId;
use crate::money::Points;
use crate::text::PartnerText;

fn ctx() -> ClientCtx {
    ClientCtx {
        access: ClientAccess::Registered(ClientProfile {
            member_code: "K7M2QX".into(),
            balance: 150,
            phone_verified: true,
        }),
        lang: Lang::Ru,
    }
}

fn press(c: &Callback) -> ClientEvent {
    ClientEvent::User(UserEvent {
        sender: Sender {
            user_id: 42,
            chat_id: 42,
            first_name: "Anna".into(),
            lang: Lang::Ru,
        },
        input: UserInput::Callback { data: c.encode() },
        fresh_draft: DraftId::parse(&"0".repeat(32)).expect("draft"),
    })
}

fn party() -> ConsentParty {
    ConsentParty {
        company: "Кофейня".into(),
        partner_chat: 1001,
        partner_lang: Lang::En,
        client_label: "K7M2QX".into(),
        points: Points::new(40).expect("points"),
    }
}

#[test]
fn consent_and_rating_buttons_become_server_checked_commands() {
    let t = step(
        &ClientState::Menu,
        &ctx(),
        press(&Callback::Consent {
            request: 5,
            approve: true,
        }),
    );
    assert_eq!(
        t.effects,
        vec![Effect::Command(ClientCommand::Consent(
            ConsentCommand::Decide {
                request: 5,
                approve: true
            }
        ))]
    );
    let t = step(
        &ClientState::Menu,
        &ctx(),
        press(&Callback::Nps {
            operation: 9,
            rating: 10,
        }),
    );
    assert_eq!(
        t.effects,
        vec![Effect::Command(ClientCommand::Nps(NpsCommand::Rate {
            operation: 9,
            rating: 10
        }))]
    );
}

#[test]
fn an_approval_edits_the_request_tells_the_partner_and_asks_for_a_rating() {
    let t = step(
        &ClientState::Menu,
        &ctx(),
        ClientEvent::Consent(ConsentEvent::Decided(ConsentResult::Approved {
            party: party(),
            operation: OperationId(77),
            balance: 110,
        })),
    );
    let points = Points::new(40).expect("points");
    assert_eq!(
        t.effects[0],
        Effect::Edit(Reply::new(render(
            Lang::Ru,
            &ClientText::ConsentApproved {
                partner: "Кофейня",
                points,
                balance: 110
            }
        )))
    );
    assert_eq!(
        t.effects[1],
        Effect::Notify {
            bot: BotKind::Partner,
            chat_id: 1001,
            reply: Reply::new(render(
                Lang::En,
                &PartnerText::RedemptionDone {
                    client: "K7M2QX",
                    points,
                    balance: 110
                }
            )),
        }
    );
    assert_eq!(
        t.effects[2],
        Effect::Reply(nps::question(Lang::Ru, "Кофейня", OperationId(77)))
    );
}

#[test]
fn an_expiry_the_sweeper_announced_is_not_announced_to_the_partner_again() {
    let t = step(
        &ClientState::Menu,
        &ctx(),
        ClientEvent::Consent(ConsentEvent::Decided(ConsentResult::Expired {
            party: party(),
            notify_partner: false,
        })),
    );
    assert_eq!(t.effects.len(), 1);
    assert!(matches!(t.effects[0], Effect::Edit(_)));
}

#[test]
fn a_foreign_request_or_rating_changes_nothing_and_says_so() {
    for event in [
        ClientEvent::Consent(ConsentEvent::Decided(ConsentResult::NotYours)),
        ClientEvent::Nps(NpsEvent::Rated(NpsResult::NotYours)),
    ] {
        let t = step(&ClientState::Menu, &ctx(), event);
        assert_eq!(
            t.effects,
            vec![Effect::Reply(Reply::new(render(
                Lang::Ru,
                &CommonText::StaleButton
            )))]
        );
    }
}

#[test]
fn a_rating_turns_the_question_into_a_thank_you_and_a_second_is_answered() {
    let t = step(
        &ClientState::Menu,
        &ctx(),
        ClientEvent::Nps(NpsEvent::Rated(NpsResult::Rated { rating: 9 })),
    );
    assert_eq!(
        t.effects,
        vec![Effect::Edit(Reply::new(render(
            Lang::Ru,
            &ClientText::NpsThanks { rating: 9 }
        )))]
    );
    let t = step(
        &ClientState::Menu,
        &ctx(),
        ClientEvent::Nps(NpsEvent::Rated(NpsResult::AlreadyRated)),
    );
    assert!(matches!(&t.effects[..], [Effect::Reply(_)]));
}
