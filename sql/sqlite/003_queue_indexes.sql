-- The approver queue walks pending requests oldest first and, for each,
-- looks up its current step's role until it has a page of steps for the
-- viewer's roles. At a million requests those look-ups dominated: the
-- order's tie-break (request_id) needed a sort, and each step's role meant
-- a visit to the table as well as the primary key. With request_id in the
-- pending index and the role beside the step's key, the walk reads indexes
-- only. Decisions do not pay for either: they change neither created_at,
-- request_id nor approver_role.
CREATE INDEX access_request_pending ON access_request (status, created_at, request_id);
DROP INDEX access_request_status;
CREATE INDEX request_step_role ON request_step (request_id, step_order, approver_role);
