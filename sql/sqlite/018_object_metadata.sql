-- The embedded engine's stand-in for what Snowflake knows of an account's
-- objects, which "Read from Snowflake" fills a product's form from
-- (docs/design.md, "Read from Snowflake"): each object's columns, as
-- <db>.INFORMATION_SCHEMA.COLUMNS lists them, and the tags set on it,
-- inherited from its schema or database, or set on its columns, as the
-- TAG_REFERENCES functions list them. The demo fills them; on Snowflake
-- the procedure DESCRIBE_OBJECT reads the real ones.
CREATE TABLE object_column (
    object_name TEXT NOT NULL,
    position    INTEGER NOT NULL CHECK (position >= 1),
    column_name TEXT NOT NULL,
    data_type   TEXT NOT NULL,
    comment     TEXT,
    PRIMARY KEY (object_name, position),
    UNIQUE (object_name, column_name)
);

CREATE TABLE object_tag (
    object_name  TEXT NOT NULL,
    level        TEXT NOT NULL CHECK (level IN ('TABLE', 'SCHEMA', 'DATABASE', 'COLUMN')),
    column_name  TEXT NOT NULL DEFAULT '' CHECK ((level = 'COLUMN') = (column_name <> '')),
    tag_database TEXT NOT NULL,
    tag_schema   TEXT NOT NULL,
    tag_name     TEXT NOT NULL,
    tag_value    TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (object_name, level, column_name, tag_database, tag_schema, tag_name)
);
