-- The web console's send form carries a one-time key: the same author's same key again
-- (a double press, a resent form) finds the broadcast it created instead of a second one.
-- The chat's confirm has its own guard (the update's effect) and sets no key.
ALTER TABLE broadcasts ADD COLUMN submit_key text;
CREATE UNIQUE INDEX broadcasts_submit_key ON broadcasts (created_by, submit_key) WHERE submit_key IS NOT NULL;
-- The console's history lists broadcasts newest first, within a manager's neighborhood.
CREATE INDEX broadcasts_history ON broadcasts (neighborhood_id, created_at DESC, id DESC);
