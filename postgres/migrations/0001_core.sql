-- Core records: neighborhoods, residents, staff roles and the audit log.

CREATE TABLE neighborhoods (
    id         bigserial PRIMARY KEY,
    city       text NOT NULL,
    name_fa    text NOT NULL,
    name_az    text NOT NULL,
    UNIQUE (city, name_fa)
);

CREATE TABLE residents (
    id              bigserial PRIMARY KEY,
    platform        text NOT NULL CHECK (platform IN ('telegram', 'bale')),
    user_id         bigint NOT NULL,
    chat_id         bigint NOT NULL,
    lang            text NOT NULL CHECK (lang IN ('fa', 'az')),
    neighborhood_id bigint REFERENCES neighborhoods (id),
    name            text NOT NULL DEFAULT '',
    phone_enc       bytea,          -- AES-GCM sealed E.164 number
    phone_hash      bytea,          -- keyed hash for lookups
    unreachable_at  timestamptz,    -- blocked the bot or chat vanished: skip sends
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (platform, user_id)
);
CREATE INDEX residents_neighborhood ON residents (neighborhood_id);

-- Staff roles. role 'staff' has office-wide rights; 'neighborhood_manager' is limited to
-- one neighborhood.
CREATE TABLE staff (
    resident_id     bigint PRIMARY KEY REFERENCES residents (id),
    role            text NOT NULL CHECK (role IN ('staff', 'neighborhood_manager')),
    neighborhood_id bigint REFERENCES neighborhoods (id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (role = 'staff' OR neighborhood_id IS NOT NULL)
);

-- People named in ADMINS become staff as soon as they finish onboarding.
CREATE TABLE staff_grants (
    platform text NOT NULL,
    user_id  bigint NOT NULL,
    PRIMARY KEY (platform, user_id)
);

-- Every staff and admin action, and every denied attempt.
CREATE TABLE audit_log (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    actor_id    bigint REFERENCES residents (id),
    action      text NOT NULL,
    subject     text NOT NULL DEFAULT '',
    allowed     boolean NOT NULL DEFAULT true,
    detail      jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_actor ON audit_log (actor_id, at);

-- Neighborhood cooperatives residents can join.
CREATE TABLE cooperatives (
    id              bigserial PRIMARY KEY,
    neighborhood_id bigint NOT NULL REFERENCES neighborhoods (id),
    name_fa         text NOT NULL,
    name_az         text NOT NULL,
    activity_fa     text NOT NULL,
    activity_az     text NOT NULL,
    min_share       bigint NOT NULL CHECK (min_share > 0), -- rials
    status          text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'closed')),
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (name_fa)
);
CREATE INDEX cooperatives_neighborhood ON cooperatives (neighborhood_id);
