-- The office's web console: one-time sign-in links sent by the bot, and the sessions they
-- open. Only keyed hashes of the link and session tokens are stored (a rekey voids them:
-- everyone signs in again).

-- A sign-in link: single use, short-lived, bound to the person it was sent to.
CREATE TABLE console_links (
    id          bigserial PRIMARY KEY,
    token_hash  bytea NOT NULL UNIQUE,
    resident_id bigint NOT NULL REFERENCES residents (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);
CREATE INDEX console_links_resident ON console_links (resident_id, created_at);

-- A signed-in browser: expires, and ends at sign-out (revoked_at).
CREATE TABLE console_sessions (
    id          bigserial PRIMARY KEY,
    token_hash  bytea NOT NULL UNIQUE,
    resident_id bigint NOT NULL REFERENCES residents (id),
    link_id     bigint NOT NULL REFERENCES console_links (id),
    lang        text NOT NULL CHECK (lang IN ('fa', 'az')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    revoked_at  timestamptz
);
CREATE INDEX console_sessions_resident ON console_sessions (resident_id) WHERE revoked_at IS NULL;
CREATE INDEX audit_log_at ON audit_log (at DESC, id DESC);
