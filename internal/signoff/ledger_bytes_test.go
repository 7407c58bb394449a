package signoff

import (
	"testing"

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
