# The admin bot. Texts are Telegram HTML; variables holding user text are already escaped.

admin-only = This bot is for network administrators only.
admin-menu = Admin menu: choose an action below.
admin-help =
    This is the administrators' bot of the loyalty network: moderate partners and services, watch the network and answer disputes here.

    /pending — applications and services waiting for a decision
    /stats — network statistics
    /rate — change a partner's cashback rate
    /reverse — reverse an operation (a compensating entry)
    /dashboard — a one-time link to the web dashboard
    /language — change the language
    /cancel — cancel the current action and go back to the menu

# Command descriptions for Telegram's "/" menu (setMyCommands), at most 256 characters each.
admin-cmd-pending = Applications and services to moderate
admin-cmd-stats = Network statistics
admin-cmd-rate = Change a partner's cashback rate
admin-cmd-reverse = Reverse an operation
admin-cmd-dashboard = A sign-in link to the web dashboard
admin-cmd-language = Change the language
admin-cmd-cancel = Cancel the action and go back to the menu
admin-cmd-help = What this bot can do

admin-btn-queue = 📋 Moderation
admin-btn-stats = 📊 Statistics
admin-btn-rate = 💱 Cashback rate
admin-btn-reverse = ↩️ Reversal
admin-btn-dashboard = 🖥 Dashboard
admin-btn-approve = ✅ Approve
admin-btn-reject = ❌ Reject

admin-queue-summary = Waiting for a decision: { $applications } { $applications ->
        [one] application
       *[other] applications
    }, { $services } { $services ->
        [one] service
       *[other] services
    }.
admin-queue-empty = ✨ Nothing waits for a decision.
admin-application-card =
    🏢 <b>Partner application</b> #{ $partner }
    Company: { $company }
    Contact person: { $contact }
    Phone: { $phone }
    City: { $city }
    Category: { $category }
admin-service-card =
    🛎 <b>Service</b> #{ $id } of { $company }
    <b>{ $title }</b>
    { $description }
    Price: { $price } { $price ->
        [one] point
       *[other] points
    }
admin-status-pending = ⏳ Waiting for a decision
admin-status-approved = ✅ Approved
admin-status-rejected = ❌ Rejected
admin-status-rejected-because = ❌ Rejected: { $reason }
admin-ask-reason = ❌ Rejecting { $title }. Send the reason the partner will read, or /skip to reject without one. /cancel keeps it as it is.
admin-reason-too-long = The reason is too long: at most { $max } characters, please.
admin-decided-approved = ✅ Approved; the partner is told.
admin-decided-rejected = ❌ Rejected; the partner is told.
admin-decided-already = It already has this status: nothing changed.
admin-decided-not-found = It no longer exists (a deleted service?): nothing changed.

admin-stats =
    📊 <b>Network statistics</b>

    Clients: { $clients } (active in 30 days: { $active })
    Partners: { $approved } approved, { $pending } pending, { $rejected } rejected
    Operations: { $accruals } accruals, { $redemptions } redemptions, { $reversals } reversals
    Turnover: { $turnover }
    Points issued: { $accrued } cashback + { $bonus } welcome bonuses
    Points redeemed: { $redeemed }
    NPS: { $nps } ({ $ratings } ratings: { $promoters } promoters, { $passives } passives, { $detractors } detractors)

admin-rate-ask-partner = Whose rate? Send the partner's number (#12) or a part of the company's name.
admin-rate-no-partner = No partner matches. Send another number or name, or /cancel.
admin-rate-many-partners =
    Several partners match; send the number of the one you mean:
    { $list }
admin-rate-ask-value = { $company } has a cashback rate of <b>{ $rate }</b>. Send the new rate in percent, from { $min } to { $max } (for example 7.5).
admin-rate-bad-value = Send the rate as a number of percent from { $min } to { $max }, at most two decimals (for example 7.5).
admin-rate-confirm = Change the cashback rate of { $company } from { $from } to <b>{ $to }</b>?
admin-rate-done = ✅ { $company } now gives <b>{ $to }</b> cashback (was { $from }). The partner is told.
admin-rate-unchanged = The partner already has this rate: nothing changed.
admin-rate-notice = 💱 The network administrator set your cashback rate to <b>{ $rate }</b>. It applies to accruals from now on.

admin-reverse-ask-operation = Which operation? Send its number (for example 1042; the client's /history shows it as #1042).
admin-reverse-bad-id = Send the operation's number: digits only, for example 1042.
admin-reverse-not-found = There is no operation with this number. Send another, or /cancel.
admin-reverse-card =
    🧾 <b>Operation #{ $id }</b>: { $kind }
    Client: { $code }
    Partner: { $company }
    Points: { $points }
    Receipt: { $receipt }
    Date: { $date }
admin-reverse-already = This operation is already reversed: nothing changed.
admin-reverse-not-reversible = A reversal cannot be reversed: nothing changed.
admin-reverse-ask-reason = Send the reason of the reversal (the client reads it), at most 1000 characters.
admin-reverse-confirm = Reverse this operation with a compensating entry?
admin-reverse-done = ✅ Reversed by operation #{ $reversal }. The client's balance: { $balance } { $balance ->
        [one] point
       *[other] points
    }. The client is told.
admin-reverse-insufficient = ❌ Not reversed: the client holds only { $balance } { $balance ->
        [one] point
       *[other] points
    } now and a wallet never goes below zero. Nothing changed.
admin-reverse-client-notice =
    ↩️ The network administrator corrected an operation of yours: { $change } points.
    Reason: { $reason }
    Your balance: <b>{ $balance }</b>
admin-kind-accrual = accrual
admin-kind-redemption = redemption
admin-kind-bonus = welcome bonus
admin-kind-reversal = reversal
admin-cancelled = Cancelled: nothing changed.

admin-dashboard-link = 🔐 <a href="{ $url }">Open the dashboard</a>. The link works once, for { $minutes } { $minutes ->
        [one] minute
       *[other] minutes
    }; do not forward it.
admin-dashboard-not-configured = The dashboard's address is not configured (dashboard.url or telegram.public_url).
