-- Updates the bot gave up on (a panic, or failing again and again for a reason that is not
-- an outage): recorded, then confirmed to the platform so they stop coming. Never the
-- message's text or anything else a resident typed: what kind of update it was and why it
-- failed, so that a developer can find the bug in the logs by the update id.

CREATE TABLE failed_updates (
    platform    text NOT NULL,
    update_id   bigint NOT NULL,
    kind        text NOT NULL,                -- text, button, contact, location, other, malformed
    error       text NOT NULL,
    attempts    integer NOT NULL DEFAULT 1,   -- how often it was tried before it was given up
    first_at    timestamptz NOT NULL DEFAULT now(),
    last_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (platform, update_id)
);
CREATE INDEX failed_updates_last ON failed_updates (last_at);
