package snowflake

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/signoff"
	"github.com/signoff/signoff/internal/snowflake/sftest"
)

func anchorDigest(seq int, hashChar string, taken time.Time) signoff.Digest {
	return signoff.Digest{Seq: seq, Hash: strings.Repeat(hashChar, 64), Taken: taken}
}

// openAnchor opens a store on fake and returns its anchor for service,
// writing its log lines to the returned buffer.
func openAnchor(t *testing.T, fake *sftest.Server) (*Anchor, *bytes.Buffer) {
	t.Helper()
	st, err := Open(t.Context(), fakeConfig(t, fake, "svc-token"))
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	var stderr bytes.Buffer
	return st.Anchor(DefaultService, &stderr), &stderr
}

func TestAnchorKeepsADigestInTheQueryHistoryAndTheLog(t *testing.T) {
	t.Parallel()
	fake := sftest.New(t)
	d := anchorDigest(42, "a", t0)
	query, err := AnchorQuery(d)
	require.NoError(t, err)
	fake.On(query, sftest.Result([]sftest.Column{sftest.Text("SIGNOFF_DIGEST")}, []any{d.Line()}))
	a, stderr := openAnchor(t, fake)

	require.NoError(t, a.Keep(t.Context(), d))

	var sent []sftest.Query
	for _, q := range fake.Queries() {
		if strings.Contains(q.SQLText, "SIGNOFF-DIGEST") {
			sent = append(sent, q)
		}
	}
	require.Len(t, sent, 1)
	assert.Equal(t, "SELECT '"+d.Line()+"' AS SIGNOFF_DIGEST", sent[0].SQLText,
		"the digest is in the statement's text, which the query history keeps")
	assert.Empty(t, sent[0].Bindings, "a bound value would not be in the query history")
	assert.Equal(t, d.Line()+"\n", stderr.String(), "one plain-text line, which the event table keeps as it is")

	before := len(fake.Queries())
	last, ok, err := a.Last(t.Context())
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, d, last)
	assert.Len(t, fake.Queries(), before, "the digest this process kept is known without asking Snowflake")
}

func TestAnchorReadsItsDigestsBack(t *testing.T) {
	t.Parallel()
	fake := sftest.New(t)
	older, newer, logged := anchorDigest(3, "b", t0), anchorDigest(9, "c", t1), anchorDigest(12, "d", t2)
	asQuery := func(d signoff.Digest) string {
		q, err := AnchorQuery(d)
		require.NoError(t, err)
		return q
	}
	text := []sftest.Column{sftest.Text("TEXT")}
	fake.On(QueryHistoryDigests, sftest.Result(text,
		[]any{asQuery(newer)}, []any{asQuery(older)},
		// Anyone may run a query that looks like a digest: a malformed one
		// proves nothing and is skipped.
		[]any{"SELECT 'SIGNOFF-DIGEST v1 n=10 h=nothex t=x' AS SIGNOFF_DIGEST"}))
	fake.On(LogDigests(DefaultService), sftest.Result(text,
		[]any{older.Line()}, []any{logged.Line()}, []any{nil}))
	a, _ := openAnchor(t, fake)

	all, err := a.Digests(t.Context())
	require.NoError(t, err)
	assert.Equal(t, []signoff.Digest{older, newer, logged}, all, "by position, each once")

	last, ok, err := a.Last(t.Context())
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, newer, last, "the newest in the query history (the log is read only for verification)")
}

func TestAnchorReportsWhatSnowflakeRefuses(t *testing.T) {
	t.Parallel()
	fake := sftest.New(t)
	fake.On(QueryHistoryDigests, sftest.Result([]sftest.Column{sftest.Text("TEXT")}))
	fake.On(LogDigests(DefaultService), sftest.Fail("003001", "42501",
		"SQL access control error: Insufficient privileges to operate on service 'SIGNOFF'"))
	a, _ := openAnchor(t, fake)
	_, err := a.Digests(t.Context())
	require.Error(t, err, "a digest source that cannot be read must not look like one without digests")
	assert.Contains(t, err.Error(), "anchor")
}

func TestAnchorQueryRefusesWhatIsNotADigestLine(t *testing.T) {
	for _, d := range []signoff.Digest{
		{Seq: 1, Hash: strings.Repeat("a", 63) + "'", Taken: t0},
		{Seq: 1, Hash: "'; DROP TABLE x; --", Taken: t0},
		{Seq: 0, Hash: strings.Repeat("a", 64), Taken: t0},
	} {
		_, err := AnchorQuery(d)
		assert.Error(t, err, "%+v", d)
	}
}

// TestAuditorDigestsReadWhatTheServiceWrites: the pattern 05_verify_audit.sql
// reads digests with finds the position and hash in both the query the
// service runs and the line it logs. The pattern uses only what Go's
// regexp and Snowflake's POSIX extended expressions read alike.
func TestAuditorDigestsReadWhatTheServiceWrites(t *testing.T) {
	re := regexp.MustCompile(digestFields)
	d := anchorDigest(1234, "e", t1)
	query, err := AnchorQuery(d)
	require.NoError(t, err)
	for _, text := range []string{query, d.Line(), `2026-03-03T11:35:15Z ` + d.Line()} {
		m := re.FindStringSubmatch(text)
		require.NotNil(t, m, text)
		assert.Equal(t, strconv.Itoa(d.Seq), m[1])
		assert.Equal(t, d.Hash, m[2])
	}
	src := AuditorDigests(DefaultService)
	assert.Contains(t, src, "'"+digestFields+"'", "the pattern, as a SQL literal")
	assert.Contains(t, src, DefaultService+"!SPCS_GET_LOGS")
	assert.Contains(t, src, "user_type = 'SNOWFLAKE_SERVICE' AND role_name = 'SIGNOFF_APP'")
	assert.NotContains(t, digestFields, "'", "the pattern needs no quoting in SQL")
}
