-- A national ID has one open request or one membership per cooperative, whichever account
-- it comes from, and a request's card says where else it has applied or is a member: both
-- look requests up by the keyed hash of the national ID among the open and approved ones.
CREATE INDEX join_requests_nid ON join_requests (national_id_hash, cooperative_id)
    WHERE status IN ('pending', 'approved');
