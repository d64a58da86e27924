//! Ledger keys never come from Telegram's ids (issue 12, item 5): Telegram re-randomises update ids after a week
//! without updates while our dedup mark lasts a day, so an id can come back for a new purchase.

use std::time::Duration;

use fsm::Points;
use fsm::text::PartnerText;
use serde_json::{Value, json};

use crate::app::{TestApp, WEBHOOK_SECRET, inline_button, text_update};
use crate::helpers::ru;

const PARTNER: i64 = loyalty::server::DEMO_PARTNER_ID;

fn press(update_id: i64, user: i64, message_id: i64, data: &str) -> Value {
    let person =
        json!({ "id": user, "is_bot": false, "first_name": "Анна", "language_code": "ru" });
    json!({ "update_id": update_id, "callback_query": {
        "id": format!("cb{update_id}"), "from": person, "chat_instance": "ci", "data": data,
        "message": { "message_id": message_id, "date": 1_700_000_000,
                     "chat": { "id": user, "type": "private", "first_name": "Анна" }, "text": "…" } } })
}

/// One accrual of 1,000.00 ₽ to `phone` through the webhook, with the update ids `first..first + 4`.
async fn accrue_with_ids(app: &TestApp, first: i64, phone: &str, balance_after: i64) {
    let before = app.bot_messages("partner", PARTNER, 0).await.len();
    for (id, text) in [(first, "/accrue"), (first + 1, phone), (first + 2, "1000")] {
        assert_eq!(
            app.webhook(
                "partner",
                &text_update(id, PARTNER, text),
                Some(WEBHOOK_SECRET)
            )
            .await,
            200
        );
    }
    let confirm = app.bot_messages("partner", PARTNER, before + 3).await[before + 2].clone();
    let message_id = confirm["message_id"].as_i64().expect("message id");
    let data = inline_button(&confirm, 0);
    assert_eq!(
        app.webhook(
            "partner",
            &press(first + 3, PARTNER, message_id, &data),
            Some(WEBHOOK_SECRET)
        )
        .await,
        200
    );
    app.expect_nth(
        "partner",
        PARTNER,
        before + 3,
        &ru(&PartnerText::Accrued {
            points: Points::new(50).expect("points"),
            balance: balance_after,
        }),
    )
    .await;
}

#[actix_rt::test]
async fn a_new_purchase_whose_update_ids_telegram_reused_is_a_new_operation() {
    let app = TestApp::spawn_with(|s| s.sessions.dedup_ttl_s = 1).await;
    let client = 7101;
    app.send("client", client, "/start").await;
    app.nth_text("client", client, 1).await;
    app.share_contact("client", client, "+79990007101", client)
        .await;
    app.nth_text("client", client, 2).await;
    accrue_with_ids(&app, 91_000_001, "+79990007101", 150).await;
    // The dedup marks expire; Telegram hands out the same ids again for the next purchase.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    accrue_with_ids(&app, 91_000_001, "+79990007101", 200).await;
    assert_eq!(
        app.count("SELECT count(*) FROM operations WHERE kind = 'accrual'")
            .await,
        2,
        "the second purchase is booked, not replayed"
    );
}
