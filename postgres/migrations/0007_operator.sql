-- Operator safety: which bot accounts have served from this database (so that the local
-- emulator never runs on a real bot's data, nor a real bot on the emulator's), a check value
-- of DATA_KEY (so that a wrong key is refused at start instead of sealing new data no one
-- can open with the right one), and where each staff role came from (so that removing
-- someone from ADMINS takes the role away).

-- Settings of the database itself, by name. 'data_key_check' is a keyed hash of a
-- constant under DATA_KEY: it tells whether a key is the one the data is sealed with and
-- reveals nothing of the key.
CREATE TABLE meta (
    name       text PRIMARY KEY,
    value      text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Bot accounts that served from this database: the local emulator's (account
-- 'emulator'), or a real bot's (its numeric id, the part of the token before the colon;
-- never the token).
CREATE TABLE bot_accounts (
    platform      text NOT NULL,
    account       text NOT NULL,
    emulator      boolean NOT NULL,
    first_used_at timestamptz NOT NULL DEFAULT now(),
    last_used_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (platform, account)
);

-- A database that already has residents was served by an account nobody recorded: it
-- counts as a real bot's, so the emulator refuses it.
INSERT INTO bot_accounts (platform, account, emulator)
SELECT 'unknown', 'before accounts were recorded', false
WHERE EXISTS (SELECT 1 FROM residents);

-- config: granted because the person is named in ADMINS (revoked when they no longer
-- are); app: granted otherwise (by hand or in the app), left alone by ADMINS.
ALTER TABLE staff ADD COLUMN source text NOT NULL DEFAULT 'app' CHECK (source IN ('config', 'app'));
UPDATE staff s SET source = 'config'
FROM residents r JOIN staff_grants g ON g.platform = r.platform AND g.user_id = r.user_id
WHERE r.id = s.resident_id;
