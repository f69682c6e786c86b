-- Photos and documents a resident attaches to a need report (a prescription, a bill): at
-- most three per report, in the order sent. Only the messenger's file id is kept, never the
-- file: staff are sent the file again by its id (from the other platform it is carried over
-- by the bot). The file id and a document's name are sealed (AES-GCM) like the report's
-- description: an id fetches the file with the bot's token, and a name may name a person.
-- They are written in the transaction that creates the report and deleted when the
-- resident erases their data (postgres/profile.go).
CREATE TABLE need_attachments (
    report_id   bigint NOT NULL REFERENCES need_reports (id),
    position    smallint NOT NULL CHECK (position BETWEEN 1 AND 3),
    platform    text NOT NULL CHECK (platform IN ('telegram', 'bale')),
    kind        text NOT NULL CHECK (kind IN ('photo', 'document')),
    file_id_enc bytea NOT NULL,
    name_enc    bytea,          -- a document's file name, when it has one
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (report_id, position)
);
