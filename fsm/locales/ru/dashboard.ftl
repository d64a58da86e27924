# Веб-панель администраторов (/dashboard/). Обычный текст: шаблоны его экранируют.
# Числа ($n, $total, ...) показываются с разрядами («12 345»).

dash-title = Сеть лояльности
dash-nav-overview = Обзор
dash-nav-charts = Графики
dash-nav-moderation = Модерация
dash-nav-partners = Партнёры
dash-nav-clients = Клиенты
dash-nav-audit = Аудит реестра
dash-switch-lang = English
dash-logout = Выйти

dash-login-title = Вход в панель
dash-login-text = Ссылка действует один раз и всего несколько минут. Нажмите кнопку, чтобы войти.
dash-login-button = Войти
dash-link-invalid-title = Ссылка больше не действует
dash-link-invalid-text = Ею уже воспользовались, или её срок истёк. Отправьте /dashboard боту администратора, чтобы получить новую.
dash-not-admin-title = Нет прав администратора
dash-not-admin-text = Эта ссылка выдана человеку, который не администратор сети.
dash-signin-title = Войдите в панель
dash-signin-text = Отправьте /dashboard боту администратора в Telegram и откройте ссылку из ответа.
dash-signed-out-title = Вы вышли из панели
dash-csrf-title = Форма устарела
dash-csrf-text = Ничего не изменено. Обновите страницу и попробуйте снова.
dash-not-found-title = Не найдено
dash-not-found-text = Такой страницы нет.
dash-unavailable-title = Временно недоступно
dash-unavailable-text = Панель сейчас не может связаться с базой данных. Попробуйте через минуту.

dash-flash-approved = Одобрено. Партнёр получил уведомление.
dash-flash-rejected = Отклонено. Партнёр получил уведомление.
dash-flash-unchanged = Ничего не изменено: статус уже такой.
dash-flash-not-found = Ничего не изменено: этой заявки больше нет.
dash-flash-reason-too-long = Ничего не изменено: причина длиннее 1000 символов.

dash-clients = Клиенты
dash-active-clients = Активные клиенты (30 дней)
dash-partners-approved = Партнёры
dash-operations = Операции
dash-points-issued = Начислено баллов
dash-points-redeemed = Списано баллов
dash-partners-other = ждут решения: { $pending }, отклонено: { $rejected }
dash-operations-split = начислений { $accruals }, списаний { $redemptions }, отмен { $reversals }
dash-points-accrued = Начислено баллов
dash-points-bonus = и { $n } приветственными бонусами
dash-nps = NPS
dash-nps-score = NPS { $score }
dash-nps-groups = промоутеры { $promoters }, нейтральные { $passives }, критики { $detractors }
dash-pending-summary = Ждут модерации: { $applications } { $applications ->
        [one] заявка
        [few] заявки
       *[other] заявок
    }, { $services } { $services ->
        [one] услуга
        [few] услуги
       *[other] услуг
    }

dash-charts-period = Последние { $days } дней по календарю сети.
dash-chart-turnover = Оборот по дням
dash-chart-operations = Операции по дням
dash-chart-new-clients = Новые клиенты по дням
dash-chart-nps = Оценки NPS
dash-chart-top-partners = Лучшие партнёры по обороту
dash-day = День
dash-turnover = Оборот
dash-new-clients = Новые клиенты
dash-score = Оценка
dash-ratings = Оценок
dash-partner = Партнёр
dash-no-data = Данных пока нет.

dash-applications = Заявки партнёров
dash-services = Услуги
dash-no-applications = Заявок на рассмотрении нет.
dash-no-services = Услуг на рассмотрении нет.
dash-contact = Контакт
dash-phone = Телефон
dash-city = Город
dash-category = Категория
dash-submitted = Подано
dash-decision = Решение
dash-change-decision = Изменить решение
dash-approve = Одобрить
dash-reject = Отклонить
dash-reason = Причина
dash-reason-hint = почему отклонено (партнёр это увидит)
dash-points = { $n } { $n ->
        [one] балл
        [few] балла
       *[other] баллов
    }

dash-search = Найти
dash-search-partners = Компания, контакт или телефон
dash-search-clients = Имя, телефон или код участника
dash-csv = Скачать CSV
dash-company = Компания
dash-status = Статус
dash-status-pending = на рассмотрении
dash-status-approved = одобрен
dash-status-rejected = отклонён
dash-rate = Кэшбэк
dash-since = Добавлен
dash-member-code = Код
dash-name = Имя
dash-telegram = В Telegram
dash-referred-by = Пришёл от
dash-balance = Баланс
dash-unverified = (не подтверждён)
dash-yes = да
dash-no = нет
dash-nothing-found = Ничего не найдено.
dash-pages = Страницы
dash-prev = Назад
dash-next = Дальше
dash-page-of = Страница { $page } из { $pages } · { $total } { $total ->
        [one] строка
        [few] строки
       *[other] строк
    }

dash-invariants = Инварианты реестра (check-ledger)
dash-ledger-clean = Реестр согласован: ни один инвариант не нарушен.
dash-ledger-broken = Некоторые инварианты нарушены: смотрите нарушения ниже.
dash-invariant = Инвариант
dash-violations = Нарушений
dash-settlement = Взаиморасчёты по партнёрам
dash-settlement-hint = Баллы, начисленные партнёром как кэшбэк, и баллы, потраченные у него клиентами, за вычетом отмен; сальдо = начислено − списано.
dash-net = Сальдо
dash-total = Итого

# One line per check-ledger invariant, by its name (actors/src/ledger/audit.rs).
dash-invariant-accounts-sum-to-zero = Балансы всех счетов в сумме дают ноль (1 — не дают).
dash-invariant-balance-equals-journal = Счета, баланс которых расходится с суммой их проводок.
dash-invariant-wallets-not-negative = Кошельки клиентов с отрицательным балансом.
dash-invariant-entries-positive = Проводки на ноль или отрицательное число баллов.
dash-invariant-transfers-touch-the-wallet = Операции, перевод которых не затрагивает кошелёк их клиента или идёт с кошелька на него же.
dash-invariant-keys-unique = Ключи идемпотентности, использованные больше чем одной операцией.
dash-invariant-keys-decided-once = Ключи, записанные и как отказ, и как применённая операция.
dash-invariant-references-resolve = Операции, ссылающиеся на несуществующий счёт, клиента или партнёра.
dash-invariant-welcome-bonus-once = Клиенты с более чем одним приветственным бонусом.
dash-invariant-reversals-valid = Отмены отмен или операции, отменённые больше одного раза.
