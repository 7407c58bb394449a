-- The approver queue now orders by how long each request has waited at its
-- current step, oldest or newest first, and pages by keyset on
-- (updated_at, request_id): a pending request's updated_at is when it
-- reached its current step (its submission, or the previous step's
-- approval). This index lets the queue's read walk the pending requests in
-- that order, either way, enter at a page's key and stop at its limit, as
-- access_request_pending let it do in submission order. Nothing else read
-- that one (the admins' list of requests awaiting a grant orders by
-- updated_at too), so it goes: an approval moving a request to its next
-- step now changes this index's key, and no longer also pays for the other.
CREATE INDEX access_request_waiting ON access_request (status, updated_at, request_id);
DROP INDEX access_request_pending;
