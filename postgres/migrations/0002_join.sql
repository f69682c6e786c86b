-- Joining cooperatives: member counts, cooperative admins and their one-time invite codes,
-- membership requests, and the daily reminder of requests left pending.

ALTER TABLE cooperatives ADD COLUMN members integer NOT NULL DEFAULT 0 CHECK (members >= 0);

-- Residents who decide on a cooperative's membership requests. They become admins by
-- sending a one-time invite code that staff created.
CREATE TABLE cooperative_admins (
    cooperative_id bigint NOT NULL REFERENCES cooperatives (id),
    resident_id    bigint NOT NULL REFERENCES residents (id),
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (cooperative_id, resident_id)
);
CREATE INDEX cooperative_admins_resident ON cooperative_admins (resident_id);

-- One-time invite codes. Only a keyed hash of the code is stored.
CREATE TABLE coop_invites (
    id             bigserial PRIMARY KEY,
    code_hash      bytea NOT NULL UNIQUE,
    cooperative_id bigint NOT NULL REFERENCES cooperatives (id),
    created_by     bigint NOT NULL REFERENCES residents (id),
    created_at     timestamptz NOT NULL DEFAULT now(),
    expires_at     timestamptz NOT NULL,
    used_by        bigint REFERENCES residents (id),
    used_at        timestamptz
);

CREATE TABLE join_requests (
    id               bigserial PRIMARY KEY,
    cooperative_id   bigint NOT NULL REFERENCES cooperatives (id),
    resident_id      bigint NOT NULL REFERENCES residents (id),
    full_name        text NOT NULL,
    national_id_enc  bytea NOT NULL,   -- AES-GCM sealed
    national_id_hash bytea NOT NULL,   -- keyed hash for lookups
    phone_enc        bytea NOT NULL,   -- AES-GCM sealed E.164 number
    phone_hash       bytea NOT NULL,
    share            bigint NOT NULL CHECK (share > 0), -- pledged share, rials
    skills           text[] NOT NULL DEFAULT '{}',
    skills_other     text NOT NULL DEFAULT '',
    status           text NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'approved', 'rejected', 'withdrawn')),
    decided_by       bigint REFERENCES residents (id),
    decided_at       timestamptz,
    reason_code      text NOT NULL DEFAULT '',
    reason_text      text NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CHECK ((status = 'pending') = (decided_at IS NULL))
);
-- One open request per resident and cooperative.
CREATE UNIQUE INDEX join_requests_one_open ON join_requests (cooperative_id, resident_id) WHERE status = 'pending';
CREATE INDEX join_requests_resident ON join_requests (resident_id, created_at DESC);
CREATE INDEX join_requests_pending ON join_requests (cooperative_id, created_at) WHERE status = 'pending';

-- The day (Asia/Tehran) a cooperative's admins were last reminded of old pending requests.
CREATE TABLE join_reminders (
    cooperative_id bigint PRIMARY KEY REFERENCES cooperatives (id),
    reminded_on    date NOT NULL
);
