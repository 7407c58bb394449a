-- The account's chain policy (docs/design.md, "Chain rules"): steps that
-- every product's chain gets after its own, each when the product carries
-- its tag or classification ("PII adds the data-protection step"). A
-- request copies the resolved chain when it is submitted.
CREATE TABLE chain_policy (
    step_order     INTEGER NOT NULL PRIMARY KEY CHECK (step_order >= 1),
    approver_role  TEXT NOT NULL,
    step_label     TEXT NOT NULL,
    deadline_hours INTEGER,
    fallback_role  TEXT,
    step_kind      TEXT NOT NULL DEFAULT 'ROLE' CHECK (step_kind IN ('ROLE', 'MANAGER')),
    when_tag       TEXT,
    quorum         INTEGER NOT NULL DEFAULT 1 CHECK (quorum BETWEEN 1 AND 5)
);
