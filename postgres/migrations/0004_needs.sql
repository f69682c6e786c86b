-- Livelihood need reports and their status history.

-- A resident's report. Description, address and location are personal data: sealed
-- (AES-GCM) like phone numbers, readable only through the store by the resident and by
-- staff whose scope covers the neighborhood.
CREATE TABLE need_reports (
    id              bigserial PRIMARY KEY,
    code            text NOT NULL UNIQUE CHECK (code ~ '^[1-9][0-9]{5}$'), -- tracking code
    resident_id     bigint NOT NULL REFERENCES residents (id),
    submit_key      text NOT NULL,  -- one per report being written: a retried submit finds it
    neighborhood_id bigint NOT NULL REFERENCES neighborhoods (id), -- the resident's, at submit time
    category        text NOT NULL CHECK (category IN ('employment', 'food', 'housing', 'health',
                        'education', 'debt', 'disability', 'other')),
    household_size  int NOT NULL CHECK (household_size BETWEEN 1 AND 30),
    urgency         smallint NOT NULL CHECK (urgency BETWEEN 1 AND 3), -- 1 urgent, 2 soon, 3 normal
    description_enc bytea NOT NULL,
    address_enc     bytea,          -- typed address, when given
    location_enc    bytea,          -- "lat,lon", when shared
    status          text NOT NULL DEFAULT 'received' CHECK (status IN ('received', 'reviewing',
                        'referred', 'resolved', 'closed')),
    referred_to     text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (resident_id, submit_key)
);
-- The staff queue: by status and neighborhood, most urgent and oldest first.
CREATE INDEX need_reports_queue ON need_reports (status, neighborhood_id, urgency, created_at, id);
CREATE INDEX need_reports_resident ON need_reports (resident_id, created_at);
CREATE INDEX need_reports_created ON need_reports (created_at);

-- Every status a report went through: the submission (actor NULL: the resident) and each
-- change by staff, with who, when, to whom it was referred and the note the resident saw.
CREATE TABLE need_events (
    id          bigserial PRIMARY KEY,
    report_id   bigint NOT NULL REFERENCES need_reports (id),
    at          timestamptz NOT NULL DEFAULT now(),
    actor_id    bigint REFERENCES residents (id),
    status      text NOT NULL,
    referred_to text NOT NULL DEFAULT '',
    note        text NOT NULL DEFAULT ''
);
CREATE INDEX need_events_report ON need_events (report_id, id);
