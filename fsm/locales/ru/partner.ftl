# Бот партнёра. Тексты — Telegram HTML; $company и $client уже экранированы.
# Числа ($points, $balance) выводятся с разбивкой на разряды («12 345»), суммы ($amount, $max) и ставки ($rate)
# приходят уже записанными по-русски («1 999,99 ₽», «5 %»).

partner-menu = Меню партнёра <b>{ $company }</b>. Выберите действие.
partner-not-a-partner = Вы ещё не партнёр сети. Чтобы подать заявку, отправьте /start.
partner-application-pending = ⏳ Ваша заявка на рассмотрении.
partner-application-rejected = ❌ Ваша заявка отклонена.
partner-help =
    Это бот партнёра сети лояльности: здесь вы начисляете и списываете баллы своих клиентов, приглашаете новых и смотрите статистику.

    /accrue — начислить баллы за покупку
    /redeem — списать баллы клиента
    /invite — пригласить клиента
    /stats — моя статистика
    /promos — акции
    /services — услуги
    /find — найти клиента
    /settings — настройки
    /language — сменить язык
    /cancel — отменить текущее действие и вернуться в меню

partner-ask-client = Введите телефон клиента (+7 999 123-45-67) или его код участника.
partner-client-query-invalid = Это не телефон и не код участника. Пример: +7 999 123-45-67 или K7M2QX.
partner-client-not-found = Клиент не найден. Проверьте номер или код и введите ещё раз.
partner-ask-amount =
    Клиент: { $client }
    Баланс: <b>{ $balance }</b> { $balance ->
        [one] балл
        [few] балла
       *[many] баллов
    }
    Кэшбэк: { $rate }

    Введите сумму чека в рублях.

partner-amount-empty = Введите сумму чека.
partner-amount-not-a-number = Это не похоже на сумму. Введите, например, 1999,99
partner-amount-negative = Сумма не может быть отрицательной.
partner-amount-zero = Сумма должна быть больше нуля.
partner-amount-too-many-decimals = Не больше двух знаков после запятой.
partner-amount-too-large = Сумма больше допустимой ({ $max }).

partner-nothing-to-accrue = С чека { $amount } при кэшбэке { $rate } начислять нечего (0 баллов). Введите другую сумму.
partner-confirm-accrual = Начислить <b>{ $points }</b> { $points ->
        [one] балл
        [few] балла
       *[many] баллов
    } клиенту { $client } за чек { $amount }?
partner-accrued = ✅ Начислено <b>{ $points }</b> { $points ->
        [one] балл
        [few] балла
       *[many] баллов
    }. Баланс клиента: <b>{ $balance }</b>.
partner-accrual-cancelled = Начисление отменено.
partner-accrual-refused = Начисление не выполнено: проверьте статус партнёра и клиента.

partner-btn-accrue = ➕ Начислить баллы
partner-btn-redeem = ➖ Списать баллы
partner-btn-promos = 🌟 Акции
partner-btn-services = 🛠️ Услуги
partner-btn-invite = 👥 Пригласить клиента
partner-btn-stats = 📊 Моя статистика
partner-btn-find = 👤 Найти клиента
partner-btn-settings = ⚙️ Настройки

# Описания команд для меню «/» в Telegram (setMyCommands), не длиннее 256 символов.
partner-cmd-accrue = Начислить баллы за покупку
partner-cmd-redeem = Списать баллы клиента
partner-cmd-invite = Пригласить клиента
partner-cmd-stats = Моя статистика
partner-cmd-promos = Акции
partner-cmd-services = Услуги
partner-cmd-find = Найти клиента
partner-cmd-settings = Настройки
partner-cmd-language = Сменить язык
partner-cmd-cancel = Отменить действие и вернуться в меню
partner-cmd-help = Что умеет бот
