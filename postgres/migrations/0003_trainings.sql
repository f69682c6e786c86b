-- Trainings in the neighborhoods, residents' enrolments (seat or wait-list) and the
-- reminders scheduled for confirmed enrolments.

CREATE TABLE trainings (
    id               bigserial PRIMARY KEY,
    neighborhood_id  bigint NOT NULL REFERENCES neighborhoods (id),
    title_fa         text NOT NULL,
    title_az         text NOT NULL,
    description_fa   text NOT NULL,
    description_az   text NOT NULL,
    venue_name       text NOT NULL,
    venue_address    text NOT NULL,
    audience         text NOT NULL DEFAULT '',
    starts_at        timestamptz NOT NULL,
    duration_minutes integer NOT NULL CHECK (duration_minutes > 0),
    capacity         integer NOT NULL CHECK (capacity > 0),
    -- Confirmed enrolments. Changed only while the row is locked (SELECT … FOR UPDATE),
    -- and the CHECK makes overbooking impossible even for a faulty caller.
    seats_taken      integer NOT NULL DEFAULT 0 CHECK (seats_taken >= 0 AND seats_taken <= capacity),
    status           text NOT NULL DEFAULT 'published' CHECK (status IN ('published', 'cancelled')),
    rev              integer NOT NULL DEFAULT 1, -- bumped by every edit
    created_by       bigint REFERENCES residents (id),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    cancelled_at     timestamptz
);
CREATE INDEX trainings_upcoming ON trainings (starts_at) WHERE status = 'published';
CREATE INDEX trainings_neighborhood ON trainings (neighborhood_id, starts_at);

-- The id is taken while the training row is locked, so it is the arrival order: the
-- wait-list is served by id.
CREATE TABLE training_enrollments (
    id           bigserial PRIMARY KEY,
    training_id  bigint NOT NULL REFERENCES trainings (id),
    resident_id  bigint NOT NULL REFERENCES residents (id),
    status       text NOT NULL CHECK (status IN ('confirmed', 'waitlisted', 'cancelled')),
    attended     boolean, -- NULL until staff mark attendance
    created_at   timestamptz NOT NULL DEFAULT now(),
    confirmed_at timestamptz,
    cancelled_at timestamptz
);
-- One active enrolment per resident and training: a double press never enrols twice.
CREATE UNIQUE INDEX training_enrollments_active ON training_enrollments (training_id, resident_id)
    WHERE status <> 'cancelled';
CREATE INDEX training_enrollments_queue ON training_enrollments (training_id, status, id);
CREATE INDEX training_enrollments_resident ON training_enrollments (resident_id, id);

-- A reminder is a notify job (River) whose check names a row here; when the job runs it
-- is sent only if the enrolment is still confirmed and the training still published, at
-- the same start time and revision.
CREATE TABLE training_reminders (
    id            bigserial PRIMARY KEY,
    enrollment_id bigint NOT NULL REFERENCES training_enrollments (id),
    training_id   bigint NOT NULL REFERENCES trainings (id),
    kind          text NOT NULL CHECK (kind IN ('day', 'hours')),
    rev           integer NOT NULL,
    starts_at     timestamptz NOT NULL,
    due_at        timestamptz NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX training_reminders_training ON training_reminders (training_id, rev);
CREATE INDEX training_reminders_enrollment ON training_reminders (enrollment_id);
