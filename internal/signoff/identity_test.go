package signoff_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/signoff/signoff/internal/signoff"
)

func TestValidIdentifier(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"ANALYST", true},
		{"analyst", true},
		{"_x", true},
		{"_", true},
		{"A$1", true},
		{"DATA_OWNER_SALES", true},
		{"A" + strings.Repeat("b", 254), true}, // 255 characters
		{"", false},
		{"1ROLE", false},
		{"$ROLE", false},
		{`"ANALYST"`, false},
		{"'ANALYST'", false},
		{"A'B", false},
		{"DB.ROLE", false},
		{"MY ROLE", false},
		{" ANALYST", false},
		{"ANALYST ", false},
		{"ANALYST\n", false},
		{"A;DROP", false},
		{"A;DROP TABLE AUDIT_LOG", false},
		{"A--", false},
		{"A-B", false},
		{"RÔLE", false},
		{"A" + strings.Repeat("b", 255), false}, // 256 characters
	}
	for _, tt := range tests {
		name := tt.in
		if len(name) > 20 {
			name = name[:20] + "…"
		}
		t.Run(name, func(t *testing.T) {
			assert.Equal(t, tt.want, signoff.ValidIdentifier(tt.in))
			err := signoff.ValidateIdentifier("role", tt.in)
			if tt.want {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, signoff.ErrInvalid)
				assert.Contains(t, signoff.Message(err), "role")
			}
		})
	}
}

func TestNewIdentity(t *testing.T) {
	roles := []string{"PUBLIC", "DPO", "ANALYST", "DPO"}
	id := signoff.NewIdentity("SAM", roles)
	assert.Equal(t, []string{"ANALYST", "DPO", "PUBLIC"}, id.Roles)
	assert.Equal(t, []string{"PUBLIC", "DPO", "ANALYST", "DPO"}, roles, "the caller's slice is not modified")
	assert.False(t, id.Anonymous())
	assert.True(t, id.HasRole("DPO"))
	assert.False(t, id.HasRole("dpo"), "role names are compared exactly")
	assert.False(t, id.HasRole("SECURITY_LEAD"))
	assert.False(t, id.HasRole(""))
}

func TestIdentityPrivileges(t *testing.T) {
	tests := []struct {
		name           string
		id             signoff.Identity
		anonymous      bool
		admin, auditor bool
	}{
		{"nobody", signoff.Identity{}, true, false, false},
		{"analyst", signoff.NewIdentity("ALICE", []string{"ANALYST", "PUBLIC"}), false, false, false},
		{"admin is also an auditor", signoff.NewIdentity("ADAM", []string{signoff.RoleAdmin}), false, true, true},
		{"auditor", signoff.NewIdentity("AUDREY", []string{signoff.RoleAuditor}), false, false, true},
		{"lower-case admin is not admin", signoff.NewIdentity("EVE", []string{"signoff_admin"}), false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.anonymous, tt.id.Anonymous())
			assert.Equal(t, tt.admin, tt.id.Admin())
			assert.Equal(t, tt.auditor, tt.id.Auditor())
		})
	}
}

func TestValidUserName(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"ALICE", true},
		{"alice", true}, // a quoted lower-case user: distinct from ALICE
		{"JANE.DOE@ACME.COM", true},
		{`O"BRIEN`, true},
		{"Zoë Ångström", true},
		{"名前", true},
		{"x'; DROP TABLE t; --", true}, // a name, bound or quoted, never concatenated
		{strings.Repeat("a", signoff.MaxUserNameLength), true},
		{strings.Repeat("é", signoff.MaxUserNameLength), true},
		{"", false},
		{strings.Repeat("a", signoff.MaxUserNameLength+1), false},
		{"ALICE\n", false},
		{"ALI\x00CE", false},
		{"ALICE\u0085", false}, // C1 control
		{"bad\xffutf8", false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, signoff.ValidUserName(tt.in), "%q", tt.in)
	}
}

func TestQuoteIdentifier(t *testing.T) {
	for in, want := range map[string]string{
		"ALICE":             `"ALICE"`,
		"alice":             `"alice"`,
		"JANE.DOE@ACME.COM": `"JANE.DOE@ACME.COM"`,
		`O"BRIEN`:           `"O""BRIEN"`,
		`"`:                 `""""`,
	} {
		assert.Equal(t, want, signoff.QuoteIdentifier(in))
	}
}
