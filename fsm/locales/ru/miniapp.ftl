# The client Mini App (/app/). Plain text: the page sets it with textContent, never as HTML.
# $month_name is miniapp-month-of of the date's month.
# Numbers ($n, $balance) are shown grouped («12 345»); $amount is money already written.

miniapp-title = Мои баллы
miniapp-menu-button = Мои баллы
miniapp-tab-home = Главная
miniapp-tab-promos = Акции
miniapp-tab-services = Услуги
miniapp-tab-history = История
miniapp-tab-profile = Профиль
miniapp-balance = Баланс
miniapp-code-hint = Покажите код партнёру или назовите его
miniapp-top-promos = Акции сейчас
miniapp-all-promos = Все акции
miniapp-no-promos = Сейчас акций нет.
miniapp-affordable = Хватает баллов
miniapp-saving-up = Копим
miniapp-no-services = Услуг пока нет.
miniapp-request = Получить
miniapp-request-sent = Запрос отправлен. Партнёр ответит в боте.
miniapp-request-unavailable = Эту услугу сейчас нельзя запросить.
miniapp-request-unaffordable = Не хватает баллов на эту услугу.
miniapp-request-pending = Вы уже запросили эту услугу, партнёр ещё не ответил.
miniapp-filter-all = Все
miniapp-filter-accrual = Начисления
miniapp-filter-redemption = Списания
miniapp-filter-bonus = Бонусы
miniapp-no-operations = Операций пока нет.
miniapp-load-more = Показать ещё
miniapp-kind-accrual = Начисление
miniapp-kind-redemption = Списание
miniapp-kind-welcome-bonus = Приветственный бонус
miniapp-kind-reversal = Отмена операции
miniapp-profile-name = Имя
miniapp-profile-phone = Телефон
miniapp-profile-no-phone = не указан
miniapp-profile-member-code = Код участника
miniapp-profile-member-since = Участник с
miniapp-profile-referred-by = Пришли от
miniapp-profile-no-referral = сами
miniapp-profile-language = Язык
miniapp-language-ru = Русский
miniapp-language-en = English
miniapp-not-registered = Вы ещё не участник. Откройте бота и нажмите /start.
miniapp-auth-failed = Откройте приложение из бота в Telegram.
miniapp-error = Не получилось загрузить. Попробуйте ещё раз.
miniapp-loading = Загрузка…
miniapp-points = { $n } { $n ->
        [one] балл
        [few] балла
       *[many] баллов
    }
miniapp-points-in = +{ $n }
miniapp-points-out = −{ $n }
miniapp-points-missing = не хватает { $n } { $n ->
        [one] балла
        [few] баллов
       *[many] баллов
    }
miniapp-receipt = чек { $amount }
miniapp-total-in = Начислено: +{ $n }
miniapp-total-out = Списано: −{ $n }
miniapp-operations = { $n } { $n ->
        [one] операция
        [few] операции
       *[many] операций
    }
miniapp-until = до { $day } { $month_name }
miniapp-day = { $day } { $month_name }
miniapp-date = { $day } { $month_name } { $year }
miniapp-month-of = { $month ->
        [1] января
        [2] февраля
        [3] марта
        [4] апреля
        [5] мая
        [6] июня
        [7] июля
        [8] августа
        [9] сентября
        [10] октября
        [11] ноября
       *[12] декабря
    }
