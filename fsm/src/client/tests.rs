//! The client bot as plain functions. Texts are compared with the catalogue's rendering.

use proptest::prelude::*;

use super::*;
use crate::callback::{Callback, DraftId};
use crate::chat::Sender;
use crate::dialogue::Effect;

fn sender() -> Sender {
    Sender {
        user_id: 42,
        chat_id: 42,
        first_name: "Anna".into(),
        lang: Lang::Ru,
    }
}

fn user(input: UserInput) -> ClientEvent {
    ClientEvent::User(UserEvent {
        sender: sender(),
        input,
        fresh_draft: DraftId::parse(&"0".repeat(32)).expect("draft"),
    })
}

fn text(t: &str) -> UserInput {
    UserInput::from_text(t)
}

fn ctx(registered: bool, phone_verified: bool) -> ClientCtx {
    let access = if registered {
        ClientAccess::Registered(ClientProfile {
            member_code: "K7M2QX".into(),
            balance: 150,
            phone_verified,
        })
    } else {
        ClientAccess::Unregistered
    };
    ClientCtx {
        access,
        lang: Lang::Ru,
    }
}

fn join(c: JoinCommand) -> Vec<Effect<ClientCommand>> {
    vec![Effect::Command(ClientCommand::Join(c))]
}

#[test]
fn a_client_starts_from_a_partner_link_and_shares_their_own_phone() {
    let t = step(
        &ClientState::Menu,
        &ctx(false, false),
        user(text("/start p_abc-1")),
    );
    assert_eq!(
        t.effects,
        join(JoinCommand::Register {
            referral: Some("p_abc-1".into())
        })
    );
    let t = step(
        &ClientState::Menu,
        &ctx(false, false),
        user(text("/start <script>")),
    );
    assert_eq!(t.effects, join(JoinCommand::Register { referral: None }));
    let reg = Registration {
        created: true,
        bonus: Some(crate::money::Points::new(100).expect("points")),
        partner: Some("Кофейня".into()),
        phone_verified: false,
    };
    let t = step(
        &ClientState::Menu,
        &ctx(true, false),
        ClientEvent::Join(JoinEvent::Registered(reg)),
    );
    assert_eq!(t.next, ClientState::AwaitContact);
    let own = UserInput::Contact {
        phone: "+79991234567".into(),
        user_id: Some(42),
    };
    let t = step(&ClientState::AwaitContact, &ctx(true, false), user(own));
    assert!(matches!(
        &t.effects[..],
        [Effect::Command(ClientCommand::Join(JoinCommand::SaveContact { phone }))] if phone.as_str() == "+79991234567"
    ));
    for user_id in [Some(43), None] {
        let forwarded = UserInput::Contact {
            phone: "+79991234567".into(),
            user_id,
        };
        let t = step(
            &ClientState::AwaitContact,
            &ctx(true, false),
            user(forwarded),
        );
        assert_eq!(
            t.effects,
            vec![Effect::Reply(Reply::new(render(
                Lang::Ru,
                &ClientText::ContactNotOwn
            )))],
            "{user_id:?}"
        );
    }
}

#[test]
fn a_claimed_record_is_announced_with_its_balance_and_the_share_phone_button_goes() {
    let t = step(
        &ClientState::AwaitContact,
        &ctx(true, true),
        ClientEvent::Join(JoinEvent::Contact(ContactOutcome::Claimed)),
    );
    assert_eq!(t.next, ClientState::Menu);
    assert_eq!(
        t.effects,
        vec![Effect::Reply(Reply::with(
            render(Lang::Ru, &ClientText::Claimed { balance: 150 }),
            menu_keyboard(Lang::Ru, false)
        ))]
    );
}

#[test]
fn history_is_a_page_with_older_and_newer_buttons_and_a_press_edits_it() {
    use super::history::*;
    use crate::callback::HistoryCursor;
    let t = step(&ClientState::Menu, &ctx(true, true), user(text("/history")));
    assert_eq!(
        t.effects,
        vec![Effect::Command(ClientCommand::History(
            HistoryCommand::Page { cursor: None }
        ))]
    );
    let data = Callback::History(HistoryCursor::Before(7)).encode();
    let t = step(
        &ClientState::Menu,
        &ctx(true, true),
        user(UserInput::Callback { data }),
    );
    assert_eq!(
        t.effects,
        vec![Effect::Command(ClientCommand::History(
            HistoryCommand::Page {
                cursor: Some(HistoryCursor::Before(7))
            }
        ))]
    );
    let item = HistoryItem {
        operation: 1042,
        kind: HistoryKind::Accrual,
        points: 50,
        partner: Some("Кофейня".into()),
        receipt: crate::money::Kopecks::new(100_000),
        when: "29.11.2026 14:05".into(),
    };
    let page = HistoryPage {
        items: vec![item],
        older: Some(3),
        newer: Some(9),
    };
    let t = step(
        &ClientState::Menu,
        &ctx(true, true),
        ClientEvent::History(HistoryEvent::Page {
            page: page.clone(),
            edit: true,
        }),
    );
    let [Effect::Edit(r)] = &t.effects[..] else {
        panic!("{:?}", t.effects)
    };
    assert!(r.html.contains("<b>+50</b>"), "{}", r.html);
    assert!(
        r.html.contains("#1042"),
        "the operation's number for a dispute: {}",
        r.html
    );
    let Keyboard::Inline(rows) = &r.keyboard else {
        panic!("{:?}", r.keyboard)
    };
    let data: Vec<&str> = rows[0].iter().map(|b| b.data.as_str()).collect();
    assert_eq!(data, ["1:his:o:3", "1:his:n:9"]);
    let t = step(
        &ClientState::Menu,
        &ctx(true, true),
        ClientEvent::History(HistoryEvent::NotYours),
    );
    assert_eq!(
        t.effects,
        vec![Effect::Reply(Reply::new(render(
            Lang::Ru,
            &CommonText::StaleButton
        )))]
    );
}

#[test]
fn a_service_is_requested_through_a_confirm_screen_and_the_partner_gets_accept_and_decline() {
    use super::offers::ServiceItem;
    use super::service_request::*;
    let draft = DraftId::parse(&"0".repeat(32)).expect("draft");
    let pick = Callback::ServicePick { service: 7 }.encode();
    let t = step(
        &ClientState::Menu,
        &ctx(true, true),
        user(UserInput::Callback { data: pick }),
    );
    assert_eq!(
        t.effects,
        vec![Effect::Command(ClientCommand::ServiceRequest(
            ServiceRequestCommand::Show {
                service: 7,
                draft: draft.clone()
            }
        ))]
    );
    let item = ServiceItem {
        id: 7,
        partner: "Кофейня".into(),
        title: "Кофе".into(),
        price: 80,
    };
    let t = step(
        &ClientState::Menu,
        &ctx(true, true),
        ClientEvent::ServiceRequest(ServiceRequestEvent::Shown {
            item: item.clone(),
            balance: 150,
            draft: draft.clone(),
        }),
    );
    let [Effect::Reply(r)] = &t.effects[..] else {
        panic!("{:?}", t.effects)
    };
    let Keyboard::Inline(rows) = &r.keyboard else {
        panic!("{:?}", r.keyboard)
    };
    let confirm = rows[0][0].data.clone();
    let cancel = rows[0][1].data.clone();
    let t = step(
        &ClientState::Menu,
        &ctx(true, true),
        user(UserInput::Callback { data: confirm }),
    );
    assert_eq!(
        t.effects,
        vec![Effect::Command(ClientCommand::ServiceRequest(
            ServiceRequestCommand::Request { service: 7, draft }
        ))]
    );
    let t = step(
        &ClientState::Menu,
        &ctx(true, true),
        user(UserInput::Callback { data: cancel }),
    );
    assert_eq!(
        t.effects,
        vec![Effect::Edit(Reply::new(render(
            Lang::Ru,
            &ClientText::ServiceRequestCancelled
        )))]
    );
    let notice = PartnerNotice {
        request: 5,
        partner_chat: 900,
        partner_lang: Lang::En,
        client_label: "K7M2QX".into(),
    };
    let t = step(
        &ClientState::Menu,
        &ctx(true, true),
        ClientEvent::ServiceRequest(ServiceRequestEvent::Requested {
            item,
            notice: Some(notice),
        }),
    );
    let [
        Effect::Edit(_),
        Effect::Notify {
            bot,
            chat_id,
            reply,
        },
    ] = &t.effects[..]
    else {
        panic!("{:?}", t.effects)
    };
    assert_eq!((*bot, *chat_id), (crate::chat::BotKind::Partner, 900));
    let Keyboard::Inline(rows) = &reply.keyboard else {
        panic!("{:?}", reply.keyboard)
    };
    let data: Vec<&str> = rows[0].iter().map(|b| b.data.as_str()).collect();
    assert_eq!(data, ["1:svd:ok:5", "1:svd:no:5"]);
}

#[test]
fn code_comes_with_its_qr() {
    let t = step(&ClientState::Menu, &ctx(true, true), user(text("/code")));
    let [Effect::Reply(r)] = &t.effects[..] else {
        panic!("{:?}", t.effects)
    };
    assert_eq!(r.photo, Some(crate::chat::Photo::Qr("K7M2QX".into())));
    assert_eq!(
        r.html,
        render(Lang::Ru, &ClientText::MemberCode { code: "K7M2QX" })
    );
}

#[test]
fn balance_is_shown_only_to_registered_clients() {
    let t = step(&ClientState::Menu, &ctx(true, true), user(text("/balance")));
    let balance = render(
        Lang::Ru,
        &ClientText::Balance {
            balance: 150,
            code: "K7M2QX",
        },
    );
    assert_eq!(
        t.effects,
        vec![Effect::Reply(Reply::with(
            balance,
            menu_keyboard(Lang::Ru, false)
        ))]
    );
    let t = step(
        &ClientState::Menu,
        &ctx(false, false),
        user(text("/balance")),
    );
    assert_eq!(
        t.effects,
        vec![Effect::Reply(Reply::with(
            render(Lang::Ru, &ClientText::NotRegistered),
            Keyboard::Remove
        ))]
    );
}

#[test]
fn the_share_phone_button_comes_back_with_every_menu_reply_until_the_phone_is_shared() {
    let share = ReplyButton::RequestContact(render(Lang::Ru, &ClientText::BtnShareContact));
    for input in ["/balance", "/code", "/menu", "/help", "hello"] {
        let t = step(&ClientState::Menu, &ctx(true, false), user(text(input)));
        let [Effect::Reply(r)] = &t.effects[..] else {
            panic!("{input}: {:?}", t.effects)
        };
        let Keyboard::Reply(rows) = &r.keyboard else {
            panic!("{input}: no reply keyboard")
        };
        assert!(rows.iter().flatten().any(|b| *b == share), "{input}");
        let t = step(&ClientState::Menu, &ctx(true, true), user(text(input)));
        let [Effect::Reply(r)] = &t.effects[..] else {
            panic!("{input}")
        };
        assert_eq!(r.keyboard, menu_keyboard(Lang::Ru, false), "{input}");
    }
}

#[test]
fn a_language_button_resends_the_menu_keyboard_in_the_new_language() {
    let press = UserInput::Callback {
        data: Callback::Language(Lang::En).encode(),
    };
    let t = step(&ClientState::Menu, &ctx(true, true), user(press));
    assert_eq!(t.effects[0], Effect::SetLanguage(Lang::En));
    assert_eq!(
        t.effects[1],
        Effect::Edit(Reply::new(render(Lang::En, &CommonText::LanguageSet)))
    );
    assert_eq!(
        t.effects[2],
        Effect::Reply(Reply::with(
            render(Lang::En, &CommonText::BackToMenu),
            menu_keyboard(Lang::En, false)
        ))
    );
}

#[test]
fn someone_not_registered_gets_no_menu_keyboard_and_every_listed_command_is_built() {
    for input in ["/help", "/language ru"] {
        let t = step(&ClientState::Menu, &ctx(false, false), user(text(input)));
        let keyboards: Vec<&Keyboard> = t
            .effects
            .iter()
            .filter_map(|e| match e {
                Effect::Reply(r) => Some(&r.keyboard),
                _ => None,
            })
            .collect();
        assert!(
            keyboards
                .iter()
                .all(|k| matches!(k, Keyboard::Remove | Keyboard::Keep | Keyboard::Inline(_))),
            "{input}: {keyboards:?}"
        );
    }
    // The client bot's "/" menu (`text::client::COMMANDS`).
    for name in [
        "balance", "history", "code", "promos", "services", "language", "cancel", "help",
    ] {
        let t = step(
            &ClientState::Menu,
            &ctx(true, true),
            user(text(&format!("/{name}"))),
        );
        let not_yet = Effect::Reply(Reply::with(
            render(Lang::Ru, &CommonText::NotYet),
            menu_keyboard(Lang::Ru, false),
        ));
        assert!(!t.effects.contains(&not_yet), "/{name}");
    }
}

#[test]
fn services_list_the_affordable_ones_first() {
    use super::offers::*;
    let item = |id, price| ServiceItem {
        id,
        partner: "Кофейня".into(),
        title: format!("Услуга {id}"),
        price,
    };
    let t = step(
        &ClientState::Menu,
        &ctx(true, true),
        ClientEvent::Offers(OffersEvent::Services {
            balance: 150,
            items: vec![item(1, 100), item(2, 150), item(3, 500)],
        }),
    );
    let [Effect::Reply(r)] = &t.effects[..] else {
        panic!("{:?}", t.effects)
    };
    let affordable = r.html.find("Хватает").expect("affordable heading");
    let saving = r.html.find("Копим").expect("saving heading");
    let (one, two, three) = (
        r.html.find("Услуга 1").expect("1"),
        r.html.find("Услуга 2").expect("2"),
        r.html.find("Услуга 3").expect("3"),
    );
    assert!(
        affordable < one && one < two && two < saving && saving < three,
        "{}",
        r.html
    );
}

fn any_input() -> impl Strategy<Value = UserInput> {
    prop_oneof![
        any::<String>().prop_map(|s| UserInput::from_text(&s)),
        "/[a-z_]{0,12}( .{0,70})?".prop_map(|s| UserInput::from_text(&s)),
        any::<String>().prop_map(|data| UserInput::Callback { data }),
        (any::<String>(), proptest::option::of(any::<i64>()))
            .prop_map(|(phone, user_id)| UserInput::Contact { phone, user_id }),
        Just(UserInput::Unsupported),
    ]
}

proptest! {
    #[test]
    fn any_input_in_any_client_state_gets_an_answer(registered in any::<bool>(), verified in any::<bool>(), await_contact in any::<bool>(), input in any_input()) {
        let state = if await_contact { ClientState::AwaitContact } else { ClientState::Menu };
        let t = step(&state, &ctx(registered, verified), user(input));
        prop_assert!(!t.effects.is_empty());
    }
}
