-- /admin/requests lists every request newest first and pages by key
-- (sqlstore.ListRequests): with this index it walks the newest requests
-- backwards and stops at its page, rather than sorting the whole table.
-- Who has access and /admin/grants (sqlstore.ListGrants) need none: GRANTED
-- requests newest first are access_request_waiting (status, updated_at,
-- request_id), walked backwards.
CREATE INDEX access_request_created ON access_request (created_at, request_id);
