//! The approved partner's sections: authorization of old and forged buttons, promotions, services, the invitation
//! photo and settings.

use fsm::callback::{Callback, ItemAction, PromoField, SettingField};
use fsm::text::{OfficeText, PartnerText};
use fsm::{CashbackRate, Points};

use super::{ADMINS, COMPANY, Chat, PARTNER, admin_notices, told, with_admins};
use crate::app::{TestApp, inline_button};
use crate::helpers::ru;

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
        // Answered below the pressed message, which keeps what it showed.
        assert_eq!(chat.next_text().await, ru(&OfficeText::NotFoundOrNotYours));
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
    let id: i64 = app
        .db
        .query_one("SELECT id FROM services WHERE title = 'Капучино'", &[])
        .await
        .expect("service")
        .get(0);
    let card = actors::moderation::service(&app.db, id)
        .await
        .expect("card")
        .expect("stored");
    assert_eq!((card.company.as_str(), card.price_points), (COMPANY, 150));
    let notice =
        fsm::admin::moderation::card_reply(fsm::Lang::Ru, &fsm::admin::Card::Service(card)).html;
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
