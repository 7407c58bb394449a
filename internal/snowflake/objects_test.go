package snowflake

import (
	"database/sql/driver"
	"testing"

	"github.com/DATA-DOG/go-sqlmock"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/signoff"
)

// describeAnswer is DESCRIBE_OBJECT's OK answer for SALES.PUBLIC.ORDERS as
// Snowflake renders the VARIANT: a column without a comment has no
// "comment" key (OBJECT_CONSTRUCT drops NULLs), nor a table-level tag a
// "column".
const describeAnswer = `{"object":"SALES.PUBLIC.ORDERS","columns":[` +
	`{"name":"ORDER_ID","type":"NUMBER","comment":"The order."},{"name":"EMAIL","type":"TEXT"}],` +
	`"tags":[{"level":"DATABASE","tag_database":"GOV","tag_schema":"TAGS","tag_name":"CLASSIFICATION","tag_value":"INTERNAL"},` +
	`{"level":"TABLE","tag_database":"GOV","tag_schema":"TAGS","tag_name":"CLASSIFICATION","tag_value":"CONFIDENTIAL"},` +
	`{"level":"COLUMN","column":"EMAIL","tag_database":"SNOWFLAKE","tag_schema":"CORE","tag_name":"PRIVACY_CATEGORY","tag_value":"IDENTIFIER"}]}`

