-- The console finds a resident by phone or national ID through their keyed hashes.
CREATE INDEX residents_phone_hash ON residents (phone_hash) WHERE phone_hash IS NOT NULL;
CREATE INDEX join_requests_phone_hash ON join_requests (phone_hash);
