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
# --- Деньги партнёра: регистрация по телефону, списание, поиск, статистика ---
partner-enrol-offer = Клиента с номером { $phone } пока нет. Зарегистрировать его по этому номеру и продолжить начисление? Баллы он увидит, когда откроет бот клиента с этим номером.
partner-enrol-button = ➕ Зарегистрировать клиента
partner-enrolled = ✅ Клиент { $phone } зарегистрирован.
partner-enrol-cancelled = Регистрация отменена.
partner-own-client-record = Это ваш собственный клиентский счёт: начислять и списывать баллы самому себе нельзя.
partner-redeem-ask-points =
    Клиент: { $client }
    Баланс: <b>{ $balance }</b> { $balance ->
        [one] балл
        [few] балла
       *[many] баллов
    }

    Сколько баллов списать?
partner-points-not-a-number = Введите целое число баллов, например 150
partner-points-not-positive = Не меньше 1 балла.
partner-points-too-large = Не больше { $max } баллов за раз.
partner-over-balance = ❌ У клиента только <b>{ $balance }</b> { $balance ->
        [one] балл
        [few] балла
       *[many] баллов
    }, списать { $points } нельзя. Ничего не изменилось. Введите меньшее число.
partner-redeem-ask-receipt = Введите сумму чека в рублях (баллами можно оплатить не больше { $cap } % чека) или нажмите «Без чека».
partner-no-receipt-button = Без чека
partner-over-cap = С чека { $amount } можно списать не больше <b>{ $max }</b> { $max ->
        [one] балл
        [few] балла
       *[many] баллов
    }, а не { $points }. Введите другую сумму или нажмите /cancel.
partner-confirm-redemption = Списать <b>{ $points }</b> { $points ->
        [one] балл
        [few] балла
       *[many] баллов
    } клиента { $client }? Клиента попросят подтвердить.
partner-confirm-redemption-receipt = Списать <b>{ $points }</b> { $points ->
        [one] балл
        [few] балла
       *[many] баллов
    } клиента { $client } по чеку { $amount }? Клиента попросят подтвердить.
partner-redemption-requested = ⏳ Клиенту отправлен запрос в боте клиента. Запрос действует { $minutes } { $minutes ->
        [one] минуту
        [few] минуты
       *[many] минут
    }; результат придёт сюда.
partner-redemption-cancelled = Списание отменено.
partner-redemption-no-telegram = Этот клиент ещё не открывал бот клиента и не может подтвердить списание. Попросите его открыть бот и поделиться номером.
partner-service-request-notice =
    🛍 Клиент { $client } заказывает «{ $title }» за <b>{ $points }</b> { $points ->
        [one] балл
        [few] балла
       *[many] баллов
    }.
partner-service-btn-accept = ✅ Принять
partner-service-btn-decline = ✖️ Отклонить
partner-service-request-accepted = ✅ Заказ «{ $title }» клиента { $client } принят: списано <b>{ $points }</b> { $points ->
        [one] балл
        [few] балла
       *[many] баллов
    }.
partner-service-request-declined = Заказ «{ $title }» клиента { $client } отклонён.
partner-service-request-closed = Этот заказ уже закрыт: на него ответили, истёк срок или у клиента не хватает баллов. Ничего не списано.
partner-redemption-done = ✅ { $client } подтвердил: списано <b>{ $points }</b> { $points ->
        [one] балл
        [few] балла
       *[many] баллов
    }. Баланс клиента: <b>{ $balance }</b>.
partner-redemption-declined = ❌ { $client } отклонил списание { $points } { $points ->
        [one] балл
        [few] балла
       *[many] баллов
    }.
partner-redemption-expired = ⌛ { $client } не ответил вовремя: запрос на списание { $points } { $points ->
        [one] балл
        [few] балла
       *[many] баллов
    } истёк.
partner-redemption-insufficient = ❌ { $client } подтвердил, но на счёте теперь только <b>{ $balance }</b>: { $points } { $points ->
        [one] балл
        [few] балла
       *[many] баллов
    } не списано.
partner-redemption-failed = ❌ Списание { $points } { $points ->
        [one] балл
        [few] балла
       *[many] баллов
    } клиента { $client } не выполнено: проверьте статус партнёра и клиента.
partner-find-not-found = Среди ваших клиентов нет такого номера или кода. Найти можно только клиентов, которые пришли через вас или покупали у вас.
partner-find-too-many = Слишком много поисков за последний час. Попробуйте позже.
partner-find-card-new =
    Клиент: { $client }
    Баланс: <b>{ $balance }</b> { $balance ->
        [one] балл
        [few] балла
       *[many] баллов
    }
    Покупок у вас пока не было.
partner-find-card =
    Клиент: { $client }
    Баланс: <b>{ $balance }</b> { $balance ->
        [one] балл
        [few] балла
       *[many] баллов
    }
    Операций у вас: { $operations }
    Последний визит: { $visit }
partner-stats =
    📊 <b>Статистика</b>

    <b>Сегодня</b>
    Приведено клиентов: { $today-referred }
    Операций: { $today-operations }
    Оборот: { $today-turnover }
    Начислено баллов: { $today-issued }
    Списано баллов: { $today-redeemed }
    Средняя оценка: { $today-average } (оценок: { $today-ratings })
    NPS: { $today-nps }

    <b>За 30 дней</b>
    Приведено клиентов: { $month-referred }
    Операций: { $month-operations }
    Оборот: { $month-turnover }
    Начислено баллов: { $month-issued }
    Списано баллов: { $month-redeemed }
    Средняя оценка: { $month-average } (оценок: { $month-ratings })
    NPS: { $month-nps }

    <b>За всё время</b>
    Приведено клиентов: { $all-referred }
    Операций: { $all-operations }
    Оборот: { $all-turnover }
    Начислено баллов: { $all-issued }
    Списано баллов: { $all-redeemed }
    Средняя оценка: { $all-average } (оценок: { $all-ratings })
    NPS: { $all-nps }

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
