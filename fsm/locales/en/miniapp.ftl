# The client Mini App (/app/). Plain text: the page sets it with textContent, never as HTML.
# $month_name is miniapp-month-of of the date's month.
# Numbers ($n, $balance) are shown grouped ("12,345"); $amount is money already written.

miniapp-title = My points
miniapp-menu-button = My points
miniapp-tab-home = Home
miniapp-tab-promos = Promotions
miniapp-tab-services = Services
miniapp-tab-history = History
miniapp-tab-profile = Profile
miniapp-balance = Balance
miniapp-code-hint = Show this code to the partner or tell it
miniapp-top-promos = Promotions now
miniapp-all-promos = All promotions
miniapp-no-promos = No promotions right now.
miniapp-affordable = Enough points
miniapp-saving-up = Saving up
miniapp-no-services = No services yet.
miniapp-request = Get it
miniapp-request-sent = Request sent. The partner will answer in the bot.
miniapp-request-unavailable = This service cannot be requested now.
miniapp-request-unaffordable = Not enough points for this service.
miniapp-request-pending = You have already requested this service; the partner has not answered yet.
miniapp-filter-all = All
miniapp-filter-accrual = Earned
miniapp-filter-redemption = Spent
miniapp-filter-bonus = Bonuses
miniapp-no-operations = No operations yet.
miniapp-load-more = Show more
miniapp-kind-accrual = Points earned
miniapp-kind-redemption = Points spent
miniapp-kind-welcome-bonus = Welcome bonus
miniapp-kind-reversal = Operation reversed
miniapp-profile-name = Name
miniapp-profile-phone = Phone
miniapp-profile-no-phone = not shared
miniapp-profile-member-code = Member code
miniapp-profile-member-since = Member since
miniapp-profile-referred-by = Came from
miniapp-profile-no-referral = on your own
miniapp-profile-language = Language
miniapp-language-ru = Русский
miniapp-language-en = English
miniapp-not-registered = You are not a member yet. Open the bot and press /start.
miniapp-auth-failed = Open the app from the bot in Telegram.
miniapp-error = Could not load. Please try again.
miniapp-loading = Loading…
miniapp-points = { $n } { $n ->
        [one] point
       *[other] points
    }
miniapp-points-in = +{ $n }
miniapp-points-out = −{ $n }
miniapp-points-missing = { $n } { $n ->
        [one] point
       *[other] points
    } to go
miniapp-receipt = receipt { $amount }
miniapp-total-in = Earned: +{ $n }
miniapp-total-out = Spent: −{ $n }
miniapp-operations = { $n } { $n ->
        [one] operation
       *[other] operations
    }
miniapp-until = until { $month_name } { $day }
miniapp-day = { $month_name } { $day }
miniapp-date = { $month_name } { $day }, { $year }
miniapp-month-of = { $month ->
        [1] January
        [2] February
        [3] March
        [4] April
        [5] May
        [6] June
        [7] July
        [8] August
        [9] September
        [10] October
        [11] November
       *[12] December
    }
