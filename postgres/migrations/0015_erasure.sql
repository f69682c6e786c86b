-- A resident's erasure of their data ("delete my data"). The resident's row stays, so
-- that the counts the office keeps (residents per neighborhood and language, requests per
-- cooperative, enrolments per training, reports per neighborhood) do not change, but every
-- personal column is emptied and the messenger identity goes with it: user_id and chat_id
-- become 0, so the person who writes again is a newcomer and nothing ties their new record
-- to the old one. An erased resident is unreachable for good: no notice or broadcast is
-- sent to them. The CHECK keeps an erased row empty and the trigger keeps it erased.
--
-- Personal data elsewhere, emptied by the erasure (postgres/profile.go): join_requests
-- (full name, national ID, phone, their hashes, the resident's own words, the reason a
-- decider wrote about them), need_reports (description, address, location) and the notes
-- on their history (need_events.note), the details of audit rows that name the person's
-- messenger identity, the notify jobs addressed to them, the chat of progress messages of
-- broadcasts they made, and the results of effects their updates committed (below).
-- failed_updates holds no text of an update and names no person.

ALTER TABLE residents ADD COLUMN erased_at timestamptz;

-- Erased rows all have user_id 0: the one person per platform and user id is among the
-- residents not erased.
ALTER TABLE residents DROP CONSTRAINT residents_platform_user_id_key;
CREATE UNIQUE INDEX residents_platform_user ON residents (platform, user_id) WHERE erased_at IS NULL;

ALTER TABLE residents ADD CONSTRAINT residents_erased_empty CHECK (erased_at IS NULL OR (
    user_id = 0 AND chat_id = 0 AND name = '' AND phone_enc IS NULL AND phone_hash IS NULL
    AND unreachable_at IS NOT NULL));

CREATE FUNCTION residents_erased_for_good() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.erased_at IS NOT NULL AND NEW.erased_at IS DISTINCT FROM OLD.erased_at THEN
        RAISE EXCEPTION 'resident % was erased: an erasure cannot be undone', OLD.id;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER residents_erased_for_good BEFORE UPDATE ON residents
    FOR EACH ROW EXECUTE FUNCTION residents_erased_for_good();

-- Whose update committed an effect ('platform:user_id'; '' outside a person's update), so
-- that an erasure also empties the results their updates stored, which may hold what they
-- typed. Rows are purged after two days as before.
ALTER TABLE effects ADD COLUMN user_ref text NOT NULL DEFAULT '';
CREATE INDEX effects_user ON effects (user_ref) WHERE user_ref <> '';
