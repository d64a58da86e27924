//! The partner's back office end to end through the sandbox: the application and its admin notices (once, across a
//! restart and a re-run of the same update), a re-application after a rejection, authorization on every press,
//! promotions, services, the invitation photo and settings.

use std::time::Duration;

use actors::outgoing::OutgoingMessage;
use fsm::callback::Callback;
use fsm::chat::{Sender, UserInput};
use fsm::partner::ApplicationForm;
use fsm::text::{OfficeText, PartnerText, escape};
use fsm::{BotKind, Lang, Phone};
use serde_json::Value;

use crate::app::{TestApp, inline_button};
use crate::helpers::{connect, dialogue_env, ru};

/// Promotions, services, the invitation and settings (the partner's own back office, once approved).
mod sections;

const PARTNER: i64 = loyalty::server::DEMO_PARTNER_ID;
const COMPANY: &str = "Кофейня «Зерно»";
pub(crate) const ADMINS: [i64; 2] = [3001, 3002];
const CATEGORY: &str = "Кафе и рестораны";

/// One user's chat with one bot, counting the bot's messages as they come.
pub(crate) struct Chat<'a> {
    app: &'a TestApp,
    bot: &'static str,
    user: i64,
    pub(crate) seen: usize,
}

impl<'a> Chat<'a> {
    pub(crate) fn new(app: &'a TestApp, bot: &'static str, user: i64) -> Chat<'a> {
        Chat {
            app,
            bot,
            user,
            seen: 0,
        }
    }

    /// The bot's next message.
    pub(crate) async fn next(&mut self) -> Value {
        self.seen += 1;
        self.app.bot_messages(self.bot, self.user, self.seen).await[self.seen - 1].clone()
    }

    pub(crate) async fn next_text(&mut self) -> String {
        self.next().await["text"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Sends `text` and returns the bot's answer (its next message).
    pub(crate) async fn say(&mut self, text: &str) -> String {
        self.app.send(self.bot, self.user, text).await;
        self.next_text().await
    }

    pub(crate) async fn press(&self, message: &Value, data: &str) {
        let id = message["message_id"].as_i64().expect("message id");
        self.app.press(self.bot, self.user, id, data).await;
    }

    /// Waits until the message `message` was edited into `expected`.
    pub(crate) async fn edited(&self, message: &Value, expected: &str) {
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
    pub(crate) async fn quiet(&self) {
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

pub(crate) fn with_admins(s: &mut loyalty::config::Settings) {
    s.telegram.admin_ids = ADMINS.to_vec();
    // A whole application in a few seconds is faster than a person types: above the per-user flood limit.
    s.telegram.updates_per_user_per_s = 100;
    s.telegram.updates_burst_per_user = 100;
    s.sessions.partner_cache_ms = 0;
}

pub(crate) fn form(user: i64) -> ApplicationForm {
    ApplicationForm {
        contact: "Иван Петров".into(),
        company: format!("Пекарня <{user}>"),
        phone: Some(Phone::parse(&format!("+7999000{user:04}")).expect("phone")),
        city: "Казань".into(),
        category: CATEGORY.into(),
    }
}

/// Walks an applicant through the questions to the summary; returns the summary message.
pub(crate) async fn fill_in(chat: &mut Chat<'_>, first: &str) -> Value {
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

    // The notice is the application's moderation card, with Approve / Reject.
    let partner: i64 = app
        .db
        .query_one("SELECT id FROM partners WHERE telegram_id = $1", &[&user])
        .await
        .expect("partner")
        .get(0);
    let card = actors::moderation::application(&app.db, partner)
        .await
        .expect("card")
        .expect("stored");
    assert_eq!(
        (card.company.as_str(), card.status.as_str()),
        (form(user).company.as_str(), "pending")
    );
    let notice =
        fsm::admin::moderation::card_reply(Lang::Ru, &fsm::admin::Card::Application(card)).html;
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
    let env = dialogue_env(services, &ADMINS);
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
