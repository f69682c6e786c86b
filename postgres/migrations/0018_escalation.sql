-- Urgent need reports left at "received": the reminders sent about each, one row per
-- report and level (1: the neighborhood's managers, 2: the office staff). The row is the
-- claim: whichever instance inserts it sends that reminder, and nobody sends it again.
CREATE TABLE need_escalations (
    report_id bigint NOT NULL REFERENCES need_reports (id),
    level     smallint NOT NULL CHECK (level IN (1, 2)),
    sent_at   timestamptz NOT NULL,
    PRIMARY KEY (report_id, level)
);
