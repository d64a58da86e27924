# Бэк-офис партнёра: заявка, акции, услуги, приглашение, настройки; и уведомления админам о новых заявках и услугах.
# Тексты — Telegram HTML; переменные с текстом пользователя уже экранированы.

office-apply-welcome = 👋 Здравствуйте! Это бот партнёров сети лояльности. Чтобы подключить ваш бизнес, ответьте на пять вопросов — это займёт минуту.
office-apply-ask-contact = Как зовут контактное лицо?
office-apply-ask-company = Как называется компания?
office-apply-ask-phone = Поделитесь номером телефона кнопкой ниже.
office-apply-ask-city = В каком городе вы работаете?
office-apply-ask-category = Выберите категорию бизнеса.
office-apply-pick-category = Выберите категорию кнопкой из списка.
office-apply-contact-not-own = Нужен ваш собственный номер: нажмите кнопку «📱 Поделиться номером».
office-apply-phone-unreadable = Не удалось прочитать этот номер. Нажмите кнопку «📱 Поделиться номером» ещё раз.
office-apply-check = Проверьте заявку:
office-apply-summary =
    <b>Заявка партнёра</b>
    Контактное лицо: { $contact }
    Компания: { $company }
    Телефон: { $phone }
    Город: { $city }
    Категория: { $category }
office-apply-cancelled = Заявка отменена. Чтобы начать заново, отправьте /start.
office-apply-submitted = ✅ Заявка отправлена.
office-apply-not-allowed = Заявка уже есть: дождитесь решения администратора.
office-rejected-because =
    ❌ Ваша заявка отклонена.
    Причина: { $reason }
office-btn-reapply = 📝 Подать заявку заново
office-btn-share-phone = 📱 Поделиться номером
office-btn-submit = 📨 Отправить
office-btn-discard = ✖️ Отменить
office-text-length = Нужно от { $min } до { $max } { $max ->
        [one] символа
        [few] символов
       *[other] символов
    }. Попробуйте ещё раз.

office-promos-title = 🌟 <b>Ваши акции</b>
office-promos-none = Акций пока нет.
office-btn-new-promo = ➕ Новая акция
office-promo-ask-title = Название акции (от 3 до 100 символов):
office-promo-ask-description = Описание акции:
office-promo-ask-discount = Размер скидки или выгода (например, «−20 %» или «второй кофе в подарок»):
office-promo-ask-starts = Дата начала (ДД.ММ.ГГГГ):
office-promo-ask-ends = Дата окончания (ДД.ММ.ГГГГ):
office-promo-card =
    🌟 <b>{ $title }</b>
    { $description }
    Скидка: { $discount }
    Действует: { $starts } — { $ends }
office-btn-edit-title = ✏️ Название
office-btn-edit-description = ✏️ Описание
office-btn-edit-discount = ✏️ Скидка
office-btn-edit-starts = ✏️ Начало
office-btn-edit-ends = ✏️ Окончание
office-btn-delete = 🗑 Удалить
office-btn-delete-yes = 🗑 Да, удалить
office-btn-delete-no = Нет, оставить
office-confirm-delete = Удалить «{ $title }»?
office-promo-created = ✅ Акция создана.
office-saved = ✅ Сохранено.
office-deleted = 🗑 Удалено.
office-kept = Оставили как есть.
office-not-found-or-not-yours = Не найдено: этой записи нет или она не ваша. Ничего не изменилось.
office-date-invalid = Введите дату в виде ДД.ММ.ГГГГ, например 05.03.2027.
office-promo-ends-before-start = Дата окончания раньше даты начала. Введите другую дату.
office-promo-ends-in-past = Дата окончания уже прошла. Введите сегодняшнюю или более позднюю дату.

office-services-title = 🛠️ <b>Ваши услуги</b>
office-services-none = Услуг пока нет.
office-btn-new-service = ➕ Новая услуга
office-service-ask-title = Название услуги (от 3 до 100 символов):
office-service-ask-description = Описание услуги:
office-service-ask-price = Цена в баллах (целое число больше нуля):
office-price-invalid = Цена — целое число баллов больше нуля, например 150.
office-status-pending = ⏳ на модерации
office-status-approved = ✅ одобрена
office-status-rejected = ❌ отклонена
office-status-rejected-because = ❌ отклонена: { $reason }
office-service-line = • { $title } — { $price } { $price ->
        [one] балл
        [few] балла
       *[other] баллов
    } — { $status }
office-service-card =
    🛠️ <b>{ $title }</b>
    { $description }
    Цена: { $price } { $price ->
        [one] балл
        [few] балла
       *[other] баллов
    }
    Статус: { $status }
office-service-created = ✅ Услуга отправлена на модерацию. Мы сообщим о решении.
office-application-approved-notice = 🎉 Ваша заявка «{ $company }» одобрена: добро пожаловать в сеть лояльности! Меню ниже теперь ваше.
office-service-approved-notice = ✅ Услуга «{ $title }» одобрена и видна клиентам.
office-service-rejected-notice = ❌ Услуга «{ $title }» отклонена.
office-service-rejected-notice-because =
    ❌ Услуга «{ $title }» отклонена.
    Причина: { $reason }

office-invite =
    👥 <b>Приглашение для клиентов</b>
    Покажите этот QR-код на кассе или отправьте ссылку: клиент получит приветственные баллы.
    { $link }

office-settings-card =
    ⚙️ <b>Настройки</b>
    Компания: { $company }
    Контактное лицо: { $contact }
    Телефон: { $phone }
    Город: { $city }
    Категория: { $category }
    Кешбэк: { $rate } (меняет только администратор)
    Язык: русский
office-not-given = не указано
office-btn-edit-company = ✏️ Компания
office-btn-edit-contact = ✏️ Контактное лицо
office-btn-edit-city = ✏️ Город
office-settings-ask-company = Новое название компании:
office-settings-ask-contact = Новое имя контактного лица:
office-settings-ask-city = Новый город:
