-- Every instance caches the catalog residents read on every turn: the neighborhoods, the
-- active cooperatives and the upcoming trainings (postgres/catalog.go). A change to one of
-- these tables tells every instance, on channel coopbot_catalog with the table's name, to
-- drop the part it cached from it. A change of a training's seats alone (every sign-up and
-- cancellation) says nothing: seat counts are not cached.
CREATE FUNCTION notify_catalog() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND TG_TABLE_NAME = 'trainings'
        AND to_jsonb(OLD) - 'seats_taken' = to_jsonb(NEW) - 'seats_taken' THEN
        RETURN NULL;
    END IF;
    PERFORM pg_notify('coopbot_catalog', TG_TABLE_NAME);
    RETURN NULL;
END
$$;

CREATE TRIGGER neighborhoods_catalog AFTER INSERT OR UPDATE OR DELETE ON neighborhoods
    FOR EACH ROW EXECUTE FUNCTION notify_catalog();
CREATE TRIGGER neighborhoods_catalog_truncate AFTER TRUNCATE ON neighborhoods
    FOR EACH STATEMENT EXECUTE FUNCTION notify_catalog();
CREATE TRIGGER cooperatives_catalog AFTER INSERT OR UPDATE OR DELETE ON cooperatives
    FOR EACH ROW EXECUTE FUNCTION notify_catalog();
CREATE TRIGGER cooperatives_catalog_truncate AFTER TRUNCATE ON cooperatives
    FOR EACH STATEMENT EXECUTE FUNCTION notify_catalog();
CREATE TRIGGER trainings_catalog AFTER INSERT OR UPDATE OR DELETE ON trainings
    FOR EACH ROW EXECUTE FUNCTION notify_catalog();
CREATE TRIGGER trainings_catalog_truncate AFTER TRUNCATE ON trainings
    FOR EACH STATEMENT EXECUTE FUNCTION notify_catalog();
