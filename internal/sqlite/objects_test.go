package sqlite_test

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/signoff"
	"github.com/signoff/signoff/internal/sqlite"
)

// TestObjectMetadata: the embedded engine reads back the objects recorded
// for it as Snowflake lists an object's metadata: columns in order, the
// object's tags before its schema's, database's and columns', bounded as
// DESCRIBE_OBJECT bounds them; an object it has no columns of is
// OBJECT_NOT_VISIBLE; recording an object again replaces it.
func TestObjectMetadata(t *testing.T) {
	ctx := t.Context()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "objects.db"))
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	admin := signoff.NewIdentity("ADAM", []string{signoff.RoleAdmin})

	ref := func(level, column, name, value string) signoff.TagReference {
		return signoff.TagReference{Level: level, Column: column, Database: "GOV", Schema: "TAGS", Name: name, Value: value}
	}
	m := signoff.ObjectMetadata{
		Object:  "sales.core.orders", // recorded as Snowflake names an unquoted object
		Columns: []signoff.ObjectColumn{{Name: "ORDER_ID", Type: "TEXT", Comment: "Order number"}, {Name: "EMAIL", Type: "TEXT"}},
		Tags: []signoff.TagReference{ref(signoff.LevelColumn, "EMAIL", "PII", "email"), ref(signoff.LevelDatabase, "", "DOMAIN", "sales"),
			ref(signoff.LevelTable, "", "SOX", ""), ref(signoff.LevelSchema, "", "CLASSIFICATION", "internal")},
	}
	require.NoError(t, st.RecordObject(ctx, m))
	got, err := st.ObjectMetadata(ctx, admin, "SALES.CORE.ORDERS")
	require.NoError(t, err)
	assert.Equal(t, signoff.ObjectMetadata{Object: "SALES.CORE.ORDERS", Columns: m.Columns,
		Tags: []signoff.TagReference{m.Tags[2], m.Tags[3], m.Tags[1], m.Tags[0]}}, got)

	gone, err := st.ObjectMetadata(ctx, admin, "SALES.CORE.GONE")
	assert.Equal(t, signoff.CodeObjectNotVisible, signoff.CodeOf(err))
	assert.ErrorIs(t, err, signoff.ErrNotFound)
	assert.Equal(t, []string{"SALES.CORE.ORDERS"}, gone.Readable, "what it can read instead")
	require.NoError(t, st.RecordObject(ctx, signoff.ObjectMetadata{Object: "A.B.C", Columns: []signoff.ObjectColumn{{Name: "X", Type: "TEXT"}}}))
	none, err := st.ObjectMetadata(ctx, admin, "")
	assert.Equal(t, signoff.CodeObjectNotVisible, signoff.CodeOf(err), "no object named")
	assert.Equal(t, []string{"A.B.C", "SALES.CORE.ORDERS"}, none.Readable, "in order")

	// A column without a name or a COLUMN reference without its column is
	// not Snowflake's shape: refused, and the object keeps what it had.
	bad := m
	bad.Tags = []signoff.TagReference{ref(signoff.LevelColumn, "", "PII", "")}
	require.Error(t, st.RecordObject(ctx, bad))
	got, err = st.ObjectMetadata(ctx, admin, "SALES.CORE.ORDERS")
	require.NoError(t, err)
	assert.Len(t, got.Tags, 4)

	wide := signoff.ObjectMetadata{Object: "SALES.CORE.ORDERS"}
	for i := range signoff.MaxColumns + 5 {
		wide.Columns = append(wide.Columns, signoff.ObjectColumn{Name: fmt.Sprintf("C%03d", i), Type: "NUMBER"})
	}
	require.NoError(t, st.RecordObject(ctx, wide))
	got, err = st.ObjectMetadata(ctx, admin, "SALES.CORE.ORDERS")
	require.NoError(t, err)
	assert.Len(t, got.Columns, signoff.MaxColumns+1, "one more than a product takes, so the form can say some were left out")
	assert.Equal(t, "C000", got.Columns[0].Name)
	assert.Empty(t, got.Tags, "recording again replaces the tags too")
}
