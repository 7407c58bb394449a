-- Extensions (docs/design.md, "Request lifecycle"): a requester asks to
-- extend time-bound access with a new request linked to the grant it
-- extends. A product says whether an extension goes through its whole chain
-- (ALL) or only the last step (LAST).
ALTER TABLE data_product ADD COLUMN extension_steps TEXT NOT NULL DEFAULT 'ALL'
    CHECK (extension_steps IN ('ALL', 'LAST'));
ALTER TABLE access_request ADD COLUMN extends_request_id TEXT;
CREATE INDEX access_request_extends ON access_request (extends_request_id);
