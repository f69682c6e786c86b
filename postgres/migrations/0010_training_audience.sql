-- Who a training is for, in both languages like its title and description. It used to be
-- asked once, and Azeri readers were shown that (Persian) text.
ALTER TABLE trainings RENAME COLUMN audience TO audience_fa;
ALTER TABLE trainings ADD COLUMN audience_az text NOT NULL DEFAULT '';

-- The demo trainings' notes are known and get their Azeri text. A note staff typed is in
-- one language only: it stays where it was, Azeri readers keep seeing it until staff add
-- the Azeri text (the staff card of the training says it is missing).
UPDATE trainings SET audience_az = CASE audience_fa
        WHEN 'ساکنان سرخاب و محله‌های اطراف' THEN 'سورخاب و یاخین محله‌لرین ساکینلری'
        WHEN 'بانوان سرپرست خانوار و صنعتگران خانگی' THEN 'عاییله باشچیسی اولان خانیملار و ائوده ال ایشی گؤرنلر'
    END
WHERE created_by IS NULL AND audience_fa IN ('ساکنان سرخاب و محله‌های اطراف', 'بانوان سرپرست خانوار و صنعتگران خانگی');
