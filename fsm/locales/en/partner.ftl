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
