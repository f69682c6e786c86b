-- A broadcast may carry a photo or a document (sent by the platform's file id, with the text
-- as its caption) and a button that opens a training's sign-up or a cooperative's form for
-- whoever presses it. Both are optional; a broadcast of text alone has neither.
ALTER TABLE broadcasts ADD COLUMN file jsonb;   -- {"platform": "bale", "kind": "photo", "id": "…", "name": "…"}
ALTER TABLE broadcasts ADD COLUMN button jsonb; -- {"kind": "training", "id": 12}
ALTER TABLE broadcasts ADD CONSTRAINT broadcasts_file_caption
    CHECK (file IS NULL OR (length(text_fa) <= 1024 AND length(text_az) <= 1024));
