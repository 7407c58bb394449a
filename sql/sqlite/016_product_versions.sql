-- Catalog administration (docs/design.md, "Product administration"): every
-- save of a product from the admin pages or the SQL API keeps the whole
-- definition as a numbered version, with its hash, which the save's
-- PRODUCT_SAVED audit event records (details: version=N;sha256=<hash>;
-- catalog=<hash>), so the verifier can tell a version row, or a product's
-- catalog row or rules, edited on its own.
CREATE TABLE product_version (
    product_id      TEXT NOT NULL,
    version         INTEGER NOT NULL CHECK (version >= 1),
    saved_at        TIMESTAMP NOT NULL,
    saved_by        TEXT NOT NULL,
    definition      TEXT NOT NULL,   -- the definition's JSON (signoff.Definition)
    definition_hash TEXT NOT NULL,   -- SHA2(definition, 256), lower-case hex
    catalog_hash    TEXT NOT NULL,   -- SHA2 of the catalog row and rules the save wrote (sqlstore.CatalogFingerprint)
    PRIMARY KEY (product_id, version)
);
