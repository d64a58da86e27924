//! Languages chosen with `/language` by people without a row of their own: admins, and client-bot users before
//! they register (`language_choices`; registration copies the choice into `clients.language_override`).

use fsm::{BotKind, Lang};
use tokio_postgres::GenericClient;

use super::read_row;

/// Remembers that `telegram_id` chose `lang` in `bot`.
pub async fn choose(
    db: &impl GenericClient,
    bot: BotKind,
    telegram_id: i64,
    lang: Lang,
) -> Result<(), tokio_postgres::Error> {
    db.execute(
        "INSERT INTO language_choices (bot, telegram_id, language) VALUES ($1, $2, $3)
         ON CONFLICT (bot, telegram_id) DO UPDATE SET language = EXCLUDED.language, chosen_at = now()",
        &[&bot.as_str(), &telegram_id, &lang.as_str()],
    )
    .await
    .map(drop)
}

/// The language `telegram_id` chose in `bot`, if any.
pub async fn chosen(
    db: &deadpool_postgres::Client,
    bot: BotKind,
    telegram_id: i64,
) -> Result<Option<Lang>, tokio_postgres::Error> {
    let row = read_row(
        db,
        "SELECT language FROM language_choices WHERE bot = $1 AND telegram_id = $2",
        &[&bot.as_str(), &telegram_id],
    )
    .await?;
    Ok(row.and_then(|r| Lang::parse(r.get::<_, &str>(0))))
}
