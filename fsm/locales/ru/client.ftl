# Бот клиента. Тексты — Telegram HTML; $partner уже экранирован.
# Числа ($bonus, $points, $balance) выводятся с разбивкой на разряды («12 345»).

client-welcome-new = 🎉 Добро пожаловать в сеть лояльности! Вам { $bonus ->
        [one] начислен <b>{ $bonus }</b> приветственный балл
        [few] начислено <b>{ $bonus }</b> приветственных балла
       *[many] начислено <b>{ $bonus }</b> приветственных баллов
    }.
client-welcome-referred = 🎉 Добро пожаловать! Вы пришли от партнёра <b>{ $partner }</b> и получили <b>{ $bonus }</b> { $bonus ->
        [one] приветственный балл
        [few] приветственных балла
       *[many] приветственных баллов
    }.
client-welcome-back = 👋 Здравствуйте! Рады видеть вас снова.
client-help =
    Это бот сети лояльности: у партнёров сети вы получаете баллы за покупки и оплачиваете ими следующие.

    /balance — мой баланс
    /history — история операций
    /code — мой код участника (назовите его партнёру вместо телефона)
    /promos — акции партнёров
    /services — услуги партнёров
    /language — сменить язык
    /cancel — отменить текущее действие и вернуться в меню

client-ask-contact = Чтобы партнёры могли найти вас по телефону, поделитесь номером кнопкой ниже.
client-contact-not-own = Можно поделиться только своим номером — кнопкой «Поделиться номером».
client-phone-unreadable = Не получилось распознать номер в вашем контакте. Напишите в поддержку — мы подключим его вручную.
client-contact-saved = ✅ Номер подтверждён.
client-claimed =
    ✅ Номер подтверждён. Партнёр уже завёл вам карту с этим номером — теперь она ваша, вместе с баллами и историей.
    💰 Баланс: <b>{ $balance }</b> { $balance ->
        [one] балл
        [few] балла
       *[many] баллов
    }.
client-history-title = 📜 <b>История операций</b>
client-history-empty = Операций пока нет.
client-history-line-receipt = { $when } · { $partner }: <b>{ $points }</b> (чек { $amount })
client-history-line = { $when } · { $partner }: <b>{ $points }</b>
client-history-line-bonus = { $when } · приветственный бонус: <b>{ $points }</b>
client-history-line-reversal = { $when } · отмена операции: <b>{ $points }</b>
client-btn-older = ◀️ Раньше
client-btn-newer = Позже ▶️
client-promos-title = 🎁 <b>Акции партнёров</b>
client-promos-empty = Сейчас акций нет — загляните позже.
client-promo-line =
    <b>{ $partner }</b>: { $title }
    { $discount } · до { $ends }
client-services-title = 🛍 <b>Услуги за баллы</b>
    Ваш баланс: <b>{ $balance }</b> { $balance ->
        [one] балл
        [few] балла
       *[many] баллов
    }.
client-services-empty = Услуг за баллы пока нет.
client-services-affordable = <b>Хватает баллов:</b>
client-services-saving = <b>Копим:</b>
client-service-line = • { $title } — { $partner }, <b>{ $price }</b> { $price ->
        [one] балл
        [few] балла
       *[many] баллов
    }
client-btn-service-request = 🛍 { $title } · { $price }
client-service-confirm =
    Заказать «{ $title }» у { $partner } за <b>{ $price }</b> { $price ->
        [one] балл
        [few] балла
       *[many] баллов
    }? Сейчас у вас { $balance }. Баллы спишутся, когда партнёр примет заказ.
client-btn-request = ✅ Заказать
client-service-requested = 📨 Заказ «{ $title }» отправлен в { $partner }. Мы сообщим, когда партнёр ответит.
client-service-unavailable = Эту услугу сейчас нельзя заказать: её сняли или баллов не хватает.
client-service-already-requested = Вы уже запросили эту услугу, партнёр ещё не ответил.
client-service-request-cancelled = Заказ отменён.
client-service-accepted = ✅ Заказ «{ $title }» принят партнёром { $partner }: списано <b>{ $points }</b> { $points ->
        [one] балл
        [few] балла
       *[many] баллов
    }. Баланс: <b>{ $balance }</b>.
client-service-declined = Заказ «{ $title }» отклонён партнёром { $partner }. Баллы не списаны.
client-phone-taken = Этот номер уже привязан к другому участнику. Обратитесь в поддержку.
client-balance =
    💰 Ваш баланс: <b>{ $balance }</b> { $balance ->
        [one] балл
        [few] балла
       *[many] баллов
    }.
    Код участника: <code>{ $code }</code>
client-member-code =
    Ваш код участника: <code>{ $code }</code>
    Назовите его партнёру вместо телефона.
client-not-registered = Сначала нажмите /start.
client-accrual-notice = 💰 { $partner }: за покупку на { $amount } { $points ->
        [one] начислен <b>{ $points }</b> балл
        [few] начислено <b>{ $points }</b> балла
       *[many] начислено <b>{ $points }</b> баллов
    }. Ваш баланс: <b>{ $balance }</b>.
# --- Деньги партнёра: согласие на списание и NPS ---
client-consent-ask =
    🛒 <b>{ $partner }</b> просит списать <b>{ $points }</b> { $points ->
        [one] балл
        [few] балла
       *[many] баллов
    } с вашего счёта (баланс { $balance }).
    Подтвердите в течение { $minutes } { $minutes ->
        [one] минуты
       *[other] минут
    }.
client-consent-ask-receipt =
    🛒 <b>{ $partner }</b> просит списать <b>{ $points }</b> { $points ->
        [one] балл
        [few] балла
       *[many] баллов
    } с вашего счёта (баланс { $balance }) по чеку { $amount }.
    Подтвердите в течение { $minutes } { $minutes ->
        [one] минуты
       *[other] минут
    }.
client-btn-approve = ✅ Подтвердить
client-btn-decline = ✖️ Отклонить
client-consent-approved = ✅ Подтверждено: в «{ $partner }» списано <b>{ $points }</b> { $points ->
        [one] балл
        [few] балла
       *[many] баллов
    }. Ваш баланс: <b>{ $balance }</b>.
client-consent-declined = Вы отклонили списание { $points } { $points ->
        [one] балл
        [few] балла
       *[many] баллов
    } в «{ $partner }». Ничего не списано.
client-consent-expired = ⌛ Запрос «{ $partner }» на списание { $points } { $points ->
        [one] балл
        [few] балла
       *[many] баллов
    } истёк. Ничего не списано.
client-consent-insufficient = На вашем счёте <b>{ $balance }</b>, меньше чем { $points }: ничего не списано.
client-consent-failed = Списание не выполнено. Ничего не списано.
client-consent-already-answered = На этот запрос уже дан ответ.
client-nps-ask = Насколько вероятно, что вы порекомендуете <b>{ $partner }</b> друзьям? Оцените от 0 до 10.
client-nps-thanks = ⭐ Спасибо за вашу оценку: { $rating }!
client-nps-already-rated = Вы уже оценили эту покупку. Спасибо!

client-btn-balance = 💰 Баланс
client-btn-code = 🔑 Мой код
client-btn-share-contact = 📱 Поделиться номером

# Описания команд для меню «/» в Telegram (setMyCommands), не длиннее 256 символов.
client-cmd-balance = Мой баланс
client-cmd-history = История операций
client-cmd-code = Мой код участника
client-cmd-promos = Акции партнёров
client-cmd-services = Услуги партнёров
client-cmd-language = Сменить язык
client-cmd-cancel = Отменить действие и вернуться в меню
client-cmd-help = Что умеет бот
