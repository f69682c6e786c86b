-- Effects committed by conversation steps, keyed by the update that caused them
-- (platform:account:update_id) and their order within that update. A redelivered update
-- finds its effect here and gets the result it had the first time instead of committing
-- again. The result is sealed: it may name personal data. Rows older than two days are
-- purged (platforms keep unconfirmed updates for 24 hours).
CREATE TABLE effects (
    cause      text        NOT NULL,
    seq        int         NOT NULL,
    name       text        NOT NULL,
    result     bytea,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (cause, seq)
);
CREATE INDEX effects_created_at ON effects (created_at);
