package signoff

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// "Read from Snowflake" (docs/design.md): an admin names a product's
// Snowflake object and Signoff fills the form's columns, tags and
// classification from the object's metadata. Nothing is saved by reading:
// the admin checks the form and saves it, which is audited as every save.

// ObjectMetadata is what the engine says of a Snowflake object: its
// columns in order, and the tags set on it, inherited from its schema or
// database, or set on its columns.
type ObjectMetadata struct {
	Object  string // DATABASE.SCHEMA.OBJECT, as read
	Columns []ObjectColumn
	Tags    []TagReference
	// Readable, with the error of an object the engine cannot see (or of
	// no object named), lists the objects it can, so the admin can pick
	// one: at most MaxReadableObjects, in order.
	Readable []string
}

// MaxReadableObjects bounds the objects a failed read lists.
const MaxReadableObjects = 200

// ObjectColumn is one column of an object.
type ObjectColumn struct {
	Name    string `json:"name"`
	Type    string `json:"type"`
	Comment string `json:"comment,omitempty"`
}

// TagReference is one tag on an object or one of its columns, as
// Snowflake's TAG_REFERENCES functions list it.
type TagReference struct {
	// Level is where the tag is set: TABLE (the object itself, whatever
	// its kind), SCHEMA or DATABASE (inherited), or COLUMN.
	Level string `json:"level"`
	// Column names the column of a COLUMN reference.
	Column string `json:"column,omitempty"`
	// Database and Schema are where the tag itself is defined; Name and
	// Value are the tag's key and value.
	Database string `json:"tag_database"`
	Schema   string `json:"tag_schema"`
	Name     string `json:"tag_name"`
	Value    string `json:"tag_value"`
}

// The levels a TagReference may have.
const (
	LevelTable    = "TABLE"
	LevelSchema   = "SCHEMA"
	LevelDatabase = "DATABASE"
	LevelColumn   = "COLUMN"
)

// ClassificationTag is the tag whose value, set on the object or
// inherited from its schema or database, becomes the product's
// classification (the nearest level wins).
const ClassificationTag = "CLASSIFICATION"

// privacyCategoryTag is the system tag Snowflake's sensitive-data
// classification sets on columns holding personal data
// (SNOWFLAKE.CORE.PRIVACY_CATEGORY); such a column is marked sensitive.
const privacyCategoryTag = "SNOWFLAKE.CORE.PRIVACY_CATEGORY"

// MaxTagReferences bounds the tag references one read takes in, as
// MaxColumns bounds the columns: a table with more is read in part, and
// the note says so.
const MaxTagReferences = 1000

// ObjectReader reads an object's metadata for an admin: on Snowflake the
// procedure DESCRIBE_OBJECT in the admin's session, on the embedded engine
// the demo account's record of its objects. An object the engine cannot
// see, or the empty name, is CodeObjectNotVisible, with the metadata's
// Readable listing the objects it can see.
type ObjectReader interface {
	ObjectMetadata(ctx context.Context, actor Identity, object string) (ObjectMetadata, error)
}

// QualifiedName is the tag's DATABASE.SCHEMA.NAME.
func (t TagReference) QualifiedName() string {
	return strings.Join([]string{t.Database, t.Schema, t.Name}, ".")
}

// SignoffTags are the Signoff tags a reference gives the product: the
// tag's name, and name:value when it has a value, in lower case with
// blanks as underscores (a chain rule's WhenTag matches either). A
// CLASSIFICATION tag gives none: it sets the classification, which rules
// match as they match tags. A part that cannot be a Signoff tag gives
// nothing.
func (t TagReference) SignoffTags() []string {
	word := func(s string) string {
		return strings.Join(strings.Fields(strings.ToLower(s)), "_")
	}
	if strings.EqualFold(t.Name, ClassificationTag) {
		return nil
	}
	var out []string
	name := word(t.Name)
	if tagPattern.MatchString(name) {
		out = append(out, name)
		if v := word(t.Value); v != "" && tagPattern.MatchString(name+":"+v) {
			out = append(out, name+":"+v)
		}
	}
	return out
}