// TestObjectMetadata: one CALL of DESCRIBE_OBJECT in the admin's own
// session, closed after it; its answer read into signoff.ObjectMetadata,
// and each refusal into the error of its code.
func TestObjectMetadata(t *testing.T) {
	for _, tc := range []struct {
		name   string
		answer driver.Value
		want   signoff.ObjectMetadata
		code   signoff.Code // the refusal's, when it refuses
		kind   error        // the error's kind
		err    string       // in the error
	}{
		{name: "OK", answer: envelope(signoff.CodeOK, describeAnswer), want: signoff.ObjectMetadata{
			Object: "SALES.PUBLIC.ORDERS",
			Columns: []signoff.ObjectColumn{{Name: "ORDER_ID", Type: "NUMBER", Comment: "The order."},
				{Name: "EMAIL", Type: "TEXT"}},
			Tags: []signoff.TagReference{
				{Level: signoff.LevelDatabase, Database: "GOV", Schema: "TAGS", Name: "CLASSIFICATION", Value: "INTERNAL"},
				{Level: signoff.LevelTable, Database: "GOV", Schema: "TAGS", Name: "CLASSIFICATION", Value: "CONFIDENTIAL"},
				{Level: signoff.LevelColumn, Column: "EMAIL", Database: "SNOWFLAKE", Schema: "CORE", Name: "PRIVACY_CATEGORY",
					Value: "IDENTIFIER"}}}},
		{name: "OK, upper-case keys and no tags", answer: `{"OK":true,"CODE":"OK","DATA":{"OBJECT":"SALES.PUBLIC.ORDERS",` +
			`"COLUMNS":[{"NAME":"ORDER_ID","TYPE":"NUMBER"}],"TAGS":[]}}`,
			want: signoff.ObjectMetadata{Object: "SALES.PUBLIC.ORDERS",
				Columns: []signoff.ObjectColumn{{Name: "ORDER_ID", Type: "NUMBER"}}, Tags: []signoff.TagReference{}}},
		{name: "OBJECT_NOT_VISIBLE", answer: envelope(signoff.CodeObjectNotVisible,
			`{"object":"SALES.PUBLIC.ORDERS","readable":["FINANCE.AP.INVOICES","SALES.CORE.ORDER_LINES"]}`),
			want: signoff.ObjectMetadata{Readable: []string{"FINANCE.AP.INVOICES", "SALES.CORE.ORDER_LINES"}},
			code: signoff.CodeObjectNotVisible, kind: signoff.ErrNotFound, err: "Signoff cannot see that Snowflake object"},
		{name: "OBJECT_NOT_VISIBLE, none readable", answer: envelope(signoff.CodeObjectNotVisible,
			`{"object":"SALES.PUBLIC.ORDERS","readable":[]}`),
			want: signoff.ObjectMetadata{Readable: []string{}},
			code: signoff.CodeObjectNotVisible, kind: signoff.ErrNotFound, err: "Signoff cannot see that Snowflake object"},
		{name: "OBJECT_NOT_VISIBLE, upper-case keys", answer: `{"OK":false,"CODE":"OBJECT_NOT_VISIBLE",` +
			`"DATA":{"OBJECT":"SALES.PUBLIC.ORDERS","READABLE":["SALES.CORE.ORDER_LINES"]}}`,
			want: signoff.ObjectMetadata{Readable: []string{"SALES.CORE.ORDER_LINES"}},
			code: signoff.CodeObjectNotVisible, kind: signoff.ErrNotFound, err: "Signoff cannot see that Snowflake object"},
		{name: "OBJECT_NOT_VISIBLE without a list (a procedure from before it)",
			answer: envelope(signoff.CodeObjectNotVisible, `{"object":"SALES.PUBLIC.ORDERS"}`),
			code:   signoff.CodeObjectNotVisible, kind: signoff.ErrNotFound, err: "Signoff cannot see that Snowflake object"},
		{name: "OBJECT_NOT_VISIBLE with a list of the wrong shape: the refusal stands",
			answer: envelope(signoff.CodeObjectNotVisible, `{"object":"SALES.PUBLIC.ORDERS","readable":"SALES.CORE.ORDER_LINES"}`),
			code:   signoff.CodeObjectNotVisible, kind: signoff.ErrNotFound, err: "its list of readable objects cannot be read"},
		{name: "NOT_ADMIN", answer: envelope(signoff.CodeNotAdmin, ""),
			code: signoff.CodeNotAdmin, kind: signoff.ErrForbidden},
		{name: "INVALID", answer: envelope(signoff.CodeInvalid, `{"field":"object_name"}`),
			code: signoff.CodeInvalid, kind: signoff.ErrInvalid, err: "The object name you sent is not valid."},
		{name: "not an envelope", answer: "SALES.PUBLIC.ORDERS", err: "snowflake: describe object SALES.PUBLIC.ORDERS: " +
			"the procedure's answer is not an envelope"},
		{name: "NULL", answer: nil, err: "the procedure's answer is not an envelope"},
		{name: "OK without columns", answer: envelope(signoff.CodeOK, `{"object":"SALES.PUBLIC.ORDERS","columns":[],"tags":[]}`),
			err: "the procedure answered OK with no columns"},
		{name: "OK without tags", answer: envelope(signoff.CodeOK, `{"object":"SALES.PUBLIC.ORDERS","columns":[{"name":"A","type":"TEXT"}]}`),
			err: "the procedure answered OK with no list of tags"},
		{name: "OK with no data", answer: envelope(signoff.CodeOK, ""), err: "the procedure answered OK with no columns"},
		{name: "columns of the wrong shape", answer: envelope(signoff.CodeOK, `{"columns":"ORDER_ID","tags":[]}`),
			err: "the procedure's data: "},
		{name: "ok=false with OK", answer: `{"ok":false,"code":"OK","data":{"columns":[{"name":"A","type":"TEXT"}],"tags":[]}}`,
			err: "the procedure's answer says ok=false with code OK"},
		{name: "a dry run, which it has none of", answer: envelope(signoff.CodeDryRun, "{}"),
			err: "the procedure answered DRY_RUN, which DESCRIBE_OBJECT never does"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := &mockOpener{t: t, expect: expectCall(callDescribe, tc.answer, "SALES.PUBLIC.ORDERS")}
			st, _ := newMockWith(t, o.open)
			got, err := st.ObjectMetadata(t.Context(), ada, "SALES.PUBLIC.ORDERS")
			o.requireMet(t)
			require.Equal(t, []string{ada.Credential}, o.tokens, "one session, the admin's own")
			if tc.code == "" && tc.err == "" {
				require.NoError(t, err)
				require.Equal(t, tc.want, got)
				return
			}
			require.Equal(t, tc.want, got, "a refusal's metadata is empty but for OBJECT_NOT_VISIBLE's list")
			require.Equal(t, tc.code, signoff.CodeOf(err), "%v", err)
			requireKind(t, err, tc.kind)
			require.ErrorContains(t, err, tc.err)
		})
	}

	// No object named: the same CALL with "", which lists what can be read.
	t.Run("no object named", func(t *testing.T) {
		o := &mockOpener{t: t, expect: expectCall(callDescribe, envelope(signoff.CodeObjectNotVisible,
			`{"object":"","readable":["SALES.CORE.ORDER_LINES"]}`), "")}
		st, _ := newMockWith(t, o.open)
		got, err := st.ObjectMetadata(t.Context(), ada, "")
		o.requireMet(t)
		require.Equal(t, signoff.CodeObjectNotVisible, signoff.CodeOf(err), "%v", err)
		require.Equal(t, signoff.ObjectMetadata{Readable: []string{"SALES.CORE.ORDER_LINES"}}, got)
	})
	t.Run("no caller token", func(t *testing.T) {
		o := &mockOpener{t: t}
		st, _ := newMockWith(t, o.open)
		_, err := st.ObjectMetadata(t.Context(), signoff.Identity{User: "ADA"}, "SALES.PUBLIC.ORDERS")
		require.ErrorIs(t, err, errNoCredential)
		require.EqualError(t, err, "snowflake: describe object: no caller token to act with")
		require.Zero(t, o.calls(), "no session is opened")
	})
	t.Run("the CALL fails", func(t *testing.T) {
		o := &mockOpener{t: t, expect: func(m sqlmock.Sqlmock) {
			expectQuery(m, callDescribe, "SALES.PUBLIC.ORDERS").WillReturnError(sfErr(2141, "42601", "q-call"))
			m.ExpectClose()
		}}
		st, _ := newMockWith(t, o.open)
		_, err := st.ObjectMetadata(t.Context(), ada, "SALES.PUBLIC.ORDERS")
		require.ErrorContains(t, err, "snowflake: describe object: ")
		require.ErrorContains(t, err, "snowflake error 2141")
		require.Empty(t, signoff.CodeOf(err))
		o.requireMet(t)
	})
}
