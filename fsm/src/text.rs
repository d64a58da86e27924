//! The message catalogue: every text a user sees, in Russian (default) and English, from one place.
//!
//! Texts are Telegram HTML. Anything a user typed (names, company titles) goes through [`escape`] before it is
//! placed in a text, so a stray `<` or `&` can never break a send (prototype defect D21).

use crate::chat::Lang;
use crate::money::{AmountError, CashbackRate, Kopecks};

/// Escapes text for Telegram's HTML parse mode.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

/// Every message, with what it needs to say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Msg<'a> {
    // Shared.
    Unsupported,
    BackToMenu,
    StateReset,
    SlowDown,
    TryAgainLater,
    StaleButton,
    NotYet,
    ChooseLanguage,
    LanguageSet,
    UnknownCommand,
    UseTheButtons,
    // Partner bot: access.
    PartnerMenu {
        company: &'a str,
    },
    NotAPartner,
    ApplicationPending,
    ApplicationRejected,
    // Partner bot: accrual.
    AskClient,
    ClientQueryInvalid,
    ClientNotFound,
    AskAmount {
        client: &'a str,
        balance: i64,
        rate: CashbackRate,
    },
    AmountInvalid(&'a AmountError),
    NothingToAccrue {
        amount: Kopecks,
        rate: CashbackRate,
    },
    ConfirmAccrual {
        client: &'a str,
        amount: Kopecks,
        points: i64,
    },
    Accrued {
        points: i64,
        balance: i64,
    },
    AccrualCancelled,
    AccrualRefused,
    // Client bot.
    WelcomeNew {
        bonus: i64,
        partner: Option<&'a str>,
    },
    WelcomeBack,
    AskContact,
    ContactNotOwn,
    /// The client's own contact card carries a number that does not parse (not someone else's number).
    PhoneUnreadable,
    ContactSaved,
    PhoneTaken,
    Balance {
        balance: i64,
        code: &'a str,
    },
    MemberCode {
        code: &'a str,
    },
    NotRegistered,
    AccrualNotice {
        partner: &'a str,
        points: i64,
        balance: i64,
    },
    // Admin bot.
    AdminOnly,
    AdminMenu,
    // Button labels.
    BtnAccrue,
    BtnRedeem,
    BtnPromos,
    BtnServices,
    BtnInvite,
    BtnStats,
    BtnFind,
    BtnSettings,
    BtnConfirm,
    BtnCancel,
    BtnBalance,
    BtnCode,
    BtnShareContact,
}

fn amount_error(lang: Lang, e: &AmountError) -> String {
    match (lang, e) {
        (Lang::Ru, AmountError::Empty) => "Введите сумму чека.".into(),
        (Lang::Ru, AmountError::NotANumber) => {
            "Это не похоже на сумму. Введите, например, 1999.99".into()
        }
        (Lang::Ru, AmountError::Negative) => "Сумма не может быть отрицательной.".into(),
        (Lang::Ru, AmountError::Zero) => "Сумма должна быть больше нуля.".into(),
        (Lang::Ru, AmountError::TooManyDecimals) => "Не больше двух знаков после запятой.".into(),
        (Lang::Ru, AmountError::TooLarge { max }) => format!("Сумма больше допустимой ({max} ₽)."),
        (Lang::En, AmountError::Empty) => "Please enter the receipt amount.".into(),
        (Lang::En, AmountError::NotANumber) => {
            "That does not look like an amount. Enter e.g. 1999.99".into()
        }
        (Lang::En, AmountError::Negative) => "The amount cannot be negative.".into(),
        (Lang::En, AmountError::Zero) => "The amount must be more than zero.".into(),
        (Lang::En, AmountError::TooManyDecimals) => {
            "At most two digits after the decimal point.".into()
        }
        (Lang::En, AmountError::TooLarge { max }) => {
            format!("The amount is above the maximum ({max} ₽).")
        }
    }
}

