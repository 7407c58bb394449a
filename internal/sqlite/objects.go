package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/signoff/signoff/internal/signoff"
)

// The embedded engine's record of the account's objects (object_column,
// object_tag), which "Read from Snowflake" reads as the Snowflake engine
// reads INFORMATION_SCHEMA (docs/design.md, "Read from Snowflake").

var _ signoff.ObjectReader = (*Store)(nil)

// RecordObject replaces what the engine knows of m.Object: its columns, in
// order, and its tag references (the demo's objects, tests' objects).
func (s *Store) RecordObject(ctx context.Context, m signoff.ObjectMetadata) error {
	object := strings.ToUpper(m.Object)
	err := s.tx(ctx, func(tx *sql.Tx) error {
		for _, q := range []string{`DELETE FROM object_column WHERE object_name = ?`, `DELETE FROM object_tag WHERE object_name = ?`} {
			if _, err := tx.ExecContext(ctx, q, object); err != nil {
				return err
			}
		}
		for i, c := range m.Columns {
			if _, err := tx.ExecContext(ctx, `INSERT INTO object_column (object_name, position, column_name, data_type, comment)
VALUES (?, ?, ?, ?, NULLIF(?, ''))`, object, i+1, c.Name, c.Type, c.Comment); err != nil {
				return err
			}
		}
		for _, t := range m.Tags {
			if _, err := tx.ExecContext(ctx, `INSERT INTO object_tag (object_name, level, column_name, tag_database, tag_schema, tag_name, tag_value)
VALUES (?, ?, ?, ?, ?, ?, ?)`, object, t.Level, t.Column, t.Database, t.Schema, t.Name, t.Value); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqlite: record object %s: %w", object, translate(err))
	}
	return nil
}

// ObjectMetadata reads object's columns and tags. As on Snowflake, only
// admins read them (the Service checks; the engine has no other caller),
// at most signoff.MaxColumns+1 columns and signoff.MaxTagReferences tags
// are read, and an object with no columns (or "") is one the engine cannot
// see, answered with the objects it can.
func (s *Store) ObjectMetadata(ctx context.Context, _ signoff.Identity, object string) (signoff.ObjectMetadata, error) {
	object = strings.ToUpper(object)
	m := signoff.ObjectMetadata{Object: object}
	rows, err := s.db.QueryContext(ctx, `SELECT column_name, data_type, COALESCE(comment, '') FROM object_column
WHERE object_name = ? ORDER BY position LIMIT ?`, object, signoff.MaxColumns+1)
	if err != nil {
		return m, fmt.Errorf("sqlite: describe %s: %w", object, translate(err))
	}
	for rows.Next() {
		var c signoff.ObjectColumn
		if err := rows.Scan(&c.Name, &c.Type, &c.Comment); err != nil {
			rows.Close()
			return m, fmt.Errorf("sqlite: describe %s: %w", object, translate(err))
		}
		m.Columns = append(m.Columns, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return m, fmt.Errorf("sqlite: describe %s: %w", object, translate(err))
	}
	if len(m.Columns) == 0 {
		readable, err := s.readableObjects(ctx)
		if err != nil {
			return m, fmt.Errorf("sqlite: describe %s: %w", object, err)
		}
		m.Readable = readable
		return m, fmt.Errorf("sqlite: describe %s: %w", object, signoff.Outcome{Code: signoff.CodeObjectNotVisible}.Err())
	}
	rows, err = s.db.QueryContext(ctx, `SELECT level, column_name, tag_database, tag_schema, tag_name, tag_value FROM object_tag
WHERE object_name = ?
ORDER BY CASE level WHEN 'TABLE' THEN 1 WHEN 'SCHEMA' THEN 2 WHEN 'DATABASE' THEN 3 ELSE 4 END, column_name, tag_database, tag_schema, tag_name
LIMIT ?`, object, signoff.MaxTagReferences)
	if err != nil {
		return m, fmt.Errorf("sqlite: describe %s: tags: %w", object, translate(err))
	}
	for rows.Next() {
		var t signoff.TagReference
		if err := rows.Scan(&t.Level, &t.Column, &t.Database, &t.Schema, &t.Name, &t.Value); err != nil {
			rows.Close()
			return m, fmt.Errorf("sqlite: describe %s: tags: %w", object, translate(err))
		}
		m.Tags = append(m.Tags, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return m, fmt.Errorf("sqlite: describe %s: tags: %w", object, translate(err))
	}
	return m, nil
}

// readableObjects lists the objects recorded, in order, at most
// signoff.MaxReadableObjects.
func (s *Store) readableObjects(ctx context.Context) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT object_name FROM object_column ORDER BY object_name LIMIT ?`,
		signoff.MaxReadableObjects)
	if err != nil {
		return nil, fmt.Errorf("readable objects: %w", translate(err))
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, fmt.Errorf("readable objects: %w", translate(err))
		}
		out = append(out, name)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("readable objects: %w", translate(err))
	}
	return out, nil
}
