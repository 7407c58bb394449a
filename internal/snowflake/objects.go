package snowflake

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/signoff/signoff/internal/signoff"
)

// "Read from Snowflake" (docs/snowflake.md, section 13): the product form
// reads an object's columns and tags with one CALL of DESCRIBE_OBJECT in
// the admin's own caller's-rights session. The procedure checks
// SIGNOFF_ADMIN there and reads the object's metadata as SIGNOFF_OWNER,
// which sees only objects an admin granted it REFERENCES on.

var _ signoff.ObjectReader = (*Store)(nil)

// objectData is DESCRIBE_OBJECT's data when it answers OK. Columns and
// Tags are pointers so that an answer without them is told from an empty
// list.
type objectData struct {
	Object  string                  `json:"object"`
	Columns *[]signoff.ObjectColumn `json:"columns"`
	Tags    *[]signoff.TagReference `json:"tags"`
}

// notVisibleData is DESCRIBE_OBJECT's data when it answers
// OBJECT_NOT_VISIBLE: the objects Signoff can read, for the admin to pick
// from (none when the procedure predates the list).
type notVisibleData struct {
	Readable []string `json:"readable"`
}

// ObjectMetadata reads object (DATABASE.SCHEMA.OBJECT, or "" for none) for
// actor: DESCRIBE_OBJECT in actor's session. A refusal is the error of its
// code (signoff.CodeOf tells which): OBJECT_NOT_VISIBLE when Signoff cannot
// see the object or none was named, with the metadata's Readable listing
// the objects it can; NOT_ADMIN, INVALID.
func (s *Store) ObjectMetadata(ctx context.Context, actor signoff.Identity, object string) (signoff.ObjectMetadata, error) {
	const name = "describe object"
	raw, err := s.callRaw(ctx, name, actor, s.api.describe, object)
	if err != nil {
		return signoff.ObjectMetadata{}, err
	}
	m, err := parseObjectMetadata(raw)
	if err != nil {
		// OBJECT_NOT_VISIBLE keeps its list: the form offers it.
		return m, fmt.Errorf("snowflake: %s %s: %w", name, object, err)
	}
	return m, nil
}

// parseObjectMetadata reads DESCRIBE_OBJECT's answer: the metadata when it
// is OK, the refusal's error otherwise; with OBJECT_NOT_VISIBLE's error, a
// metadata whose Readable is the answer's list of the objects Signoff can
// read.
func parseObjectMetadata(raw string) (signoff.ObjectMetadata, error) {
	env, err := readEnvelope(raw)
	if err != nil {
		return signoff.ObjectMetadata{}, err
	}
	if env.Code != signoff.CodeOK {
		// A refusal reads as an action's (its data is an Outcome's:
		// field, object), so its error says what the code means.
		o, err := parseEnvelope(raw)
		if err != nil {
			return signoff.ObjectMetadata{}, err
		}
		if err := o.Err(); err != nil {
			if env.Code != signoff.CodeObjectNotVisible {
				return signoff.ObjectMetadata{}, err
			}
			// A list that cannot be read is lost, not the refusal: the form
			// still says Signoff cannot see the object.
			var d notVisibleData
			if len(env.Data) > 0 {
				if jerr := json.Unmarshal(env.Data, &d); jerr != nil {
					return signoff.ObjectMetadata{}, fmt.Errorf("%w (its list of readable objects cannot be read: %v)", err, jerr)
				}
			}
			return signoff.ObjectMetadata{Readable: d.Readable}, err
		}
		// DRY_RUN: DESCRIBE_OBJECT has no dry run, so this is not its answer.
		return signoff.ObjectMetadata{}, fmt.Errorf("the procedure answered %s, which DESCRIBE_OBJECT never does", env.Code)
	}
	if !env.OK {
		return signoff.ObjectMetadata{}, fmt.Errorf("the procedure's answer says ok=false with code %s", env.Code)
	}
	var d objectData
	if err := json.Unmarshal(env.Data, &d); err != nil {
		return signoff.ObjectMetadata{}, fmt.Errorf("the procedure's data: %w", err)
	}
	switch {
	case d.Columns == nil || len(*d.Columns) == 0:
		// An object Signoff cannot see is OBJECT_NOT_VISIBLE, never OK.
		return signoff.ObjectMetadata{}, fmt.Errorf("the procedure answered OK with no columns: %.200q", raw)
	case d.Tags == nil:
		return signoff.ObjectMetadata{}, fmt.Errorf("the procedure answered OK with no list of tags: %.200q", raw)
	}
	return signoff.ObjectMetadata{Object: d.Object, Columns: *d.Columns, Tags: *d.Tags}, nil
}
