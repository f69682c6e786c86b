-- The name the office knows a resident by: the full name they gave in their latest
-- membership request, else the name their messenger shows. Lists and exports for staff
-- read names from here.
CREATE VIEW resident_names AS
SELECT r.id AS resident_id,
       COALESCE(
           (SELECT NULLIF(j.full_name, '') FROM join_requests j
             WHERE j.resident_id = r.id ORDER BY j.created_at DESC, j.id DESC LIMIT 1),
           r.name) AS name
FROM residents r;
