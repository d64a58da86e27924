# The partner bot. Texts are Telegram HTML; $company and $client are already escaped.
# Numbers ($points, $balance) are shown grouped ("12,345"); amounts ($amount, $max) and rates ($rate) come already
# written the English way ("1,999.99 ₽", "5%").

partner-menu = Partner menu of <b>{ $company }</b>. Choose an action.
partner-not-a-partner = You are not a partner of the network yet. Send /start to apply.
partner-application-pending = ⏳ Your application is being reviewed.
partner-application-rejected = ❌ Your application was rejected.
partner-help =
    This is the partner bot of the loyalty network: credit and redeem your clients' points, invite new clients and see your statistics.

    /accrue — credit points for a purchase
    /redeem — redeem a client's points
    /invite — invite a client
    /stats — my statistics
    /promos — promotions
    /services — services
    /find — find a client
    /settings — settings
    /language — change the language
    /cancel — cancel the current action and go back to the menu

partner-ask-client = Enter the client's phone (+7 999 123-45-67) or member code.
partner-client-query-invalid = That is neither a phone nor a member code. Example: +7 999 123-45-67 or K7M2QX.
partner-client-not-found = Client not found. Check the number or code and enter it again.
partner-ask-amount =
    Client: { $client }
    Balance: <b>{ $balance }</b> { $balance ->
        [one] point
       *[other] points
    }
    Cashback: { $rate }

    Enter the receipt amount in roubles.

partner-amount-empty = Please enter the receipt amount.
partner-amount-not-a-number = That does not look like an amount. Enter e.g. 1999.99
partner-amount-negative = The amount cannot be negative.
partner-amount-zero = The amount must be more than zero.
partner-amount-too-many-decimals = At most two digits after the decimal point.
partner-amount-too-large = The amount is above the maximum ({ $max }).

partner-nothing-to-accrue = A { $amount } receipt at { $rate } cashback earns 0 points. Enter another amount.
partner-confirm-accrual = Credit <b>{ $points }</b> { $points ->
        [one] point
       *[other] points
    } to { $client } for a { $amount } receipt?
partner-accrued = ✅ Credited <b>{ $points }</b> { $points ->
        [one] point
       *[other] points
    }. Client's balance: <b>{ $balance }</b>.
partner-accrual-cancelled = Accrual cancelled.
partner-accrual-refused = The accrual was not made: check the partner's and the client's status.
# --- Partner money: enrolment, redemption, find, statistics ---
partner-enrol-offer = No client with the number { $phone } yet. Enrol them by this number and go on with the accrual? They will see their points once they open the client bot with this number.
partner-enrol-button = ➕ Enrol the client
partner-enrolled = ✅ Client { $phone } enrolled.
partner-enrol-cancelled = Enrolment cancelled.
partner-own-client-record = This is your own client account: you cannot credit or redeem points to yourself.
partner-redeem-ask-points =
    Client: { $client }
    Balance: <b>{ $balance }</b> { $balance ->
        [one] point
       *[other] points
    }

    How many points to redeem?
partner-points-not-a-number = Enter a whole number of points, e.g. 150
partner-points-not-positive = At least 1 point.
partner-points-too-large = At most { $max } points at once.
partner-over-balance = ❌ The client has only <b>{ $balance }</b> { $balance ->
        [one] point
       *[other] points
    }; { $points } cannot be redeemed. Nothing was changed. Enter a smaller number.
partner-redeem-ask-receipt = Enter the receipt amount in roubles (points may pay at most { $cap }% of it), or press “Without receipt”.
partner-no-receipt-button = Without receipt
partner-over-cap = A { $amount } receipt takes at most <b>{ $max }</b> { $max ->
        [one] point
       *[other] points
    }, not { $points }. Enter another amount or press /cancel.
partner-confirm-redemption = Redeem <b>{ $points }</b> { $points ->
        [one] point
       *[other] points
    } of { $client }? The client will be asked to approve.
partner-confirm-redemption-receipt = Redeem <b>{ $points }</b> { $points ->
        [one] point
       *[other] points
    } of { $client } against a { $amount } receipt? The client will be asked to approve.
