//! The partner's back office end to end through the sandbox: the application and its admin notices (once, across a
//! restart and a re-run of the same update), a re-application after a rejection, authorization on every press,
//! promotions, services, the invitation photo and settings.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use actors::dialogue::{DialogueEnv, OfficeSettings};
use actors::outgoing::OutgoingMessage;
use fsm::callback::{Callback, ItemAction, PromoField, SettingField};
use fsm::chat::{Sender, UserInput};
use fsm::partner::ApplicationForm;
use fsm::text::{OfficeText, PartnerText, escape};
use fsm::{BotKind, CashbackRate, Kopecks, Lang, Phone, Points};
use serde_json::Value;

use crate::app::{TestApp, inline_button};
use crate::helpers::{connect, ru};

const PARTNER: i64 = loyalty::server::DEMO_PARTNER_ID;
const COMPANY: &str = "Кофейня «Зерно»";
const ADMINS: [i64; 2] = [3001, 3002];
const CATEGORY: &str = "Кафе и рестораны";

/// One user's chat with one bot, counting the bot's messages as they come.
struct Chat<'a> {
    app: &'a TestApp,
    bot: &'static str,
    user: i64,
    seen: usize,
}

impl<'a> Chat<'a> {
    fn new(app: &'a TestApp, bot: &'static str, user: i64) -> Chat<'a> {
        Chat {
            app,
            bot,
            user,
            seen: 0,
        }
    }

    /// The bot's next message.
    async fn next(&mut self) -> Value {
        self.seen += 1;
        self.app.bot_messages(self.bot, self.user, self.seen).await[self.seen - 1].clone()
    }

    async fn next_text(&mut self) -> String {
        self.next().await["text"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Sends `text` and returns the bot's answer (its next message).
    async fn say(&mut self, text: &str) -> String {
        self.app.send(self.bot, self.user, text).await;
        self.next_text().await
    }

    async fn press(&self, message: &Value, data: &str) {
        let id = message["message_id"].as_i64().expect("message id");
        self.app.press(self.bot, self.user, id, data).await;
    }

    /// Waits until the message `message` was edited into `expected`.
    async fn edited(&self, message: &Value, expected: &str) {
        let n = self
            .app
            .chat(self.bot, self.user)
            .await
            .iter()
            .filter(|m| m["from"] == "bot")
            .position(|m| m["message_id"] == message["message_id"])
            .expect("message in chat");
        self.app
            .expect_nth(self.bot, self.user, n + 1, expected)
            .await;
    }

    /// No message beyond those seen, after a moment.
    async fn quiet(&self) {
        tokio::time::sleep(Duration::from_millis(400)).await;
        let now = self
            .app
            .chat(self.bot, self.user)
            .await
            .into_iter()
            .filter(|m| m["from"] == "bot")
            .count();
        assert_eq!(
            now, self.seen,
            "unexpected messages from the {} bot",
            self.bot
        );
    }
}

fn with_admins(s: &mut loyalty::config::Settings) {
    s.telegram.admin_ids = ADMINS.to_vec();
    // A whole application in a few seconds is faster than a person types: above the per-user flood limit.
    s.telegram.updates_per_user_per_s = 100;
    s.telegram.updates_burst_per_user = 100;
    s.sessions.partner_cache_ms = 0;
}

fn form(user: i64) -> ApplicationForm {
    ApplicationForm {
        contact: "Иван Петров".into(),
        company: format!("Пекарня <{user}>"),
        phone: Some(Phone::parse(&format!("+7999000{user:04}")).expect("phone")),
        city: "Казань".into(),
        category: CATEGORY.into(),
    }
}

/// Walks an applicant through the questions to the summary; returns the summary message.
async fn fill_in(chat: &mut Chat<'_>, first: &str) -> Value {
    let user = chat.user;
    let f = form(user);
    let welcome = chat.say(first).await;
    assert!(
        welcome.ends_with(&ru(&OfficeText::ApplyAskContact)),
        "{welcome}"
    );
    assert_eq!(chat.say(&f.contact).await, ru(&OfficeText::ApplyAskCompany));
    assert_eq!(chat.say(&f.company).await, ru(&OfficeText::ApplyAskPhone));
    let phone = f.phone.as_ref().expect("phone").as_str().to_owned();
    // Someone else's card is refused: the phone must be the applicant's own.
    chat.app.share_contact("partner", user, &phone, 777).await;
    assert_eq!(chat.next_text().await, ru(&OfficeText::ApplyContactNotOwn));
    chat.app.share_contact("partner", user, &phone, user).await;
    assert_eq!(chat.next_text().await, ru(&OfficeText::ApplyAskCity));
    assert_eq!(chat.say(&f.city).await, ru(&OfficeText::ApplyAskCategory));
    assert_eq!(
        chat.say("Космодром").await,
        ru(&OfficeText::ApplyPickCategory)
    );
    assert_eq!(chat.say(CATEGORY).await, ru(&OfficeText::ApplyCheck));
    let summary = chat.next().await;
    let expected = ru(&OfficeText::ApplySummary {
        contact: &f.contact,
        company: &escape(&f.company),
        phone: &phone,
        city: &f.city,
        category: CATEGORY,
    });
    assert_eq!(summary["text"], expected.as_str());
    summary
}

async fn count(app: &TestApp, sql: &str, user: i64) -> i64 {
    app.db.query_one(sql, &[&user]).await.expect("count").get(0)
}

/// Waits until the admin bot sent `n` messages to `admin`.
async fn told(app: &TestApp, admin: i64, n: usize) {
    let what = format!("{n} notices to admin {admin}");
    crate::helpers::eventually(Duration::from_secs(15), &what, || async {
        (admin_notices(app, admin).await.len() >= n).then_some(())
    })
    .await;
}

async fn admin_notices(app: &TestApp, admin: i64) -> Vec<String> {
    app.chat("admin", admin)
        .await
        .into_iter()
        .filter(|m| m["from"] == "bot")
        .map(|m| m["text"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[actix_rt::test]
async fn an_application_is_pending_and_every_admin_is_told_once_even_after_a_restart() {
    let app = TestApp::spawn_with(with_admins).await;
    let user = 5001;
    let mut chat = Chat::new(&app, "partner", user);
    let summary = fill_in(&mut chat, "/start").await;
    let submit = inline_button(&summary, 0);
    chat.press(&summary, &submit).await;
    chat.edited(&summary, &ru(&OfficeText::ApplySubmitted))
        .await;
    assert_eq!(chat.next_text().await, ru(&PartnerText::ApplicationPending));
    // A double tap on Submit: the applicant is pending now and only sees that; nothing is written or sent again.
    chat.press(&summary, &submit).await;
    assert_eq!(chat.next_text().await, ru(&PartnerText::ApplicationPending));

    let notice = fsm::partner::onboarding::admin_notice(Lang::Ru, &form(user));
    for admin in ADMINS {
        told(&app, admin, 1).await;
        assert_eq!(admin_notices(&app, admin).await, vec![notice.clone()]);
    }
    let events =
        "SELECT count(*) FROM partner_application_events e JOIN partners p ON p.id = e.partner_id
                  WHERE p.telegram_id = $1";
    assert_eq!(count(&app, events, user).await, 1);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM partners WHERE telegram_id = $1 AND status = 'pending'",
            user
        )
        .await,
        1
    );
    assert_eq!(
        app.count("SELECT count(*) FROM admin_notifications").await,
        2
    );

    // A restart on the same database and Redis: the applicant sees the status, and no admin is told again.
    let settings = app.settings.clone();
    app.running.shutdown().await;
    let again = loyalty::server::start(settings.clone(), true)
        .await
        .expect("restarts");
    let app = TestApp {
        base: format!("http://{}", again.addr),
        running: again,
        http: reqwest::Client::new(),
        db: connect(settings.database.url.expose()).await,
        settings,
    };
    let mut chat = Chat::new(&app, "partner", user);
    assert_eq!(
        chat.say("/start").await,
        ru(&PartnerText::ApplicationPending)
    );
    assert_eq!(
        chat.say(&ru(&PartnerText::BtnPromos)).await,
        ru(&PartnerText::ApplicationPending)
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    for admin in ADMINS {
        assert!(
            admin_notices(&app, admin).await.is_empty(),
            "admin {admin} told again"
        );
    }
    assert_eq!(count(&app, events, user).await, 1);
}

#[actix_rt::test]
async fn a_submit_run_again_after_a_crash_finds_its_application_and_notifies_then() {
    let app = TestApp::spawn_with(with_admins).await;
    let user = 5002;
    let mut chat = Chat::new(&app, "partner", user);
    let summary = fill_in(&mut chat, "hello").await;
    let (_, state) = app.session("partner", user).await;
    let services = &app.running.services;
    let env = DialogueEnv {
        pg: services.pg.clone(),
        ledger: services.ledger.clone(),
        welcome_bonus: Points::new(100).expect("points"),
        receipt_max: Kopecks::DEFAULT_RECEIPT_MAX,
        partners: Arc::new(actors::db::partner_cache::PartnerCache::new(Duration::ZERO)),
        admin_ids: Arc::new(ADMINS.into_iter().collect::<HashSet<_>>()),
        office: Arc::new(OfficeSettings::default()),
    };
    let sender = Sender {
        user_id: user,
        chat_id: user,
        first_name: "Иван".into(),
        lang: Lang::Ru,
    };
    let press = UserInput::Callback {
        data: inline_button(&summary, 0),
    };
    let message = summary["message_id"].as_i64().map(|id| id as i32);
    // Twice from the same stored state: the first run's replies were never committed (a crash), the second must
    // notify all the same, and the database holds one application.
    for run in 0..2 {
        let out = actors::dialogue::run(
            &env,
            BotKind::Partner,
            &sender,
            press.clone(),
            message,
            state.as_deref(),
        )
        .await
        .expect("runs");
        let told: Vec<i64> = out
            .outgoing
            .iter()
            .filter(|o| o.bot == BotKind::Admin && matches!(o.message, OutgoingMessage::Send(_)))
            .map(|o| o.chat_id)
            .collect();
        assert_eq!(told, ADMINS.to_vec(), "run {run}");
    }
    let events =
        "SELECT count(*) FROM partner_application_events e JOIN partners p ON p.id = e.partner_id
                  WHERE p.telegram_id = $1";
    assert_eq!(count(&app, events, user).await, 1);
    assert_eq!(
        app.count("SELECT count(*) FROM admin_notifications").await,
        2
    );
}

#[actix_rt::test]
async fn a_rejected_applicant_sees_the_reason_and_may_apply_again() {
    let app = TestApp::spawn_with(with_admins).await;
    let user = 5003;
    let mut chat = Chat::new(&app, "partner", user);
    let summary = fill_in(&mut chat, "/start").await;
    chat.press(&summary, &inline_button(&summary, 0)).await;
    assert_eq!(chat.next_text().await, ru(&PartnerText::ApplicationPending));
    app.db
        .execute(
            "WITH p AS (UPDATE partners SET status = 'rejected' WHERE telegram_id = $1 RETURNING id)
             INSERT INTO partner_application_events (partner_id, status, reason, decided_by)
             SELECT id, 'rejected', 'Нет документов & печати', 3001 FROM p",
            &[&user],
        )
        .await
        .expect("reject");
    chat.app.send("partner", user, "/start").await;
    let status = chat.next().await;
    assert_eq!(
        status["text"],
        ru(&OfficeText::RejectedBecause {
            reason: &escape("Нет документов & печати")
        })
        .as_str()
    );
    // The reapply button starts the same questions; submitting puts the row back to pending with a new event.
    chat.press(&status, &Callback::Reapply.encode()).await;
    let welcome = chat.next_text().await;
    assert!(
        welcome.ends_with(&ru(&OfficeText::ApplyAskContact)),
        "{welcome}"
    );
    let f = form(user);
    assert_eq!(chat.say(&f.contact).await, ru(&OfficeText::ApplyAskCompany));
    assert_eq!(chat.say("Пекарня №2").await, ru(&OfficeText::ApplyAskPhone));
    let phone = f.phone.as_ref().expect("phone").as_str().to_owned();
    chat.app.share_contact("partner", user, &phone, user).await;
    assert_eq!(chat.next_text().await, ru(&OfficeText::ApplyAskCity));
    assert_eq!(chat.say("Казань").await, ru(&OfficeText::ApplyAskCategory));
    assert_eq!(chat.say(CATEGORY).await, ru(&OfficeText::ApplyCheck));
    let summary = chat.next().await;
    chat.press(&summary, &inline_button(&summary, 0)).await;
    assert_eq!(chat.next_text().await, ru(&PartnerText::ApplicationPending));
    let row = app
        .db
        .query_one(
            "SELECT status, company_name, (SELECT count(*) FROM partner_application_events e WHERE e.partner_id = p.id)
             FROM partners p WHERE telegram_id = $1",
            &[&user],
        )
        .await
        .expect("row");
    assert_eq!(row.get::<_, &str>(0), "pending");
    assert_eq!(row.get::<_, &str>(1), "Пекарня №2");
    assert_eq!(row.get::<_, i64>(2), 3, "pending, rejected, pending");
    told(&app, 3001, 2).await;
}

#[actix_rt::test]
async fn a_pending_partner_pressing_old_buttons_gets_the_status_and_nothing_changes() {
    let app = TestApp::spawn_with(with_admins).await;
    let mut chat = Chat::new(&app, "partner", PARTNER);
    // While approved: a promotion of its own.
    let own = create_promo(&app, PARTNER, "Старая акция").await;
    app.db
        .execute(
            "UPDATE partners SET status = 'pending' WHERE telegram_id = $1",
            &[&PARTNER],
        )
        .await
        .expect("pending");
    let pending = ru(&PartnerText::ApplicationPending);
    assert_eq!(chat.say(&ru(&PartnerText::BtnPromos)).await, pending);
    assert_eq!(chat.say("/settings").await, pending);
    app.press(
        "partner",
        PARTNER,
        1,
        &Callback::Promo {
            id: own,
            action: ItemAction::DeleteYes,
        }
        .encode(),
    )
    .await;
    assert_eq!(chat.next_text().await, pending);
    chat.quiet().await;
    assert_eq!(app.count("SELECT count(*) FROM promotions").await, 1);
}

/// A promotion of the partner with Telegram id `telegram_id`, written directly; its id.
async fn create_promo(app: &TestApp, telegram_id: i64, title: &str) -> i64 {
    app.db
        .query_one(
            "INSERT INTO promotions (partner_id, title, description, discount_text, starts_on, ends_on)
             SELECT id, $2, 'Описание', '−10 %', current_date, current_date + 30 FROM partners WHERE telegram_id = $1
             RETURNING id",
            &[&telegram_id, &title],
        )
        .await
        .expect("promotion")
        .get(0)
}

/// A date `days` from today in Moscow, as a partner types it (Postgres does the calendar arithmetic).
async fn date_text(app: &TestApp, days: i32) -> String {
    app.db
        .query_one(
            "SELECT to_char((now() AT TIME ZONE 'Europe/Moscow')::date + $1::int, 'DD.MM.YYYY')",
            &[&days],
        )
        .await
        .expect("date")
        .get(0)
}

#[actix_rt::test]
async fn promotions_are_created_listed_edited_and_deleted_and_a_forged_button_changes_nothing() {
    let app = TestApp::spawn_with(with_admins).await;
    let mut chat = Chat::new(&app, "partner", PARTNER);
    app.send("partner", PARTNER, "/promos").await;
    let list = chat.next().await;
    assert_eq!(
        list["text"],
        format!(
            "{}\n\n{}",
            ru(&OfficeText::PromosTitle),
            ru(&OfficeText::PromosNone)
        )
        .as_str()
    );
    chat.press(&list, &inline_button(&list, 0)).await;
    assert_eq!(chat.next_text().await, ru(&OfficeText::PromoAskTitle));
    assert_eq!(
        chat.say("Ск").await,
        ru(&OfficeText::TextLength { min: 3, max: 100 })
    );
    assert_eq!(
        chat.say("Скидка дня").await,
        ru(&OfficeText::PromoAskDescription)
    );
    assert_eq!(
        chat.say("Всё меню").await,
        ru(&OfficeText::PromoAskDiscount)
    );
    assert_eq!(chat.say("−20 %").await, ru(&OfficeText::PromoAskStarts));
    assert_eq!(chat.say("31.02.2027").await, ru(&OfficeText::DateInvalid));
    assert_eq!(
        chat.say(&date_text(&app, -3).await).await,
        ru(&OfficeText::PromoAskEnds)
    );
    // Ending yesterday: refused, nothing stored.
    assert_eq!(
        chat.say(&date_text(&app, -1).await).await,
        ru(&OfficeText::PromoEndsInPast)
    );
    assert_eq!(app.count("SELECT count(*) FROM promotions").await, 0);
    assert_eq!(
        chat.say(&date_text(&app, 0).await).await,
        ru(&OfficeText::PromoCreated)
    );
    chat.next().await; // the menu
    assert_eq!(
        app.count("SELECT count(*) FROM promotions WHERE title = 'Скидка дня'")
            .await,
        1
    );

    // Listed, opened, a field edited.
    app.send("partner", PARTNER, &ru(&PartnerText::BtnPromos))
        .await;
    let list = chat.next().await;
    chat.press(&list, &inline_button(&list, 0)).await;
    let card = chat.next().await;
    assert!(
        card["text"]
            .as_str()
            .unwrap_or_default()
            .contains("Скидка дня"),
        "{card}"
    );
    let id: i64 = app
        .db
        .query_one("SELECT id FROM promotions", &[])
        .await
        .expect("id")
        .get(0);
    let edit = Callback::Promo {
        id,
        action: ItemAction::Edit(PromoField::Title),
    }
    .encode();
    chat.press(&card, &edit).await;
    assert_eq!(chat.next_text().await, ru(&OfficeText::PromoAskTitle));
    assert_eq!(chat.say("Счастливые часы").await, ru(&OfficeText::Saved));
    chat.next().await; // the menu
    assert_eq!(
        app.count("SELECT count(*) FROM promotions WHERE title = 'Счастливые часы'")
            .await,
        1
    );

    // Another partner's promotion, named by forged buttons: not found, not changed.
    actors::db::partners::upsert_approved_partner(&app.db, 1002, "Чужая кофейня", 500)
        .await
        .expect("partner");
    let foreign = create_promo(&app, 1002, "Чужая акция").await;
    for action in [
        ItemAction::View,
        ItemAction::DeleteYes,
        ItemAction::Edit(PromoField::Ends),
    ] {
        chat.press(
            &card,
            &Callback::Promo {
                id: foreign,
                action,
            }
            .encode(),
        )
        .await;
        if action == ItemAction::DeleteYes {
            chat.edited(&card, &ru(&OfficeText::NotFoundOrNotYours))
                .await;
        } else {
            assert_eq!(chat.next_text().await, ru(&OfficeText::NotFoundOrNotYours));
        }
    }
    assert_eq!(
        app.count("SELECT count(*) FROM promotions WHERE title = 'Чужая акция'")
            .await,
        1
    );

    // Deleted with confirmation.
    chat.press(
        &card,
        &Callback::Promo {
            id,
            action: ItemAction::Delete,
        }
        .encode(),
    )
    .await;
    let confirm = chat.next().await;
    assert_eq!(
        confirm["text"],
        ru(&OfficeText::ConfirmDelete {
            title: "Счастливые часы"
        })
        .as_str()
    );
    chat.press(&confirm, &inline_button(&confirm, 0)).await;
    chat.edited(&confirm, &ru(&OfficeText::Deleted)).await;
    assert_eq!(
        app.count(&format!("SELECT count(*) FROM promotions WHERE id = {id}"))
            .await,
        0
    );
}

#[actix_rt::test]
async fn a_service_is_pending_moderation_listed_with_its_status_and_each_admin_told_once() {
    let app = TestApp::spawn_with(with_admins).await;
    let mut chat = Chat::new(&app, "partner", PARTNER);
    let list = {
        app.send("partner", PARTNER, "/services").await;
        chat.next().await
    };
    chat.press(&list, &Callback::ServiceNew.encode()).await;
    assert_eq!(chat.next_text().await, ru(&OfficeText::ServiceAskTitle));
    assert_eq!(
        chat.say("Капучино").await,
        ru(&OfficeText::ServiceAskDescription)
    );
    assert_eq!(
        chat.say("Большой, 400 мл").await,
        ru(&OfficeText::ServiceAskPrice)
    );
    assert_eq!(chat.say("0").await, ru(&OfficeText::PriceInvalid));
    assert_eq!(chat.say("150").await, ru(&OfficeText::ServiceCreated));
    chat.next().await; // the menu
    let notice = ru(&OfficeText::AdminNewService {
        company: COMPANY,
        title: "Капучино",
    });
    for admin in ADMINS {
        told(&app, admin, 1).await;
        assert_eq!(admin_notices(&app, admin).await, vec![notice.clone()]);
    }
    app.send("partner", PARTNER, "/services").await;
    let list = chat.next().await;
    let line = ru(&OfficeText::ServiceLine {
        title: "Капучино",
        price: Points::new(150).expect("points"),
        status: &ru(&OfficeText::StatusPending),
    });
    assert!(
        list["text"].as_str().unwrap_or_default().contains(&line),
        "{list}"
    );
    // Deleted (softly) with confirmation.
    chat.press(&list, &inline_button(&list, 0)).await;
    let card = chat.next().await;
    chat.press(&card, &inline_button(&card, 0)).await;
    let confirm = chat.next().await;
    chat.press(&confirm, &inline_button(&confirm, 0)).await;
    chat.edited(&confirm, &ru(&OfficeText::Deleted)).await;
    assert_eq!(
        app.count("SELECT count(*) FROM services WHERE deleted_at IS NOT NULL")
            .await,
        1
    );
}

#[actix_rt::test]
async fn invite_sends_a_qr_code_photo_whose_caption_has_the_deep_link() {
    let app = TestApp::spawn().await;
    let mut chat = Chat::new(&app, "partner", PARTNER);
    app.send("partner", PARTNER, "/invite").await;
    let photo = chat.next().await;
    let link = format!("https://t.me/loyalty_client_bot?start={}", app.referral());
    assert_eq!(
        photo["text"],
        ru(&OfficeText::Invite { link: &link }).as_str()
    );
    let url = photo["photo"].as_str().expect("sent as a photo");
    let png = app
        .http
        .get(format!("{}{url}", app.base))
        .send()
        .await
        .expect("sandbox")
        .bytes()
        .await
        .expect("bytes");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
}

#[actix_rt::test]
async fn settings_show_the_profile_and_edit_the_company_name() {
    let app = TestApp::spawn_with(with_admins).await;
    let mut chat = Chat::new(&app, "partner", PARTNER);
    app.send("partner", PARTNER, &ru(&PartnerText::BtnSettings))
        .await;
    let card = chat.next().await;
    let not_given = ru(&OfficeText::NotGiven);
    let expected = ru(&OfficeText::SettingsCard {
        company: COMPANY,
        contact: COMPANY,
        phone: &not_given,
        city: &not_given,
        category: &not_given,
        rate: CashbackRate::DEFAULT,
    });
    assert_eq!(card["text"], expected.as_str());
    chat.press(&card, &Callback::Setting(SettingField::Company).encode())
        .await;
    assert_eq!(chat.next_text().await, ru(&OfficeText::SettingsAskCompany));
    assert_eq!(
        chat.say("Кофейня «Зерно» на Тверской").await,
        ru(&OfficeText::Saved)
    );
    let card = chat.next_text().await;
    assert!(card.contains("Кофейня «Зерно» на Тверской"), "{card}");
    assert_eq!(
        chat.say("/menu").await,
        ru(&PartnerText::Menu {
            company: "Кофейня «Зерно» на Тверской"
        })
    );
}
