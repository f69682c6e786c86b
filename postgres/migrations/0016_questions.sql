-- Residents' questions to the office and the office's messages to residents.
--
-- A question (or complaint) is the resident's own words and optionally one photo, known by
-- the platform's file id: both are personal data, sealed (body_enc, photo_enc: the file as
-- sealed JSON). It is filed under the resident's neighborhood when they asked, so that
-- the neighborhood's managers see it (office staff see all). Staff answers are sealed too.
-- An office message is what staff (or a cooperative's admins) wrote to the resident behind
-- a need report or a membership request. The erasure of a resident (postgres/profile.go)
-- empties their questions' bodies and photos, the answers to them and the office messages
-- to them, and closes their questions; the rows stay for the counts.

CREATE TABLE questions (
    id              bigserial PRIMARY KEY,
    resident_id     bigint NOT NULL REFERENCES residents (id),
    submit_key      text NOT NULL,
    neighborhood_id bigint REFERENCES neighborhoods (id),
    body_enc        bytea NOT NULL,
    photo_enc       bytea,
    status          text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'answered', 'closed')),
    closed_by       bigint REFERENCES residents (id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (resident_id, submit_key)
);
CREATE INDEX questions_queue ON questions (status, neighborhood_id, created_at);
CREATE INDEX questions_resident ON questions (resident_id, created_at DESC);

CREATE TABLE question_answers (
    id          bigserial PRIMARY KEY,
    question_id bigint NOT NULL REFERENCES questions (id),
    author_id   bigint NOT NULL REFERENCES residents (id),
    body_enc    bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX question_answers_question ON question_answers (question_id, id);

CREATE TABLE office_messages (
    id          bigserial PRIMARY KEY,
    resident_id bigint NOT NULL REFERENCES residents (id),
    author_id   bigint NOT NULL REFERENCES residents (id),
    about_kind  text NOT NULL CHECK (about_kind IN ('need', 'join_request')),
    about_id    bigint NOT NULL,
    body_enc    bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX office_messages_resident ON office_messages (resident_id);
