# The client bot. Texts are Telegram HTML; $partner is already escaped.
# Numbers ($bonus, $points, $balance) are shown grouped ("12,345").

client-welcome-new = 🎉 Welcome to the loyalty network! You got <b>{ $bonus }</b> welcome { $bonus ->
        [one] point
       *[other] points
    }.
client-welcome-referred = 🎉 Welcome! You came from <b>{ $partner }</b> and got <b>{ $bonus }</b> welcome { $bonus ->
        [one] point
       *[other] points
    }.
client-welcome-back = 👋 Hello again!
client-help =
    This is the bot of the loyalty network: you earn points for purchases at the network's partners and pay for the next ones with them.

    /balance — my balance
    /history — my operations
    /code — my member code (tell it to a partner instead of your phone)
    /promos — partners' promotions
    /services — partners' services
    /language — change the language
    /cancel — cancel the current action and go back to the menu

client-ask-contact = So partners can find you by phone, share your number with the button below.
client-contact-not-own = Only your own number can be shared — use the “Share my number” button.
client-phone-unreadable = We could not read the number in your contact card. Please contact support and we will add it by hand.
client-contact-saved = ✅ Number confirmed.
client-claimed =
    ✅ Number confirmed. A partner had already opened a card for this number — it is yours now, with its points and history.
    💰 Balance: <b>{ $balance }</b> { $balance ->
        [one] point
       *[other] points
    }.
client-history-title = 📜 <b>Your operations</b>
client-history-empty = No operations yet.
client-history-line-receipt = { $when } · { $partner }: <b>{ $points }</b> (receipt { $amount })
client-history-line = { $when } · { $partner }: <b>{ $points }</b>
client-history-line-bonus = { $when } · welcome bonus: <b>{ $points }</b>
client-history-line-reversal = { $when } · operation reversed: <b>{ $points }</b>
client-btn-older = ◀️ Older
client-btn-newer = Newer ▶️
client-promos-title = 🎁 <b>Partner promotions</b>
client-promos-empty = No promotions right now — check back later.
client-promo-line =
    <b>{ $partner }</b>: { $title }
    { $discount } · until { $ends }
client-services-title = 🛍 <b>Services for points</b>
    Your balance: <b>{ $balance }</b> { $balance ->
        [one] point
       *[other] points
    }.
client-services-empty = No services for points yet.
client-services-affordable = <b>You can afford:</b>
client-services-saving = <b>Saving up for:</b>
client-service-line = • { $title } — { $partner }, <b>{ $price }</b> { $price ->
        [one] point
       *[other] points
    }
client-btn-service-request = 🛍 { $title } · { $price }
client-service-confirm =
    Request “{ $title }” from { $partner } for <b>{ $price }</b> { $price ->
        [one] point
       *[other] points
    }? You have { $balance }. The points are redeemed when the partner accepts.
client-btn-request = ✅ Request
client-service-requested = 📨 Your request for “{ $title }” was sent to { $partner }. We will tell you when they answer.
client-service-unavailable = This service cannot be requested now: it was withdrawn or your points are not enough.
client-service-already-requested = You have already requested this service; the partner has not answered yet.
client-service-request-cancelled = Request cancelled.
client-service-accepted = ✅ { $partner } accepted your request for “{ $title }”: <b>{ $points }</b> { $points ->
        [one] point
       *[other] points
    } redeemed. Balance: <b>{ $balance }</b>.
client-service-declined = { $partner } declined your request for “{ $title }”. No points were redeemed.
client-phone-taken = This number already belongs to another member. Please contact support.
client-balance =
    💰 Your balance: <b>{ $balance }</b> { $balance ->
        [one] point
       *[other] points
    }.
    Member code: <code>{ $code }</code>
client-member-code =
    Your member code: <code>{ $code }</code>
    Tell it to a partner instead of your phone.
client-not-registered = Please press /start first.
client-accrual-notice = 💰 { $partner }: <b>{ $points }</b> { $points ->
        [one] point
       *[other] points
    } credited for a { $amount } purchase. Your balance: <b>{ $balance }</b>.
# --- Partner money: redemption consent and NPS ---
client-consent-ask =
    🛒 <b>{ $partner }</b> asks to redeem <b>{ $points }</b> { $points ->
        [one] point
       *[other] points
    } from your balance ({ $balance }).
    Approve within { $minutes } { $minutes ->
        [one] minute
       *[other] minutes
    }.
client-consent-ask-receipt =
    🛒 <b>{ $partner }</b> asks to redeem <b>{ $points }</b> { $points ->
        [one] point
       *[other] points
    } from your balance ({ $balance }) against a { $amount } receipt.
    Approve within { $minutes } { $minutes ->
        [one] minute
       *[other] minutes
    }.
client-btn-approve = ✅ Approve
client-btn-decline = ✖️ Decline
client-consent-approved = ✅ Approved: <b>{ $points }</b> { $points ->
        [one] point
       *[other] points
    } redeemed at { $partner }. Your balance: <b>{ $balance }</b>.
client-consent-declined = You declined the redemption of { $points } { $points ->
        [one] point
       *[other] points
    } at { $partner }. Nothing was redeemed.
client-consent-expired = ⌛ The request of { $partner } to redeem { $points } { $points ->
        [one] point
       *[other] points
    } has expired. Nothing was redeemed.
client-consent-insufficient = Your balance is <b>{ $balance }</b>, less than { $points }: nothing was redeemed.
client-consent-failed = The redemption could not be made. Nothing was redeemed.
client-consent-already-answered = This request has already been answered.
client-nps-ask = How likely are you to recommend <b>{ $partner }</b> to a friend? Rate from 0 to 10.
client-nps-thanks = ⭐ Thank you for your rating: { $rating }!
client-nps-already-rated = You have already rated this purchase. Thank you!

client-btn-balance = 💰 Balance
client-btn-code = 🔑 My code
client-btn-share-contact = 📱 Share my number

# Command descriptions for Telegram's "/" menu (setMyCommands), at most 256 characters each.
client-cmd-balance = My balance
client-cmd-history = My operations
client-cmd-code = My member code
client-cmd-promos = Partners' promotions
client-cmd-services = Partners' services
client-cmd-language = Change the language
client-cmd-cancel = Cancel the action and go back to the menu
client-cmd-help = What this bot can do
