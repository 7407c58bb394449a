package signoff

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
)

// TestHashSampleBytes pins the exact bytes the chain hashes for the sample
// event, and its hash (computed independently, with Python's hashlib, over the
// same bytes): Snowflake's AUDIT_HASH must build these bytes (the
// preflight compares its hash of the same event with this one). The time is
// truncated, not rounded, to microseconds; lengths count characters.
func TestHashSampleBytes(t *testing.T) {
	e := HashSample()
	want := "26:01JNQ4Z5M8A1B2C3D4E5F6G7H8" +
		"26:2026-01-02 03:04:05.123456" +
		"26:01JNQ4Z5M8A1B2C3D4E5F6G7H9" +
		"12:customer-360" +
		"17:JANE.DOE@ACME.COM" +
		"16:DATA_OWNER_SALES" +
		"13:STEP_APPROVED" +
		"1:2" +
		"8:APPROVED" +
		`18:Zoë's "ok": 名前 3:x` +
		"0:" +
		"1:3"
	assert.Equal(t, want, e.canonical())
	assert.Equal(t, "3b03a50f4d7cad719b57bbe8e2fc0f1d7124e2aa609511ff805c6bc989ef056f", e.ComputeHash())
}

// TestSnapshotSampleBytes pins the snapshot of the preflight's sample chain,
// written out by hand: Snowflake's StepsSnapshot must build these
// characters (the preflight compares). The sample has several steps,
// characters of one to four bytes, and lengths of one and two digits; it
// reads back as itself, and holds no backslash for the SQL literals to
// escape.
func TestSnapshotSampleBytes(t *testing.T) {
	steps := SnapshotSample()
	want := "12:LINE_MANAGER" + "12:Line manager" +
		"16:DATA_OWNER_SALES" + `21:Zoë's "owner": 名前 3:x` +
		"3:DPO" + "14:Sécurité 🔒 DPO"
	got := ChainSnapshot(steps)
	assert.Equal(t, want, got)
	widths := map[int]bool{}
	for _, r := range got {
		widths[utf8.RuneLen(r)] = true
	}
	assert.Equal(t, map[int]bool{1: true, 2: true, 3: true, 4: true}, widths, "characters of one to four bytes")
	assert.GreaterOrEqual(t, len(steps), 3)
	assert.NotContains(t, got, `\`)
	back, err := ParseChainSnapshot(got)
	assert.NoError(t, err)
	assert.Equal(t, steps, back)
	_, differ := DiffSnapshot(steps, got)
	assert.False(t, differ)
}

// TestDiffSnapshot: the first field that differs is named, with what each
// side wrote there.
func TestDiffSnapshot(t *testing.T) {
	steps := SnapshotSample()
	good := ChainSnapshot(steps)
	for _, tc := range []struct {
		name, got string
		want      SnapshotDiff
	}{
		{"lengths in bytes", strings.Replace(good, "21:Zoë", "26:Zoë", 1),
			SnapshotDiff{Where: "step 2's label", Want: `21:Zoë's "owner": 名前 3:x`, Got: `26:Zoë's "owner": 名前 3:x`}},
		{"nothing", "", SnapshotDiff{Where: "step 1's approver role", Want: "12:LINE_MANAGER", Got: ""}},
		{"a role cut short", strings.Replace(good, "3:DPO", "2:DP", 1),
			SnapshotDiff{Where: "step 3's approver role", Want: "3:DPO", Got: "2:DP1"}},
		{"a step too many", good + "1:X1:Y", SnapshotDiff{Where: "after the last step", Got: "1:X1:Y"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, differ := DiffSnapshot(steps, tc.got)
			assert.True(t, differ)
			assert.Equal(t, tc.want, d)
		})
	}
}
