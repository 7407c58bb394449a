package signoff_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/signoff"
)

func TestTagReferenceSignoffTags(t *testing.T) {
	for _, tc := range []struct {
		name, value string
		want        []string
	}{
		{"PII", "true", []string{"pii", "pii:true"}},
		{"PII", "", []string{"pii"}},
		{"Data Domain", "Group Finance", []string{"data_domain", "data_domain:group_finance"}},
		{"CLASSIFICATION", "PII", nil},    // it sets the classification instead
		{"classification", "secret", nil}, // whatever its case
		{"SOX", "in scope; see wiki", []string{"sox"}},
		{"_HIDDEN", "x", nil}, // a Signoff tag starts with a letter or digit
		{"OWNER", strings.Repeat("x", 70), []string{"owner"}},
	} {
		ref := signoff.TagReference{Level: signoff.LevelTable, Database: "GOV", Schema: "TAGS", Name: tc.name, Value: tc.value}
		assert.Equal(t, tc.want, ref.SignoffTags(), "%s=%q", tc.name, tc.value)
	}
	assert.Equal(t, "GOV.TAGS.PII", signoff.TagReference{Database: "GOV", Schema: "TAGS", Name: "PII"}.QualifiedName())
}

func TestApplyMetadata(t *testing.T) {
	tag := func(level, column, name, value string) signoff.TagReference {
		return signoff.TagReference{Level: level, Column: column, Database: "GOV", Schema: "TAGS", Name: name, Value: value}
	}
	m := signoff.ObjectMetadata{
		Object: "SALES.CORE.CUSTOMERS",
		Columns: []signoff.ObjectColumn{
			{Name: "CUSTOMER_ID", Type: "TEXT"},
			{Name: "EMAIL", Type: "TEXT", Comment: " Contact address "},
			{Name: "SEGMENT", Type: "TEXT"},
		},
		Tags: []signoff.TagReference{
			tag(signoff.LevelDatabase, "", "CLASSIFICATION", "internal"),
			tag(signoff.LevelTable, "", "CLASSIFICATION", "pii"),
			tag(signoff.LevelSchema, "", "CLASSIFICATION", "confidential"),
			tag(signoff.LevelTable, "", "DOMAIN", "sales"),
			tag(signoff.LevelColumn, "EMAIL", "PII", "email"),
			{Level: signoff.LevelColumn, Column: "EMAIL", Database: "SNOWFLAKE", Schema: "CORE", Name: "PRIVACY_CATEGORY", Value: "IDENTIFIER"},
			{Level: signoff.LevelColumn, Column: "SEGMENT", Database: "SNOWFLAKE", Schema: "CORE", Name: "SEMANTIC_CATEGORY", Value: "OCCUPATION"},
		},
	}
	d := signoff.Definition{Classification: "PUBLIC", Tags: []string{"crm", "PII"},
		Columns: []signoff.Column{
			{Name: "segment", Type: "VARCHAR", Description: "Marketing segment", Sensitive: true},
			{Name: "LEGACY", Type: "VARCHAR", Description: "Dropped"},
		}}
	got := d.ApplyMetadata(m)

	assert.Equal(t, "SALES.CORE.CUSTOMERS", d.SourceObject)
	assert.Equal(t, "PII", d.Classification, "the object's own CLASSIFICATION tag wins over its schema's and database's")
	assert.Equal(t, []signoff.Column{
		{Name: "CUSTOMER_ID", Type: "TEXT"},
		{Name: "EMAIL", Type: "TEXT", Description: "Contact address", Sensitive: true},
		{Name: "SEGMENT", Type: "TEXT", Description: "Marketing segment", Sensitive: true},
	}, d.Columns, "the object's columns; a typed description and mark stay where Snowflake has no comment")
	assert.Equal(t, []string{"crm", "PII", "domain", "domain:sales", "pii:email", "privacy_category", "privacy_category:identifier",
		"semantic_category", "semantic_category:occupation"}, d.Tags, "typed tags stay (pii is PII in another case)")
	assert.Equal(t, signoff.MetadataApplied{Object: "SALES.CORE.CUSTOMERS", Columns: 3,
		TagsAdded: []string{"domain", "domain:sales", "pii:email", "privacy_category", "privacy_category:identifier",
			"semantic_category", "semantic_category:occupation"},
		Classification: "PII", Sensitive: []string{"EMAIL"}, References: m.Tags, ColumnsRemoved: []string{"LEGACY"}}, got)
	assert.Equal(t, "Read SALES.CORE.CUSTOMERS from Snowflake: 3 columns, 7 tags. Removed columns it does not have: LEGACY. Added tags: domain, domain:sales, pii:email, "+
		"privacy_category, privacy_category:identifier, semantic_category, semantic_category:occupation. Classification PII, "+
		"from its CLASSIFICATION tag. Marked sensitive: EMAIL. Check the form and save it: nothing is saved yet.", got.Note())

	t.Run("a classification that cannot be one is ignored", func(t *testing.T) {
		d := signoff.Definition{Classification: "INTERNAL"}
		got := d.ApplyMetadata(signoff.ObjectMetadata{Object: "A.B.C", Columns: []signoff.ObjectColumn{{Name: "X", Type: "TEXT"}},
			Tags: []signoff.TagReference{tag(signoff.LevelTable, "", "classification", "top secret!")}})
		assert.Equal(t, "INTERNAL", d.Classification)
		assert.Empty(t, got.Classification)
		assert.Equal(t, "Read A.B.C from Snowflake: 1 column, 1 tag. Check the form and save it: nothing is saved yet.", got.Note())
	})

	t.Run("columns and tags beyond the limits", func(t *testing.T) {
		big := signoff.ObjectMetadata{Object: "A.B.WIDE"}
		for i := range signoff.MaxColumns + 3 {
			big.Columns = append(big.Columns, signoff.ObjectColumn{Name: fmt.Sprintf("C%d", i), Type: "NUMBER"})
		}
		for i := range signoff.MaxTags + 1 {
			big.Tags = append(big.Tags, tag(signoff.LevelTable, "", fmt.Sprintf("T%02d", i), ""))
		}
		d := signoff.Definition{Tags: []string{"mine", " ", ""}} // as the form's "mine, ," splits
		got := d.ApplyMetadata(big)
		assert.Len(t, d.Columns, signoff.MaxColumns)
		assert.Equal(t, 3, got.ColumnsDropped)
		d.Normalize()
		assert.Len(t, d.Tags, signoff.MaxTags, "blanks take no place")
		assert.Equal(t, []string{"t31", "t32"}, got.TagsDropped)
		assert.Contains(t, got.Note(), fmt.Sprintf("%d columns (the first %d; the others were left out)", signoff.MaxColumns, signoff.MaxColumns))
		assert.Contains(t, got.Note(), "Not added (a product has at most 32 tags): t31, t32.")
		assert.Empty(t, d.Validate()["tags"], "what the read fills passes the save's checks")
	})
}

