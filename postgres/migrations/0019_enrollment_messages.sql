-- The office may also write to the resident behind a training enrolment, from the
-- training's list of enrollees: an office message's record can be an enrolment
-- (about_id: training_enrollments.id).
ALTER TABLE office_messages DROP CONSTRAINT office_messages_about_kind_check;
ALTER TABLE office_messages ADD CONSTRAINT office_messages_about_kind_check
    CHECK (about_kind IN ('need', 'join_request', 'enrollment'));
