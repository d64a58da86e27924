# The partner's back office: the application, promotions, services, the invitation, settings; and the admins' notices
# of new applications and services. Texts are Telegram HTML; variables holding user text are already escaped.

office-apply-welcome = 👋 Hello! This is the partner bot of the loyalty network. To join with your business, answer five questions — it takes a minute.
office-apply-ask-contact = What is the contact person's name?
office-apply-ask-company = What is the company called?
office-apply-ask-phone = Share your phone number with the button below.
office-apply-ask-city = Which city do you work in?
office-apply-ask-category = Choose your business category.
office-apply-pick-category = Please choose a category with a button from the list.
office-apply-contact-not-own = We need your own number: press the “📱 Share my number” button.
office-apply-phone-unreadable = That number could not be read. Press the “📱 Share my number” button again.
office-apply-check = Please check your application:
office-apply-summary =
    <b>Partner application</b>
    Contact person: { $contact }
    Company: { $company }
    Phone: { $phone }
    City: { $city }
    Category: { $category }
office-apply-cancelled = Application cancelled. Send /start to begin again.
office-apply-submitted = ✅ Application sent.
office-apply-not-allowed = There is an application already: please wait for the administrator's decision.
office-rejected-because =
    ❌ Your application was rejected.
    Reason: { $reason }
office-btn-reapply = 📝 Apply again
office-btn-share-phone = 📱 Share my number
office-btn-submit = 📨 Submit
office-btn-discard = ✖️ Cancel
office-text-length = Please use { $min } to { $max } { $max ->
        [one] character
       *[other] characters
    }.

office-promos-title = 🌟 <b>Your promotions</b>
office-promos-none = No promotions yet.
office-btn-new-promo = ➕ New promotion
office-promo-ask-title = The promotion's title (3 to 100 characters):
office-promo-ask-description = The promotion's description:
office-promo-ask-discount = The discount or benefit (e.g. “−20%” or “second coffee free”):
office-promo-ask-starts = Start date (DD.MM.YYYY):
office-promo-ask-ends = End date (DD.MM.YYYY):
office-promo-card =
    🌟 <b>{ $title }</b>
    { $description }
    Discount: { $discount }
    Runs: { $starts } — { $ends }
office-btn-edit-title = ✏️ Title
office-btn-edit-description = ✏️ Description
office-btn-edit-discount = ✏️ Discount
office-btn-edit-starts = ✏️ Start
office-btn-edit-ends = ✏️ End
office-btn-delete = 🗑 Delete
office-btn-delete-yes = 🗑 Yes, delete
office-btn-delete-no = No, keep it
office-confirm-delete = Delete “{ $title }”?
office-promo-created = ✅ Promotion created.
office-saved = ✅ Saved.
office-deleted = 🗑 Deleted.
office-kept = Kept as it is.
office-not-found-or-not-yours = Not found: it does not exist or is not yours. Nothing changed.
office-date-invalid = Enter the date as DD.MM.YYYY, e.g. 05.03.2027.
office-promo-ends-before-start = The end date is before the start date. Enter another date.
office-promo-ends-in-past = The end date has passed. Enter today's date or a later one.

office-services-title = 🛠️ <b>Your services</b>
office-services-none = No services yet.
office-btn-new-service = ➕ New service
office-service-ask-title = The service's title (3 to 100 characters):
office-service-ask-description = The service's description:
office-service-ask-price = The price in points (a whole number above zero):
office-price-invalid = The price is a whole number of points above zero, e.g. 150.
office-status-pending = ⏳ under review
office-status-approved = ✅ approved
office-status-rejected = ❌ rejected
office-status-rejected-because = ❌ rejected: { $reason }
office-service-line = • { $title } — { $price } { $price ->
        [one] point
       *[other] points
    } — { $status }
office-service-card =
    🛠️ <b>{ $title }</b>
    { $description }
    Price: { $price } { $price ->
        [one] point
       *[other] points
    }
    Status: { $status }
office-service-created = ✅ The service was sent for review. We will tell you the decision.
office-application-approved-notice = 🎉 Your application for “{ $company }” is approved: welcome to the loyalty network! The menu below is yours now.
office-service-approved-notice = ✅ Your service “{ $title }” was approved and clients can see it.
office-service-rejected-notice = ❌ Your service “{ $title }” was rejected.
office-service-rejected-notice-because =
    ❌ Your service “{ $title }” was rejected.
    Reason: { $reason }

office-invite =
    👥 <b>Invitation for clients</b>
    Show this QR code at the till or send the link: the client gets welcome points.
    { $link }

office-settings-card =
    ⚙️ <b>Settings</b>
    Company: { $company }
    Contact person: { $contact }
    Phone: { $phone }
    City: { $city }
    Category: { $category }
    Cashback: { $rate } (only an administrator changes it)
    Language: English
office-not-given = not given
office-btn-edit-company = ✏️ Company
office-btn-edit-contact = ✏️ Contact person
office-btn-edit-city = ✏️ City
office-settings-ask-company = The new company name:
office-settings-ask-contact = The new contact person's name:
office-settings-ask-city = The new city:
