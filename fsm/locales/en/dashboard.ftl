# The admins' web dashboard (/dashboard/). Plain text: the templates escape it.
# Counts ($n, $total, ...) are shown grouped ("12,345").

dash-title = Loyalty network
dash-nav-overview = Overview
dash-nav-charts = Charts
dash-nav-moderation = Moderation
dash-nav-partners = Partners
dash-nav-clients = Clients
dash-nav-audit = Ledger audit
dash-switch-lang = Русский
dash-logout = Sign out

dash-login-title = Sign in to the dashboard
dash-login-text = This link works once and only for a few minutes. Press the button to sign in.
dash-login-button = Sign in
dash-link-invalid-title = This link no longer works
dash-link-invalid-text = It was used already or has expired. Send /dashboard to the admin bot for a new one.
dash-not-admin-title = Not an administrator
dash-not-admin-text = This link belongs to someone who is not an administrator of the network.
dash-signin-title = Please sign in
dash-signin-text = Send /dashboard to the admin bot in Telegram and open the link it gives you.
dash-signed-out-title = You are signed out
dash-csrf-title = The form has expired
dash-csrf-text = Nothing was changed. Reload the page and try again.
dash-not-found-title = Not found
dash-not-found-text = There is no such page.
dash-unavailable-title = Temporarily unavailable
dash-unavailable-text = The dashboard cannot reach its database right now. Try again in a minute.

dash-flash-approved = Approved. The partner has been told.
dash-flash-rejected = Rejected. The partner has been told.
dash-flash-unchanged = Nothing changed: it had that status already.
dash-flash-not-found = Nothing changed: it no longer exists.
dash-flash-reason-too-long = Nothing changed: the reason is longer than 1,000 characters.

dash-clients = Clients
dash-active-clients = Active clients (30 days)
dash-partners-approved = Partners
dash-operations = Operations
dash-points-issued = Points issued
dash-points-redeemed = Points redeemed
dash-partners-other = { $pending } waiting, { $rejected } rejected
dash-operations-split = accruals { $accruals }, redemptions { $redemptions }, reversals { $reversals }
dash-points-accrued = Points accrued
dash-points-bonus = plus { $n } as welcome bonuses
dash-nps = NPS
dash-nps-score = NPS { $score }
dash-nps-groups = promoters { $promoters }, passives { $passives }, detractors { $detractors }
dash-pending-summary = Waiting for moderation: { $applications } { $applications ->
        [one] application
       *[other] applications
    }, { $services } { $services ->
        [one] service
       *[other] services
    }

dash-charts-period = The last { $days } days, by the network's calendar.
dash-chart-turnover = Turnover per day
dash-chart-operations = Operations per day
dash-chart-new-clients = New clients per day
dash-chart-nps = NPS ratings
dash-chart-top-partners = Top partners by turnover
dash-day = Day
dash-turnover = Turnover
dash-new-clients = New clients
dash-score = Score
dash-ratings = Ratings
dash-partner = Partner
dash-no-data = No data yet.

dash-applications = Partner applications
dash-services = Services
dash-no-applications = No applications are waiting.
dash-no-services = No services are waiting.
dash-contact = Contact
dash-phone = Phone
dash-city = City
dash-category = Category
dash-submitted = Submitted
dash-decision = Decision
dash-change-decision = Change the decision
dash-approve = Approve
dash-reject = Reject
dash-reason = Reason
dash-reason-hint = why it is rejected (the partner sees it)
dash-points = { $n } { $n ->
        [one] point
       *[other] points
    }

dash-search = Search
dash-search-partners = Company, contact or phone
dash-search-clients = Name, phone or member code
dash-csv = Download CSV
dash-company = Company
dash-status = Status
dash-status-pending = pending
dash-status-approved = approved
dash-status-rejected = rejected
dash-rate = Cashback
dash-since = Joined
dash-member-code = Code
dash-name = Name
dash-telegram = In Telegram
dash-referred-by = Came from
dash-balance = Balance
dash-unverified = (unverified)
dash-yes = yes
dash-no = no
dash-nothing-found = Nothing found.
dash-pages = Pages
dash-prev = Previous
dash-next = Next
dash-page-of = Page { $page } of { $pages } · { $total } { $total ->
        [one] row
       *[other] rows
    }

dash-invariants = Ledger invariants (check-ledger)
dash-ledger-clean = The ledger is consistent: no invariant is broken.
dash-ledger-broken = Some invariants are broken: see the violations below.
dash-invariant = Invariant
dash-violations = Violations
dash-settlement = Settlement by partner
dash-settlement-hint = Points the partner issued as cashback and points clients spent at it, reversals deducted; net = issued − redeemed.
dash-net = Net
dash-total = Total

# One line per check-ledger invariant, by its name (actors/src/ledger/audit.rs).
dash-invariant-accounts-sum-to-zero = The balances of all accounts add up to zero (1 = they do not).
dash-invariant-balance-equals-journal = Accounts whose balance differs from the sum of their journal entries.
dash-invariant-wallets-not-negative = Client wallets below zero.
dash-invariant-entries-positive = Journal entries that move zero or negative points.
dash-invariant-transfers-touch-the-wallet = Operations whose transfer does not move their client's wallet, or moves it from or to itself.
dash-invariant-keys-unique = Idempotency keys used by more than one operation.
dash-invariant-keys-decided-once = Keys recorded both as refused and as applied.
dash-invariant-references-resolve = Operations naming an account, a client or a partner that does not exist.
dash-invariant-welcome-bonus-once = Clients with more than one welcome bonus.
dash-invariant-reversals-valid = Reversals of a reversal, or operations reversed more than once.