// objectsFake is an ObjectReader over a map, recording what it was asked.
type objectsFake struct {
	objects map[string]signoff.ObjectMetadata
	asked   []string
}

func (f *objectsFake) ObjectMetadata(_ context.Context, _ signoff.Identity, object string) (signoff.ObjectMetadata, error) {
	f.asked = append(f.asked, object)
	m, ok := f.objects[object]
	if !ok {
		for name := range f.objects {
			m.Readable = append(m.Readable, name)
		}
		slices.Sort(m.Readable)
		return m, fmt.Errorf("fake: %w", signoff.Outcome{Code: signoff.CodeObjectNotVisible}.Err())
	}
	return m, nil
}

func TestDescribeObject(t *testing.T) {
	ctx := context.Background()
	admin := signoff.NewIdentity("ADAM", []string{signoff.RoleAdmin})
	fake := &objectsFake{objects: map[string]signoff.ObjectMetadata{
		"SALES.CORE.ORDERS": {Columns: []signoff.ObjectColumn{{Name: "ORDER_ID", Type: "TEXT"}}},
	}}
	svc := signoff.NewService(nil, nil)

	_, _, err := svc.DescribeObject(ctx, admin, signoff.Definition{SourceObject: "SALES.CORE.ORDERS"})
	assert.ErrorIs(t, err, signoff.ErrUnavailable, "an engine without an ObjectReader")

	svc.Objects = fake
	_, _, err = svc.DescribeObject(ctx, signoff.NewIdentity("ALICE", []string{"PUBLIC"}), signoff.Definition{SourceObject: "SALES.CORE.ORDERS"})
	assert.ErrorIs(t, err, signoff.ErrForbidden)
	assert.Empty(t, fake.asked, "a non-admin's read never reaches the engine")

	d, got, err := svc.DescribeObject(ctx, admin, signoff.Definition{Name: "Orders", SourceObject: " sales.core.orders "})
	require.NoError(t, err)
	assert.Equal(t, []string{"SALES.CORE.ORDERS"}, fake.asked, "the name as Snowflake keeps an unquoted one")
	assert.Equal(t, "Orders", d.Name)
	assert.Equal(t, "SALES.CORE.ORDERS", d.SourceObject)
	assert.Equal(t, []signoff.Column{{Name: "ORDER_ID", Type: "TEXT"}}, d.Columns)
	assert.Equal(t, "SALES.CORE.ORDERS", got.Object)

	for object, want := range map[string]string{
		"":                "Enter the Snowflake object to read",
		"SALES.ORDERS":    "The Snowflake object is DATABASE.SCHEMA.OBJECT",
		"SALES.CORE.GONE": "Signoff cannot see SALES.CORE.GONE: it does not exist",
	} {
		_, _, err := svc.DescribeObject(ctx, admin, signoff.Definition{SourceObject: object})
		var problems signoff.Problems
		require.True(t, errors.As(err, &problems), "%q: %v", object, err)
		assert.Contains(t, problems["source_object"], want, object)
	}
	_, got, _ = svc.DescribeObject(ctx, admin, signoff.Definition{SourceObject: "SALES.CORE.GONE"})
	assert.Equal(t, signoff.MetadataApplied{Object: "SALES.CORE.GONE", NotVisible: true, Choices: []string{"SALES.CORE.ORDERS"}}, got,
		"so the page can say how to let Signoff see it, and what it can see")
	fake.asked = nil
	_, got, _ = svc.DescribeObject(ctx, admin, signoff.Definition{})
	assert.Equal(t, []string{""}, fake.asked, "no object named: the engine lists what it can read")
	assert.Equal(t, []string{"SALES.CORE.ORDERS"}, got.Choices)

	for i := range signoff.MaxReadableObjects + 10 {
		fake.objects[fmt.Sprintf("A.B.T%03d", i)] = signoff.ObjectMetadata{}
	}
	_, got, _ = svc.DescribeObject(ctx, admin, signoff.Definition{})
	assert.Len(t, got.Choices, signoff.MaxReadableObjects, "an engine that lists more is cut to the bound")
}

func TestReadGrants(t *testing.T) {
	assert.Equal(t, "GRANT USAGE ON DATABASE SALES TO ROLE SIGNOFF_OWNER;\n"+
		"GRANT USAGE ON SCHEMA SALES.CORE TO ROLE SIGNOFF_OWNER;\n"+
		"GRANT REFERENCES ON TABLE SALES.CORE.ORDERS TO ROLE SIGNOFF_OWNER; -- ON VIEW for a view",
		signoff.ReadGrants("sales.core.orders"))
	assert.Empty(t, signoff.ReadGrants("SALES.ORDERS"))
}