partner-redemption-requested = ⏳ The client was asked to approve in the client bot. The request is valid for { $minutes } { $minutes ->
        [one] minute
       *[other] minutes
    }; you will be told the result here.
partner-redemption-cancelled = Redemption cancelled.
partner-redemption-no-telegram = This client has not opened the client bot yet, so they cannot approve a redemption. Ask them to open it and share their number.
partner-service-request-notice =
    🛍 Client { $client } requests “{ $title }” for <b>{ $points }</b> { $points ->
        [one] point
       *[other] points
    }.
partner-service-btn-accept = ✅ Accept
partner-service-btn-decline = ✖️ Decline
partner-service-request-accepted = ✅ Request “{ $title }” of client { $client } accepted: <b>{ $points }</b> { $points ->
        [one] point
       *[other] points
    } redeemed.
partner-service-request-declined = Request “{ $title }” of client { $client } declined.
partner-service-request-closed = This request is closed: answered before, expired, or the client's points are not enough. Nothing was redeemed.
partner-redemption-done = ✅ { $client } approved: <b>{ $points }</b> { $points ->
        [one] point
       *[other] points
    } redeemed. Client's balance: <b>{ $balance }</b>.
partner-redemption-declined = ❌ { $client } declined the redemption of { $points } { $points ->
        [one] point
       *[other] points
    }.
partner-redemption-expired = ⌛ { $client } did not answer in time: the redemption of { $points } { $points ->
        [one] point
       *[other] points
    } expired.
partner-redemption-insufficient = ❌ { $client } approved, but holds only <b>{ $balance }</b> now: { $points } { $points ->
        [one] point
       *[other] points
    } not redeemed.
partner-redemption-failed = ❌ The redemption of { $points } { $points ->
        [one] point
       *[other] points
    } of { $client } was not made: check the partner's and the client's status.
partner-find-not-found = No client of yours with this number or code. Only clients who came through you or bought from you can be found.
partner-find-too-many = Too many lookups in the last hour. Please try again later.
partner-find-card-new =
    Client: { $client }
    Balance: <b>{ $balance }</b> { $balance ->
        [one] point
       *[other] points
    }
    No purchases with you yet.
partner-find-card =
    Client: { $client }
    Balance: <b>{ $balance }</b> { $balance ->
        [one] point
       *[other] points
    }
    Operations with you: { $operations }
    Last visit: { $visit }
partner-stats =
    📊 <b>Statistics</b>

    <b>Today</b>
    Clients referred: { $today-referred }
    Operations: { $today-operations }
    Turnover: { $today-turnover }
    Points issued: { $today-issued }
    Points redeemed: { $today-redeemed }
    Average rating: { $today-average } (ratings: { $today-ratings })
    NPS: { $today-nps }

    <b>Last 30 days</b>
    Clients referred: { $month-referred }
    Operations: { $month-operations }
    Turnover: { $month-turnover }
    Points issued: { $month-issued }
    Points redeemed: { $month-redeemed }
    Average rating: { $month-average } (ratings: { $month-ratings })
    NPS: { $month-nps }

    <b>All time</b>
    Clients referred: { $all-referred }
    Operations: { $all-operations }
    Turnover: { $all-turnover }
    Points issued: { $all-issued }
    Points redeemed: { $all-redeemed }
    Average rating: { $all-average } (ratings: { $all-ratings })
    NPS: { $all-nps }

partner-btn-accrue = ➕ Credit points
partner-btn-redeem = ➖ Redeem points
partner-btn-promos = 🌟 Promotions
partner-btn-services = 🛠️ Services
partner-btn-invite = 👥 Invite a client
partner-btn-stats = 📊 My statistics
partner-btn-find = 👤 Find a client
partner-btn-settings = ⚙️ Settings

# Command descriptions for Telegram's "/" menu (setMyCommands), at most 256 characters each.
partner-cmd-accrue = Credit points for a purchase
partner-cmd-redeem = Redeem a client's points
partner-cmd-invite = Invite a client
partner-cmd-stats = My statistics
partner-cmd-promos = Promotions
partner-cmd-services = Services
partner-cmd-find = Find a client
partner-cmd-settings = Settings
partner-cmd-language = Change the language
partner-cmd-cancel = Cancel the action and go back to the menu
partner-cmd-help = What this bot can do
