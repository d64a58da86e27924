//! The mainstream Rust peer the load harness measures the product against (`loyalty-load run --peer-bin`): the same
//! 4-step accrual dialogue (`/accrue` → phone → receipt amount → Confirm) written the way teloxide's documentation
//! teaches — `Dispatcher`, a `dialogue` in `RedisStorage` (JSON), handlers on `dptree`, Postgres through
//! deadpool-postgres with one transaction per accrual (an idempotency key, the wallet updated). It answers with the
//! product's Russian texts and button data shapes, so the harness's synthetic partners drive both alike.
//!
//! Configuration by environment: `PEER_TOKEN`, `PEER_API_URL` (the harness's Bot API, `http://127.0.0.1:port/tg`),
//! `PEER_REDIS_URL`, `PEER_PG_URL`.

use deadpool_postgres::{Manager, Pool};
use serde::{Deserialize, Serialize};
use teloxide::dispatching::UpdateHandler;
use teloxide::dispatching::dialogue::serializer::Json;
use teloxide::dispatching::dialogue::{self, RedisStorage};
use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup, ParseMode};

type Storage = RedisStorage<Json>;
type PeerDialogue = Dialogue<State, Storage>;
type HandlerResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

/// The product's texts (ru), so the harness reads both bots the same way.
const ASK_CLIENT: &str = "Введите телефон клиента (+7 999 123-45-67) или его код участника.";
const USE_BUTTONS: &str = "Нажмите кнопку под сообщением или /cancel.";

#[derive(Clone, Default, Serialize, Deserialize)]
pub enum State {
    #[default]
    Start,
    AwaitClient,
    AwaitAmount {
        phone: String,
    },
    Confirm {
        phone: String,
        points: i64,
        draft: String,
    },
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set"))
}

#[tokio::main]
async fn main() {
    let api: reqwest::Url = env("PEER_API_URL").parse().expect("PEER_API_URL");
    let bot = Bot::new(env("PEER_TOKEN")).set_api_url(api);
    let storage = RedisStorage::open(env("PEER_REDIS_URL").as_str(), Json)
        .await
        .expect("redis");
    let cfg: tokio_postgres::Config = env("PEER_PG_URL").parse().expect("PEER_PG_URL");
    let manager = Manager::new(cfg, tokio_postgres::NoTls);
    let pool = Pool::builder(manager).max_size(16).build().expect("pool");
    pool.get()
        .await
        .expect("postgres")
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS peer_wallets (phone text PRIMARY KEY, balance bigint NOT NULL DEFAULT 0);
             CREATE TABLE IF NOT EXISTS peer_accruals (key text PRIMARY KEY, phone text NOT NULL,
                 points bigint NOT NULL, created_at timestamptz NOT NULL DEFAULT now());",
        )
        .await
        .expect("tables");
    Dispatcher::builder(bot, schema())
        .dependencies(dptree::deps![storage, pool])
        .build()
        .dispatch()
        .await;
}

fn schema() -> UpdateHandler<Box<dyn std::error::Error + Send + Sync + 'static>> {
    use dptree::case;
    let messages = Update::filter_message()
        .branch(dptree::filter(|m: Message| m.text() == Some("/accrue")).endpoint(accrue))
        .branch(case![State::AwaitClient].endpoint(client))
        .branch(case![State::AwaitAmount { phone }].endpoint(amount))
        .branch(dptree::endpoint(other));
    let callbacks = Update::filter_callback_query().branch(
        case![State::Confirm {
            phone,
            points,
            draft
        }]
        .endpoint(confirm),
    );
    dialogue::enter::<Update, Storage, State, _>()
        .branch(messages)
        .branch(callbacks)
}

async fn accrue(bot: Bot, dialogue: PeerDialogue, msg: Message) -> HandlerResult {
    bot.send_message(msg.chat.id, ASK_CLIENT).await?;
    dialogue.update(State::AwaitClient).await?;
    Ok(())
}

async fn client(bot: Bot, dialogue: PeerDialogue, msg: Message, pool: Pool) -> HandlerResult {
    let phone = msg.text().unwrap_or_default().trim().to_string();
    let db = pool.get().await?;
    let balance: i64 = db
        .query_opt(
            "SELECT balance FROM peer_wallets WHERE phone = $1",
            &[&phone],
        )
        .await?
        .map_or(0, |r| r.get(0));
    bot.send_message(
        msg.chat.id,
        format!("Клиент: {phone}\nБаланс: <b>{balance}</b> баллов\n\nВведите сумму чека в рублях."),
    )
    .parse_mode(ParseMode::Html)
    .await?;
    dialogue.update(State::AwaitAmount { phone }).await?;
    Ok(())
}

/// Kopecks of "1234.56" (or "1234,56"), as the product reads a receipt.
fn kopecks(text: &str) -> Option<i64> {
    let text = text.trim().replace(',', ".");
    let (whole, frac) = text.split_once('.').unwrap_or((&text, "0"));
    if frac.len() > 2 {
        return None;
    }
    let frac: i64 = format!("{frac:0<2}").parse().ok()?;
    let k = whole
        .parse::<i64>()
        .ok()?
        .checked_mul(100)?
        .checked_add(frac)?;
    (k > 0).then_some(k)
}

async fn amount(bot: Bot, dialogue: PeerDialogue, phone: String, msg: Message) -> HandlerResult {
    let Some(k) = msg.text().and_then(kopecks) else {
        bot.send_message(msg.chat.id, "Введите сумму чека, например 1999.99.")
            .await?;
        return Ok(());
    };
    let points = k * 500 / 1_000_000;
    let draft = format!("{:032x}", uuid::Uuid::new_v4().as_u128());
    let keyboard = InlineKeyboardMarkup::new([[
        InlineKeyboardButton::callback("✅ Подтвердить", format!("1:acc:ok:{draft}")),
        InlineKeyboardButton::callback("✖️ Отмена", format!("1:acc:no:{draft}")),
    ]]);
    bot.send_message(
        msg.chat.id,
        format!("Начислить <b>{points}</b> баллов клиенту {phone}?"),
    )
    .parse_mode(ParseMode::Html)
    .reply_markup(keyboard)
    .await?;
    dialogue
        .update(State::Confirm {
            phone,
            points,
            draft,
        })
        .await?;
    Ok(())
}

async fn confirm(
    bot: Bot,
    dialogue: PeerDialogue,
    (phone, points, draft): (String, i64, String),
    q: CallbackQuery,
    pool: Pool,
) -> HandlerResult {
    bot.answer_callback_query(q.id.clone()).await?;
    let Some(message) = q.message.as_ref() else {
        return Ok(());
    };
    if q.data.as_deref() != Some(format!("1:acc:ok:{draft}").as_str()) {
        bot.edit_message_text(message.chat().id, message.id(), "Отменено.")
            .await?;
        dialogue.update(State::Start).await?;
        return Ok(());
    }
    let mut db = pool.get().await?;
    let tx = db.transaction().await?;
    let key = format!("peer-accrual:{draft}");
    let inserted = tx
        .execute(
            "INSERT INTO peer_accruals (key, phone, points) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            &[&key, &phone, &points],
        )
        .await?;
    if inserted == 1 {
        tx.execute(
            "INSERT INTO peer_wallets (phone, balance) VALUES ($1, $2)
             ON CONFLICT (phone) DO UPDATE SET balance = peer_wallets.balance + $2",
            &[&phone, &points],
        )
        .await?;
    }
    tx.commit().await?;
    bot.edit_message_text(
        message.chat().id,
        message.id(),
        format!("✅ Начислено <b>{points}</b> баллов."),
    )
    .parse_mode(ParseMode::Html)
    .await?;
    dialogue.update(State::Start).await?;
    Ok(())
}

async fn other(bot: Bot, msg: Message) -> HandlerResult {
    bot.send_message(msg.chat.id, USE_BUTTONS).await?;
    Ok(())
}
