-- Chain rules (docs/design.md, "Chains that follow the data"): a chain step
-- has a kind (a role's members, the product's owner role, the requester's
-- manager), may apply only to products with a tag or classification, and
-- may need several approvals from distinct members. A request copies the
-- resolved chain when it is submitted.
ALTER TABLE approval_chain ADD COLUMN step_kind TEXT NOT NULL DEFAULT 'ROLE'
    CHECK (step_kind IN ('ROLE', 'OWNER', 'MANAGER'));
ALTER TABLE approval_chain ADD COLUMN when_tag TEXT;
ALTER TABLE approval_chain ADD COLUMN quorum INTEGER NOT NULL DEFAULT 1 CHECK (quorum BETWEEN 1 AND 5);
