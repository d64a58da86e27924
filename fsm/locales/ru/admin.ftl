# Бот администратора. Тексты — Telegram HTML; переменные с текстом пользователя уже экранированы.

admin-only = Этот бот только для администраторов сети.
admin-menu = Меню администратора: выберите действие ниже.
admin-help =
    Это бот администраторов сети лояльности: здесь вы модерируете партнёров и услуги, следите за сетью и разбираете споры.

    /pending — заявки и услуги, ждущие решения
    /stats — статистика сети
    /rate — изменить ставку кешбэка партнёра
    /reverse — сторнировать операцию (компенсирующей записью)
    /dashboard — одноразовая ссылка на веб-панель
    /language — сменить язык
    /cancel — отменить текущее действие и вернуться в меню

# Описания команд для меню «/» в Telegram (setMyCommands), не длиннее 256 символов.
admin-cmd-pending = Заявки и услуги на модерацию
admin-cmd-stats = Статистика сети
admin-cmd-rate = Изменить ставку кешбэка партнёра
admin-cmd-reverse = Сторнировать операцию
admin-cmd-dashboard = Ссылка для входа в веб-панель
admin-cmd-language = Сменить язык
admin-cmd-cancel = Отменить действие и вернуться в меню
admin-cmd-help = Что умеет бот

admin-btn-queue = 📋 Модерация
admin-btn-stats = 📊 Статистика
admin-btn-rate = 💱 Ставка кешбэка
admin-btn-reverse = ↩️ Сторно
admin-btn-dashboard = 🖥 Веб-панель
admin-btn-approve = ✅ Одобрить
admin-btn-reject = ❌ Отклонить

admin-queue-summary = Ждут решения: заявок — { $applications }, услуг — { $services }.
admin-queue-empty = ✨ Решения ничего не ждёт.
admin-application-card =
    🏢 <b>Заявка партнёра</b> #{ $partner }
    Компания: { $company }
    Контактное лицо: { $contact }
    Телефон: { $phone }
    Город: { $city }
    Категория: { $category }
admin-service-card =
    🛎 <b>Услуга</b> #{ $id } партнёра { $company }
    <b>{ $title }</b>
    { $description }
    Цена: { $price } { $price ->
        [one] балл
        [few] балла
       *[many] баллов
    }
admin-status-pending = ⏳ Ждёт решения
admin-status-approved = ✅ Одобрено
admin-status-rejected = ❌ Отклонено
admin-status-rejected-because = ❌ Отклонено: { $reason }
admin-ask-reason = ❌ Отклоняем { $title }. Пришлите причину — её прочтёт партнёр — или /skip, чтобы отклонить без причины. /cancel оставит всё как есть.
admin-reason-too-long = Причина слишком длинная: не больше { $max } символов.
admin-decided-approved = ✅ Одобрено; партнёр уведомлён.
admin-decided-rejected = ❌ Отклонено; партнёр уведомлён.
admin-decided-already = Статус уже такой: ничего не изменилось.
admin-decided-not-found = Этого больше нет (услуга удалена?): ничего не изменилось.

admin-stats =
    📊 <b>Статистика сети</b>

    Клиенты: { $clients } (активных за 30 дней: { $active })
    Партнёры: одобрено { $approved }, ждут { $pending }, отклонено { $rejected }
    Операции: начислений { $accruals }, списаний { $redemptions }, сторно { $reversals }
    Оборот: { $turnover }
    Начислено баллов: { $accrued } кешбэка + { $bonus } приветственных
    Списано баллов: { $redeemed }
    NPS: { $nps } (оценок { $ratings }: промоутеров { $promoters }, нейтральных { $passives }, критиков { $detractors })

admin-rate-ask-partner = Чью ставку меняем? Пришлите номер партнёра (#12) или часть названия компании.
admin-rate-no-partner = Такого партнёра нет. Пришлите другой номер или название, или /cancel.
admin-rate-many-partners =
    Подходят несколько партнёров; пришлите номер нужного:
    { $list }
admin-rate-ask-value = У «{ $company }» ставка кешбэка <b>{ $rate }</b>. Пришлите новую ставку в процентах, от { $min } до { $max } (например, 7,5).
admin-rate-bad-value = Пришлите ставку числом процентов от { $min } до { $max }, не больше двух знаков после запятой (например, 7,5).
admin-rate-confirm = Изменить ставку кешбэка «{ $company }» с { $from } на <b>{ $to }</b>?
admin-rate-done = ✅ «{ $company }» теперь начисляет <b>{ $to }</b> кешбэка (было { $from }). Партнёр уведомлён.
admin-rate-unchanged = У партнёра уже такая ставка: ничего не изменилось.
admin-rate-notice = 💱 Администратор сети установил вашу ставку кешбэка: <b>{ $rate }</b>. Она действует для начислений с этого момента.

admin-reverse-ask-operation = Какую операцию? Пришлите её номер (например, 1042; в /history клиента он виден как #1042).
admin-reverse-bad-id = Пришлите номер операции — только цифры, например 1042.
admin-reverse-not-found = Операции с таким номером нет. Пришлите другой или /cancel.
admin-reverse-card =
    🧾 <b>Операция #{ $id }</b>: { $kind }
    Клиент: { $code }
    Партнёр: { $company }
    Баллы: { $points }
    Чек: { $receipt }
    Дата: { $date }
admin-reverse-already = Эта операция уже сторнирована: ничего не изменилось.
admin-reverse-not-reversible = Сторно нельзя сторнировать: ничего не изменилось.
admin-reverse-ask-reason = Пришлите причину сторно (её прочтёт клиент), не длиннее 1000 символов.
admin-reverse-confirm = Сторнировать эту операцию компенсирующей записью?
admin-reverse-done = ✅ Сторнировано операцией #{ $reversal }. Баланс клиента: { $balance } { $balance ->
        [one] балл
        [few] балла
       *[many] баллов
    }. Клиент уведомлён.
admin-reverse-insufficient = ❌ Не сторнировано: у клиента сейчас только { $balance } { $balance ->
        [one] балл
        [few] балла
       *[many] баллов
    }, а баланс не бывает меньше нуля. Ничего не изменилось.
admin-reverse-client-notice =
    ↩️ Администратор сети исправил вашу операцию: { $change } б.
    Причина: { $reason }
    Ваш баланс: <b>{ $balance }</b>
admin-kind-accrual = начисление
admin-kind-redemption = списание
admin-kind-bonus = приветственный бонус
admin-kind-reversal = сторно
admin-cancelled = Отменено: ничего не изменилось.

admin-dashboard-link = 🔐 <a href="{ $url }">Открыть веб-панель</a>. Ссылка работает один раз, { $minutes } { $minutes ->
        [one] минуту
        [few] минуты
       *[many] минут
    }; не пересылайте её.
admin-dashboard-not-configured = Адрес веб-панели не настроен (dashboard.url или telegram.public_url).