// MetadataApplied says what reading an object changed in the form, for the
// note the admin reads before saving.
type MetadataApplied struct {
	Object  string
	Columns int
	// ColumnsDropped counts the columns read beyond MaxColumns, which the
	// form does not take (the engines read at most one more); ColumnsRemoved are the form's columns the
	// object does not have.
	ColumnsDropped int
	ColumnsRemoved []string
	// TagsAdded are the Signoff tags the object gave that the form did not
	// have; TagsDropped those that did not fit in MaxTags.
	TagsAdded   []string
	TagsDropped []string
	// Classification is the classification the object's CLASSIFICATION
	// tag set ("" when it has none, or its value cannot be one).
	Classification string
	// Sensitive are the columns marked sensitive by Snowflake's
	// classification.
	Sensitive []string
	// References are the tag references read, as Snowflake listed them.
	References []TagReference
	// NotVisible is set, with Object, when the engine could not see the
	// object, or no object was named (the read's error is then a Problem
	// beside its field); Choices are then the objects it can see.
	NotVisible bool
	Choices    []string
}

// ReadGrants are the statements a Snowflake admin runs to let Signoff read
// object's metadata (deploy/README.md, "Letting Signoff read an object"):
// USAGE on its database and schema and REFERENCES on it, which shows its
// structure, never its data. object is a valid SourceObject.
func ReadGrants(object string) string {
	parts := strings.SplitN(strings.ToUpper(object), ".", 3)
	if len(parts) != 3 {
		return ""
	}
	return "GRANT USAGE ON DATABASE " + parts[0] + " TO ROLE SIGNOFF_OWNER;\n" +
		"GRANT USAGE ON SCHEMA " + parts[0] + "." + parts[1] + " TO ROLE SIGNOFF_OWNER;\n" +
		"GRANT REFERENCES ON TABLE " + strings.Join(parts, ".") + " TO ROLE SIGNOFF_OWNER; -- ON VIEW for a view"
}

// ApplyMetadata fills d from m: the columns become the object's, in its
// order, each keeping the description and sensitive mark d gave a column of
// that name when Snowflake has no comment for it; every tag reference adds
// its SignoffTags (d's own tags stay); the nearest CLASSIFICATION tag sets
// the classification; a column Snowflake classified as personal data is
// marked sensitive. d's SourceObject becomes the object read.
func (d *Definition) ApplyMetadata(m ObjectMetadata) MetadataApplied {
	out := MetadataApplied{Object: m.Object, References: m.Tags}
	d.SourceObject = m.Object
	had := map[string]Column{}
	for _, c := range d.Columns {
		had[strings.ToUpper(strings.TrimSpace(c.Name))] = c
	}
	sensitive := map[string]bool{}
	for _, t := range m.Tags {
		if t.Level == LevelColumn && strings.EqualFold(t.QualifiedName(), privacyCategoryTag) {
			sensitive[strings.ToUpper(t.Column)] = true
		}
	}
	cols := m.Columns
	if len(cols) > MaxColumns {
		out.ColumnsDropped = len(cols) - MaxColumns
		cols = cols[:MaxColumns]
	}
	d.Columns = make([]Column, 0, len(cols))
	for _, oc := range cols {
		c := Column{Name: oc.Name, Type: oc.Type, Description: strings.TrimSpace(oc.Comment)}
		prev, ok := had[strings.ToUpper(oc.Name)]
		if c.Description == "" && ok {
			c.Description = prev.Description
		}
		c.Sensitive = prev.Sensitive || sensitive[strings.ToUpper(oc.Name)]
		if sensitive[strings.ToUpper(oc.Name)] {
			out.Sensitive = append(out.Sensitive, oc.Name)
		}
		d.Columns = append(d.Columns, c)
	}
	out.Columns = len(d.Columns)
	kept := map[string]bool{}
	for _, c := range d.Columns {
		kept[strings.ToUpper(c.Name)] = true
	}
	for name, c := range had {
		if name != "" && !kept[name] {
			out.ColumnsRemoved = append(out.ColumnsRemoved, c.Name)
		}
	}
	slices.Sort(out.ColumnsRemoved)

	tags := map[string]bool{}
	for _, t := range d.Tags {
		if t = strings.ToLower(strings.TrimSpace(t)); t != "" { // a form's blanks are no tags (Normalize drops them)
			tags[t] = true
		}
	}
	for _, ref := range m.Tags {
		for _, t := range ref.SignoffTags() {
			if tags[t] || slices.Contains(out.TagsDropped, t) {
				continue
			}
			if len(tags) >= MaxTags {
				out.TagsDropped = append(out.TagsDropped, t)
				continue
			}
			tags[t] = true
			d.Tags = append(d.Tags, t)
			out.TagsAdded = append(out.TagsAdded, t)
		}
	}
	slices.Sort(out.TagsAdded)

	// The nearest level's CLASSIFICATION tag: the object's own, else its
	// schema's, else its database's (as Snowflake's tag inheritance).
	rank := map[string]int{LevelTable: 3, LevelSchema: 2, LevelDatabase: 1}
	best := 0
	for _, ref := range m.Tags {
		v := strings.ToUpper(strings.TrimSpace(ref.Value))
		if strings.EqualFold(ref.Name, ClassificationTag) && rank[ref.Level] > best && tagPattern.MatchString(v) {
			best, out.Classification = rank[ref.Level], v
		}
	}
	if out.Classification != "" {
		d.Classification = out.Classification
	}
	return out
}

