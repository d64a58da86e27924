-- People and the things they own: partners (with their application history), clients, services, promotions,
-- NPS ratings, redemption requests and the admin audit log. The ledger lives in 0002, its functions in ../functions/.
--
-- Identifiers are bigint surrogate keys; Telegram ids are separate columns because a client enrolled by phone has no
-- Telegram id until they claim the record (SPEC §3) -- never a fake id.

CREATE TABLE partners (
    id              bigserial PRIMARY KEY,
    telegram_id     bigint      NOT NULL UNIQUE,
    contact_name    text        NOT NULL CHECK (char_length(contact_name) BETWEEN 1 AND 200),
    company_name    text        NOT NULL CHECK (char_length(company_name) BETWEEN 1 AND 200),
    phone           text        CHECK (phone ~ '^\+[1-9][0-9]{9,14}$'),
    city            text        CHECK (char_length(city) <= 100),
    category        text        CHECK (char_length(category) <= 100),
    -- Moderation state of the partner's application; only 'approved' partners may move points.
    status          text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
    -- Basis points: 500 = 5 %. Bounds are network policy (config) and checked again here as a last line.
    cashback_bp     integer     NOT NULL DEFAULT 500 CHECK (cashback_bp BETWEEN 1 AND 10000),
    -- Deep-link payload for the client bot (`?start=`), at most 64 chars of A-Za-z0-9_- as Telegram requires.
    referral_code   text        NOT NULL UNIQUE CHECK (referral_code ~ '^[A-Za-z0-9_-]{1,64}$'),
    language        text        NOT NULL DEFAULT 'ru' CHECK (language IN ('ru', 'en')),
    -- A language the partner chose with /language; it wins over the language_code Telegram reports.
    language_override text      CHECK (language_override IN ('ru', 'en')),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX partners_status_idx ON partners (status, created_at);

-- Every status change of an application, so a re-decision keeps its history (SPEC §6).
CREATE TABLE partner_application_events (
    id          bigserial PRIMARY KEY,
    partner_id  bigint      NOT NULL REFERENCES partners (id),
    status      text        NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    reason      text        CHECK (char_length(reason) <= 1000),
    -- NULL when the applicant themself submitted; the admin's Telegram id otherwise.
    decided_by  bigint,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX partner_application_events_partner_idx ON partner_application_events (partner_id, created_at);

CREATE TABLE clients (
    id                  bigserial PRIMARY KEY,
    -- NULL while the client was enrolled by a partner by phone and has not opened the client bot yet.
    telegram_id         bigint      UNIQUE,
    -- E.164, verified through Telegram's contact button (or typed by the enrolling partner, unverified until claimed).
    phone               text        UNIQUE CHECK (phone ~ '^\+[1-9][0-9]{9,14}$'),
    phone_verified      boolean     NOT NULL DEFAULT false,
    -- Short code a partner can type instead of a phone; unambiguous alphabet (no 0/O/1/I).
    member_code         text        NOT NULL UNIQUE CHECK (member_code ~ '^[2-9A-HJ-NP-Z]{6}$'),
    first_name          text        CHECK (char_length(first_name) <= 200),
    language            text        NOT NULL DEFAULT 'ru' CHECK (language IN ('ru', 'en')),
    -- A language the client chose with /language; it wins over the language_code Telegram reports.
    language_override   text        CHECK (language_override IN ('ru', 'en')),
    referred_by         bigint      REFERENCES partners (id),
    registered_via      text        NOT NULL CHECK (registered_via IN ('partner_link', 'bot', 'partner_enrolment')),
    created_at          timestamptz NOT NULL DEFAULT now(),
    claimed_at          timestamptz,
    -- A client must be reachable somehow: by Telegram or by the phone a partner enrolled.
    CHECK (telegram_id IS NOT NULL OR phone IS NOT NULL),
    CHECK (NOT phone_verified OR (phone IS NOT NULL AND telegram_id IS NOT NULL))
);
CREATE INDEX clients_referred_by_idx ON clients (referred_by, created_at);

CREATE TABLE services (
    id            bigserial PRIMARY KEY,
    partner_id    bigint      NOT NULL REFERENCES partners (id),
    title         text        NOT NULL CHECK (char_length(title) BETWEEN 3 AND 100),
    description   text        NOT NULL CHECK (char_length(description) <= 1000),
    price_points  bigint      NOT NULL CHECK (price_points > 0),
    status        text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
    reject_reason text        CHECK (char_length(reject_reason) <= 1000),
    deleted_at    timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    decided_at    timestamptz
);
CREATE INDEX services_partner_idx ON services (partner_id) WHERE deleted_at IS NULL;
CREATE INDEX services_status_idx ON services (status, price_points) WHERE deleted_at IS NULL;

CREATE TABLE promotions (
    id            bigserial PRIMARY KEY,
    partner_id    bigint      NOT NULL REFERENCES partners (id),
    title         text        NOT NULL CHECK (char_length(title) BETWEEN 3 AND 100),
    description   text        NOT NULL CHECK (char_length(description) <= 1000),
    discount_text text        NOT NULL CHECK (char_length(discount_text) <= 100),
    -- Calendar dates in the network time zone, both inclusive.
    starts_on     date        NOT NULL,
    ends_on       date        NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_on >= starts_on)
);
CREATE INDEX promotions_partner_idx ON promotions (partner_id, ends_on);
CREATE INDEX promotions_visible_idx ON promotions (ends_on, starts_on);

-- Redemptions wait for the client's consent (SPEC §2); the ledger operation exists only after approval.
CREATE TABLE redemption_requests (
    id              bigserial PRIMARY KEY,
    client_id       bigint      NOT NULL REFERENCES clients (id),
    partner_id      bigint      NOT NULL REFERENCES partners (id),
    service_id      bigint      REFERENCES services (id),
    points          bigint      NOT NULL CHECK (points > 0),
    receipt_kopecks bigint      CHECK (receipt_kopecks > 0),
    status          text        NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'approved', 'declined', 'expired', 'failed')),
    -- The ledger idempotency key used when approved, so a double tap on Approve redeems once.
    idempotency_key text        NOT NULL UNIQUE,
    expires_at      timestamptz NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    decided_at      timestamptz
);
CREATE INDEX redemption_requests_pending_idx ON redemption_requests (expires_at) WHERE status = 'pending';
CREATE INDEX redemption_requests_client_idx ON redemption_requests (client_id, created_at);

CREATE TABLE admin_audit_log (
    id          bigserial PRIMARY KEY,
    admin_id    bigint      NOT NULL,
    action      text        NOT NULL CHECK (char_length(action) BETWEEN 1 AND 100),
    subject     text        NOT NULL CHECK (char_length(subject) <= 200),
    detail      jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX admin_audit_log_created_idx ON admin_audit_log (created_at);

-- Admin notifications sent, so a new application or service is pushed to every admin exactly once across restarts
-- and replicas (SPEC §6; prototype defect D12).
CREATE TABLE admin_notifications (
    admin_id    bigint      NOT NULL,
    subject     text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (admin_id, subject)
);

-- Languages chosen with /language by people who have no row of their own to keep it in: admins, and users of the
-- client bot before they register (copied to clients.language_override when they do). Registered partners and
-- clients keep theirs in language_override.
CREATE TABLE language_choices (
    bot         text        NOT NULL CHECK (bot IN ('partner', 'client', 'admin')),
    telegram_id bigint      NOT NULL,
    language    text        NOT NULL CHECK (language IN ('ru', 'en')),
    chosen_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (bot, telegram_id)
);