/// The text of a message in a language. Parameters that came from users must already be escaped.
pub fn render(lang: Lang, msg: &Msg<'_>) -> String {
    use Lang::{En, Ru};
    match (lang, msg) {
        (Ru, Msg::Unsupported) => "Здесь я понимаю только текст и кнопки. Выберите действие в меню или нажмите /cancel.".into(),
        (En, Msg::Unsupported) => "Here I understand only text and buttons. Pick an action from the menu or press /cancel.".into(),
        (Ru, Msg::BackToMenu) => "Главное меню.".into(),
        (En, Msg::BackToMenu) => "Main menu.".into(),
        (Ru, Msg::StateReset) => "Бот обновился, и незаконченный диалог пришлось сбросить. Начните, пожалуйста, заново.".into(),
        (En, Msg::StateReset) => "The bot was updated and your unfinished dialogue had to be reset. Please start again.".into(),
        (Ru, Msg::SlowDown) => "Слишком много сообщений подряд. Подождите немного.".into(),
        (En, Msg::SlowDown) => "Too many messages in a row. Please wait a moment.".into(),
        (Ru, Msg::TryAgainLater) => "Не получилось выполнить действие. Попробуйте ещё раз через минуту.".into(),
        (En, Msg::TryAgainLater) => "That did not work. Please try again in a minute.".into(),
        (_, Msg::ChooseLanguage) => "Выберите язык · Choose the language".into(),
        (Ru, Msg::LanguageSet) => "Язык: русский.".into(),
        (En, Msg::LanguageSet) => "Language: English.".into(),
        (Ru, Msg::NotYet) => "Этот раздел скоро появится.".into(),
        (En, Msg::NotYet) => "This section is coming soon.".into(),
        (Ru, Msg::UnknownCommand) => "Такой команды нет. Выберите действие в меню или нажмите /cancel.".into(),
        (En, Msg::UnknownCommand) => "There is no such command. Pick an action from the menu or press /cancel.".into(),
        (Ru, Msg::UseTheButtons) => "Нажмите кнопку под сообщением или /cancel.".into(),
        (En, Msg::UseTheButtons) => "Press a button under the message, or /cancel.".into(),
        (Ru, Msg::StaleButton) => "Эта кнопка уже неактуальна.".into(),
        (En, Msg::StaleButton) => "This button is no longer active.".into(),

        (Ru, Msg::PartnerMenu { company }) => format!("Меню партнёра <b>{company}</b>. Выберите действие."),
        (En, Msg::PartnerMenu { company }) => format!("Partner menu of <b>{company}</b>. Choose an action."),
        (Ru, Msg::NotAPartner) => "Вы ещё не партнёр сети. Подать заявку можно будет здесь же (скоро).".into(),
        (En, Msg::NotAPartner) => "You are not a partner of the network yet. Applying here is coming soon.".into(),
        (Ru, Msg::ApplicationPending) => "⏳ Ваша заявка на рассмотрении.".into(),
        (En, Msg::ApplicationPending) => "⏳ Your application is being reviewed.".into(),
        (Ru, Msg::ApplicationRejected) => "❌ Ваша заявка отклонена.".into(),
        (En, Msg::ApplicationRejected) => "❌ Your application was rejected.".into(),

        (Ru, Msg::AskClient) => "Введите телефон клиента (+7 999 123-45-67) или его код участника.".into(),
        (En, Msg::AskClient) => "Enter the client's phone (+7 999 123-45-67) or member code.".into(),
        (Ru, Msg::ClientQueryInvalid) => "Это не телефон и не код участника. Пример: +7 999 123-45-67 или K7M2QX.".into(),
        (En, Msg::ClientQueryInvalid) => "That is neither a phone nor a member code. Example: +7 999 123-45-67 or K7M2QX.".into(),
        (Ru, Msg::ClientNotFound) => "Клиент не найден. Проверьте номер или код и введите ещё раз.".into(),
        (En, Msg::ClientNotFound) => "Client not found. Check the number or code and enter it again.".into(),
        (Ru, Msg::AskAmount { client, balance, rate }) => {
            format!("Клиент: {client}\nБаланс: <b>{balance}</b> баллов\nКэшбэк: {rate}\n\nВведите сумму чека в рублях.")
        }
        (En, Msg::AskAmount { client, balance, rate }) => {
            format!("Client: {client}\nBalance: <b>{balance}</b> points\nCashback: {rate}\n\nEnter the receipt amount in roubles.")
        }
        (lang, Msg::AmountInvalid(e)) => amount_error(lang, e),
        (Ru, Msg::NothingToAccrue { amount, rate }) => {
            format!("С чека {amount} ₽ при кэшбэке {rate} начислять нечего (0 баллов). Введите другую сумму.")
        }
        (En, Msg::NothingToAccrue { amount, rate }) => {
            format!("A {amount} ₽ receipt at {rate} cashback earns 0 points. Enter another amount.")
        }
        (Ru, Msg::ConfirmAccrual { client, amount, points }) => {
            format!("Начислить <b>{points}</b> баллов клиенту {client} за чек {amount} ₽?")
        }
        (En, Msg::ConfirmAccrual { client, amount, points }) => {
            format!("Credit <b>{points}</b> points to {client} for a {amount} ₽ receipt?")
        }
        (Ru, Msg::Accrued { points, balance }) => format!("✅ Начислено: <b>{points}</b>. Баланс клиента: <b>{balance}</b>."),
        (En, Msg::Accrued { points, balance }) => format!("✅ Credited: <b>{points}</b>. Client's balance: <b>{balance}</b>."),
        (Ru, Msg::AccrualCancelled) => "Начисление отменено.".into(),
        (En, Msg::AccrualCancelled) => "Accrual cancelled.".into(),
        (Ru, Msg::AccrualRefused) => "Начисление не выполнено: проверьте статус партнёра и клиента.".into(),
        (En, Msg::AccrualRefused) => "The accrual was not made: check the partner's and the client's status.".into(),

        (Ru, Msg::WelcomeNew { bonus, partner: Some(p) }) => {
            format!("🎉 Добро пожаловать! Вы пришли от партнёра <b>{p}</b> и получили <b>{bonus}</b> приветственных баллов.")
        }
        (Ru, Msg::WelcomeNew { bonus, partner: None }) => {
            format!("🎉 Добро пожаловать в сеть лояльности! Вам начислено <b>{bonus}</b> приветственных баллов.")
        }
        (En, Msg::WelcomeNew { bonus, partner: Some(p) }) => {
            format!("🎉 Welcome! You came from <b>{p}</b> and got <b>{bonus}</b> welcome points.")
        }
        (En, Msg::WelcomeNew { bonus, partner: None }) => {
            format!("🎉 Welcome to the loyalty network! You got <b>{bonus}</b> welcome points.")
        }
        (Ru, Msg::WelcomeBack) => "👋 Здравствуйте! Рады видеть вас снова.".into(),
        (En, Msg::WelcomeBack) => "👋 Hello again!".into(),
        (Ru, Msg::AskContact) => "Чтобы партнёры могли найти вас по телефону, поделитесь номером кнопкой ниже.".into(),
        (En, Msg::AskContact) => "So partners can find you by phone, share your number with the button below.".into(),
        (Ru, Msg::ContactNotOwn) => "Можно поделиться только своим номером — кнопкой «Поделиться номером».".into(),
        (En, Msg::ContactNotOwn) => "Only your own number can be shared — use the “Share my number” button.".into(),
        (Ru, Msg::PhoneUnreadable) => "Не получилось распознать номер в вашем контакте. Напишите в поддержку — мы подключим его вручную.".into(),
        (En, Msg::PhoneUnreadable) => "We could not read the number in your contact card. Please contact support and we will add it by hand.".into(),
        (Ru, Msg::ContactSaved) => "✅ Номер подтверждён.".into(),
        (En, Msg::ContactSaved) => "✅ Number confirmed.".into(),
        (Ru, Msg::PhoneTaken) => "Этот номер уже привязан к другому участнику. Обратитесь в поддержку.".into(),
        (En, Msg::PhoneTaken) => "This number already belongs to another member. Please contact support.".into(),
        (Ru, Msg::Balance { balance, code }) => format!("💰 Ваш баланс: <b>{balance}</b> баллов.\nКод участника: <code>{code}</code>"),
        (En, Msg::Balance { balance, code }) => format!("💰 Your balance: <b>{balance}</b> points.\nMember code: <code>{code}</code>"),
        (Ru, Msg::MemberCode { code }) => format!("Ваш код участника: <code>{code}</code>\nНазовите его партнёру вместо телефона."),
        (En, Msg::MemberCode { code }) => format!("Your member code: <code>{code}</code>\nTell it to a partner instead of your phone."),
        (Ru, Msg::NotRegistered) => "Сначала нажмите /start.".into(),
        (En, Msg::NotRegistered) => "Please press /start first.".into(),
        (Ru, Msg::AccrualNotice { partner, points, balance }) => {
            format!("💰 {partner}: начислено <b>{points}</b> баллов. Ваш баланс: <b>{balance}</b>.")
        }
        (En, Msg::AccrualNotice { partner, points, balance }) => {
            format!("💰 {partner}: <b>{points}</b> points credited. Your balance: <b>{balance}</b>.")
        }

        (Ru, Msg::AdminOnly) => "Этот бот только для администраторов сети.".into(),
        (En, Msg::AdminOnly) => "This bot is for network administrators only.".into(),
        (Ru, Msg::AdminMenu) => "Меню администратора.".into(),
        (En, Msg::AdminMenu) => "Admin menu.".into(),

        (Ru, Msg::BtnAccrue) => "➕ Начислить баллы".into(),
        (En, Msg::BtnAccrue) => "➕ Credit points".into(),
        (Ru, Msg::BtnRedeem) => "➖ Списать баллы".into(),
        (En, Msg::BtnRedeem) => "➖ Redeem points".into(),
        (Ru, Msg::BtnPromos) => "🌟 Акции".into(),
        (En, Msg::BtnPromos) => "🌟 Promotions".into(),
        (Ru, Msg::BtnServices) => "🛠️ Услуги".into(),
        (En, Msg::BtnServices) => "🛠️ Services".into(),
        (Ru, Msg::BtnInvite) => "👥 Пригласить клиента".into(),
        (En, Msg::BtnInvite) => "👥 Invite a client".into(),
        (Ru, Msg::BtnStats) => "📊 Моя статистика".into(),
        (En, Msg::BtnStats) => "📊 My statistics".into(),
        (Ru, Msg::BtnFind) => "👤 Найти клиента".into(),
        (En, Msg::BtnFind) => "👤 Find a client".into(),
        (Ru, Msg::BtnSettings) => "⚙️ Настройки".into(),
        (En, Msg::BtnSettings) => "⚙️ Settings".into(),
        (Ru, Msg::BtnConfirm) => "✅ Подтвердить".into(),
        (En, Msg::BtnConfirm) => "✅ Confirm".into(),
        (Ru, Msg::BtnCancel) => "✖️ Отмена".into(),
        (En, Msg::BtnCancel) => "✖️ Cancel".into(),
        (Ru, Msg::BtnBalance) => "💰 Баланс".into(),
        (En, Msg::BtnBalance) => "💰 Balance".into(),
        (Ru, Msg::BtnCode) => "🔑 Мой код".into(),
        (En, Msg::BtnCode) => "🔑 My code".into(),
        (Ru, Msg::BtnShareContact) => "📱 Поделиться номером".into(),
        (En, Msg::BtnShareContact) => "📱 Share my number".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_text_cannot_inject_markup() {
        assert_eq!(
            escape("<b>Tom & \"Jerry\"</b>"),
            "&lt;b&gt;Tom &amp; &quot;Jerry&quot;&lt;/b&gt;"
        );
    }

    #[test]
    fn button_labels_differ_by_language_and_never_collide() {
        let buttons = [
            Msg::BtnAccrue,
            Msg::BtnRedeem,
            Msg::BtnPromos,
            Msg::BtnServices,
            Msg::BtnInvite,
            Msg::BtnStats,
        ];
        for lang in [Lang::Ru, Lang::En] {
            let labels: std::collections::HashSet<String> =
                buttons.iter().map(|b| render(lang, b)).collect();
            assert_eq!(labels.len(), buttons.len());
        }
        assert_ne!(
            render(Lang::Ru, &Msg::BtnAccrue),
            render(Lang::En, &Msg::BtnAccrue)
        );
    }
}