// Note is the sentence the form shows after a read.
func (a MetadataApplied) Note() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Read %s from Snowflake: %s", a.Object, Count(a.Columns, "column", "columns"))
	if a.ColumnsDropped > 0 { // the engines read one more than a product takes, so the count is not the object's
		fmt.Fprintf(&b, " (the first %d; the others were left out)", MaxColumns)
	}
	fmt.Fprintf(&b, ", %s.", Count(len(a.References), "tag", "tags"))
	if len(a.ColumnsRemoved) > 0 {
		fmt.Fprintf(&b, " Removed columns it does not have: %s.", strings.Join(a.ColumnsRemoved, ", "))
	}
	if len(a.TagsAdded) > 0 {
		fmt.Fprintf(&b, " Added tags: %s.", strings.Join(a.TagsAdded, ", "))
	}
	if len(a.TagsDropped) > 0 {
		fmt.Fprintf(&b, " Not added (a product has at most %d tags): %s.", MaxTags, strings.Join(a.TagsDropped, ", "))
	}
	if a.Classification != "" {
		fmt.Fprintf(&b, " Classification %s, from its %s tag.", a.Classification, ClassificationTag)
	}
	if len(a.Sensitive) > 0 {
		fmt.Fprintf(&b, " Marked sensitive: %s.", strings.Join(a.Sensitive, ", "))
	}
	b.WriteString(" Check the form and save it: nothing is saved yet.")
	return b.String()
}

// Count is n with its noun: "1 column", "3 columns".
func Count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// DescribeObject fills d (as typed on the form) from its SourceObject's
// metadata, for admins. A missing or malformed object name, or one the
// engine cannot see, is a Problem beside the field; nothing is saved.
func (s *Service) DescribeObject(ctx context.Context, viewer Identity, d Definition) (Definition, MetadataApplied, error) {
	if err := requireAdmin(viewer, "edit the catalog"); err != nil {
		return d, MetadataApplied{}, err
	}
	if s.Objects == nil {
		return d, MetadataApplied{}, Errorf(ErrUnavailable, "Reading objects from Snowflake is not available on this engine.")
	}
	object := strings.ToUpper(strings.TrimSpace(d.SourceObject))
	if object != "" && !sourceObjectPattern.MatchString(object) {
		return d, MetadataApplied{}, Problems{"source_object": "The Snowflake object is DATABASE.SCHEMA.OBJECT, each part an unquoted identifier."}
	}
	// No object named: the engine answers with the objects it can read, for
	// the admin to pick from.
	m, err := s.Objects.ObjectMetadata(ctx, viewer, object)
	if CodeOf(err) == CodeObjectNotVisible {
		choices := m.Readable
		if len(choices) > MaxReadableObjects {
			choices = choices[:MaxReadableObjects]
		}
		notVisible := MetadataApplied{Object: object, NotVisible: true, Choices: choices}
		if object == "" {
			return d, notVisible, Problems{"source_object": "Enter the Snowflake object to read, as DATABASE.SCHEMA.OBJECT, or pick one Signoff can read."}
		}
		return d, notVisible, Problems{"source_object": fmt.Sprintf(
			"Signoff cannot see %s: it does not exist, or Signoff's owner role may not read its metadata.", object)}
	}
	if err != nil {
		return d, MetadataApplied{}, fmt.Errorf("describe object %s: %w", object, err)
	}
	if m.Object == "" {
		m.Object = object
	}
	applied := d.ApplyMetadata(m)
	return d, applied, nil
}
