package signoff_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/signoff"
)

func TestValidateReason(t *testing.T) {
	tests := []struct {
		name   string
		reason string
		ok     bool
		want   string // part of the message when not ok
	}{
		{"empty", "", false, "Please give a business reason"},
		{"only spaces", " \t\n  ", false, "Please give a business reason"},
		{"too short", "need it", false, "at least 20 characters"},
		{"19 runes", strings.Repeat("a", 19), false, "at least 20 characters"},
		{"19 runes padded to 30 bytes", "     " + strings.Repeat("a", 19) + "      ", false, "at least 20 characters"},
		{"19 multibyte runes (57 bytes)", strings.Repeat("日", 19), false, "at least 20 characters"},
		{"exactly 20", strings.Repeat("a", 20), true, ""},
		{"exactly 20 multibyte runes", strings.Repeat("é", 20), true, ""},
		{"exactly 20 after trimming", "  " + strings.Repeat("a", 20) + "\n", true, ""},
		{"normal", "Quarterly close reconciliation needs the journal lines.", true, ""},
		{"exactly max", strings.Repeat("a", signoff.MaxReasonLength), true, ""},
		{"too long", strings.Repeat("a", signoff.MaxReasonLength+1), false, "too long"},
		{"20 letters between spaces", "abcd efgh ijkl mnop qrst", true, ""},
		{"two letters padded with spaces", "a" + strings.Repeat(" ", 18) + "b", false, "at least 20 characters"},
		{"the maximum counts every character stored", strings.Repeat("a", 1000) + strings.Repeat("\n", 20) + strings.Repeat("a", 990), false, "too long"},
		{"a right-to-left override", "Refund approved for \u202eredro 1 ylno\u202c, nothing else.", false,
			"The business reason contains an invisible right-to-left override (U+202E), which changes the order in which text is displayed. Remove it and try again."},
		{"invalid UTF-8", strings.Repeat("a", 25) + "\xff", false, "not text"},
	}
	// Nineteen letters and padding of any blank that shows nothing.
	for _, blank := range []rune{' ', '\t', 0x00A0, 0x00AD, 0x034F, 0x115F, 0x1160, 0x17B4, 0x180E, 0x2000, 0x200A, 0x200B,
		0x200C, 0x200D, 0x2028, 0x202F, 0x205F, 0x2060, 0x2064, 0x2800, 0x3000, 0x3164, 0xFE0F, 0xFEFF, 0xFFA0, 0x1D159,
		0x1D173, 0xE0041, 0xE0100, 0xE0500} {
		tests = append(tests, struct {
			name   string
			reason string
			ok     bool
			want   string
		}{fmt.Sprintf("19 letters padded with U+%04X", blank), "abcdefghi" + strings.Repeat(string(blank), 30) + "jklmnopqrs",
			false, "at least 20 characters"})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := signoff.ValidateReason(tt.reason)
			if tt.ok {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.ErrorIs(t, err, signoff.ErrInvalid)
			var p signoff.Problems
			require.ErrorAs(t, err, &p)
			assert.Contains(t, p["reason"], tt.want)
			assert.Contains(t, signoff.Message(err), tt.want)
		})
	}
}

func TestValidateComment(t *testing.T) {
	tests := []struct {
		name     string
		decision signoff.Decision
		comment  string
		ok       bool
	}{
		{"approve without comment", signoff.DecisionApprove, "", true},
		{"approve with comment", signoff.DecisionApprove, "Part of the Q4 objectives.", true},
		{"reject without comment", signoff.DecisionReject, "", false},
		{"reject with blank comment", signoff.DecisionReject, "  \n\t ", false},
		{"reject with comment", signoff.DecisionReject, "Use the summary product instead.", true},
		{"approve at max length", signoff.DecisionApprove, strings.Repeat("b", signoff.MaxCommentLength), true},
		{"approve too long", signoff.DecisionApprove, strings.Repeat("b", signoff.MaxCommentLength+1), false},
		{"reject too long", signoff.DecisionReject, strings.Repeat("b", signoff.MaxCommentLength+1), false},
		{"reject with Hangul fillers", signoff.DecisionReject, "\u3164\u3164\u3164", false},
		{"reject with braille blanks", signoff.DecisionReject, "\u2800\u2800", false},
		{"reject with zero-width characters", signoff.DecisionReject, "\u200b\u200c\u200d\u2060\ufeff", false},
		{"reject with one letter", signoff.DecisionReject, "\u3164x\u3164", true},
		{"approve with a bidi isolate", signoff.DecisionApprove, "fine \u2067by me\u2069", false},
		{"reject with a right-to-left mark", signoff.DecisionReject, "Budget \u200f-1\u200f only", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := signoff.ValidateComment(tt.decision, tt.comment)
			if tt.ok {
				assert.NoError(t, err)
				return
			}
			assert.ErrorIs(t, err, signoff.ErrInvalid)
			var p signoff.Problems
			require.ErrorAs(t, err, &p)
			assert.NotEmpty(t, p["comment"])
		})
	}
}

func TestValidateRevokeReason(t *testing.T) {
	for _, ok := range []string{"x", "Project over.", strings.Repeat("c", signoff.MaxCommentLength)} {
		assert.NoError(t, signoff.ValidateRevokeReason(ok), ok)
	}
	for reason, want := range map[string]string{
		"":             signoff.RevokeReasonMissing,
		" \t\n":        signoff.RevokeReasonMissing,
		"\u200b\u3164": signoff.RevokeReasonMissing, // zero-width space, Hangul filler
		strings.Repeat("c", signoff.MaxCommentLength+1): "too long",
		"Left the \u202dcompany\u202c":                  "The reason contains an invisible left-to-right override (U+202D)",
		"Moved teams \u2066today\u2069":                 "left-to-right isolate (U+2066)",
		"\u061cProject over":                            "arabic letter mark (U+061C)",
		"Project over\xff":                              "not text",
	} {
		err := signoff.ValidateRevokeReason(reason)
		require.Error(t, err, reason)
		var p signoff.Problems
		require.ErrorAs(t, err, &p)
		assert.Contains(t, p["reason"], want)
	}
}

// defaultIgnorable is Unicode 15.0's Default_Ignorable_Code_Point, from
// DerivedCoreProperties.txt: copied, so that the rules are checked against
// the property itself rather than the tables they are built from.
var defaultIgnorable = [][2]rune{{0x00AD, 0x00AD}, {0x034F, 0x034F}, {0x061C, 0x061C}, {0x115F, 0x1160}, {0x17B4, 0x17B5},
	{0x180B, 0x180F}, {0x200B, 0x200F}, {0x202A, 0x202E}, {0x2060, 0x206F}, {0x3164, 0x3164}, {0xFE00, 0xFE0F},
	{0xFEFF, 0xFEFF}, {0xFFA0, 0xFFA0}, {0xFFF0, 0xFFF8}, {0x1BCA0, 0x1BCA3}, {0x1D173, 0x1D17A}, {0xE0000, 0xE0FFF}}

// invisibleOracle is what Invisible must be: White_Space, Cc, Cf,
// Default_Ignorable_Code_Point, and the two padding symbols.
func invisibleOracle(r rune) bool {
	for _, rg := range defaultIgnorable {
		if r >= rg[0] && r <= rg[1] {
			return true
		}
	}
	return unicode.In(r, unicode.White_Space, unicode.Cc, unicode.Cf) || r == 0x2800 || r == 0x1D159
}

// TestInvisible checks the set over the whole of Unicode.
func TestInvisible(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if signoff.Invisible(r) != invisibleOracle(r) {
			t.Fatalf("Invisible(U+%04X) = %v", r, signoff.Invisible(r))
		}
	}
	for _, r := range "aZ09é日😀.-_'\"€\ufffc\u3163" {
		assert.False(t, signoff.Invisible(r), "U+%04X shows", r)
	}
}

// TestBidiControl: the controls that reorder text, and nothing else.
func TestBidiControl(t *testing.T) {
	var got []rune
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if signoff.BidiControl(r) {
			got = append(got, r)
		}
	}
	assert.Equal(t, []rune{0x061C, 0x200E, 0x200F, 0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069}, got)
	for _, r := range got {
		assert.True(t, signoff.Invisible(r), "U+%04X would not count anyway", r)
	}
}

// TestTextSample: the preflight's sample crosses every edge of both sets,
// and its counts are what the rules count.
func TestTextSample(t *testing.T) {
	text, length, visible, bidi := signoff.TextSample()
	in := map[rune]bool{}
	wantVisible, wantBidi := 0, 0
	for _, r := range text {
		in[r] = true
		if !invisibleOracle(r) {
			wantVisible++
		}
		if signoff.BidiControl(r) {
			wantBidi++
		}
	}
	assert.Equal(t, utf8.RuneCountInString(text), length)
	assert.Equal(t, wantVisible, visible)
	assert.Equal(t, wantBidi, bidi)
	for r := rune(1); r <= unicode.MaxRune; r++ {
		if signoff.Invisible(r) != signoff.Invisible(r-1) || signoff.BidiControl(r) != signoff.BidiControl(r-1) {
			assert.True(t, in[r-1] && in[r], "the edge between U+%04X and U+%04X", r-1, r)
		}
	}
}

func TestParseDecision(t *testing.T) {
	tests := []struct {
		in   string
		want signoff.Decision
		ok   bool
	}{
		{"approve", signoff.DecisionApprove, true},
		{"reject", signoff.DecisionReject, true},
		{"", signoff.DecisionNone, false},
		{"APPROVE", signoff.DecisionNone, false},
		{"approved", signoff.DecisionNone, false},
		{"APPROVED", signoff.DecisionNone, false},
		{" approve", signoff.DecisionNone, false},
		{"maybe", signoff.DecisionNone, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := signoff.ParseDecision(tt.in)
			assert.Equal(t, tt.want, got)
			if tt.ok {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, signoff.ErrInvalid)
				assert.NotEmpty(t, signoff.Message(err))
			}
		})
	}
}

// chainRequest is a 3-step request at step 2: MGR approved step 1.
func chainRequest() signoff.Request {
	return signoff.Request{
		ID: "01J00000000000000000000000", ProductID: "ledger", Requester: "REQ",
		Status: signoff.StatusPending, CurrentStep: 2, StepCount: 3,
		Steps: []signoff.Step{
			{Order: 1, Label: "Line manager", ApproverRole: "LINE_MANAGER", Decision: signoff.DecisionApprove,
				DecidedBy: "MGR", ActorRole: "LINE_MANAGER"},
			{Order: 2, Label: "Data owner", ApproverRole: "DATA_OWNER"},
			{Order: 3, Label: "Data protection", ApproverRole: "DPO"},
		},
	}
}

func TestDecideRole(t *testing.T) {
	atStep := func(n int) signoff.Request { r := chainRequest(); r.CurrentStep = n; return r }
	withStatus := func(s signoff.Status) signoff.Request { r := chainRequest(); r.Status = s; return r }
	tests := []struct {
		name     string
		viewer   signoff.Identity
		r        signoff.Request
		actingAs string
		want     string
		kind     error
		msg      string // part of the message on error
	}{
		{"owner decides", signoff.NewIdentity("OWNER", []string{"DATA_OWNER", "PUBLIC"}), chainRequest(), "", "DATA_OWNER", nil, ""},
		{"owner acting as the step's role", signoff.NewIdentity("OWNER", []string{"DATA_OWNER", "ANALYST"}), chainRequest(), "DATA_OWNER", "DATA_OWNER", nil, ""},
		{"hierarchy-inherited role", signoff.NewIdentity("SAM", []string{"SECURITY_LEAD", "DPO"}), atStep(3), "", "DPO", nil, ""},
		{"anonymous", signoff.Identity{}, chainRequest(), "", "", signoff.ErrUnauthenticated, "sign in"},
		{"anonymous with roles", signoff.Identity{Roles: []string{"DATA_OWNER"}}, chainRequest(), "", "", signoff.ErrUnauthenticated, "sign in"},
		{"requester holding the role", signoff.NewIdentity("REQ", []string{"DATA_OWNER"}), chainRequest(), "", "", signoff.ErrForbidden, "You made this request"},
		{"already decided a step", signoff.NewIdentity("MGR", []string{"LINE_MANAGER", "DATA_OWNER"}), chainRequest(), "", "", signoff.ErrForbidden, "already decided"},
		{"already decided, acting as the right role", signoff.NewIdentity("MGR", []string{"LINE_MANAGER", "DATA_OWNER"}), chainRequest(), "DATA_OWNER", "", signoff.ErrForbidden, "already decided"},
		{"role not in session", signoff.NewIdentity("DANA", []string{"DPO"}), chainRequest(), "", "", signoff.ErrForbidden, "DATA_OWNER role, which is not in your session"},
		{"acting as a role not held", signoff.NewIdentity("OWNER", []string{"DATA_OWNER"}), chainRequest(), "DPO", "", signoff.ErrForbidden, "not in your session"},
		{"acting as a different held role", signoff.NewIdentity("BOTH", []string{"DATA_OWNER", "FINANCE"}), chainRequest(), "FINANCE", "", signoff.ErrForbidden, "you are acting as FINANCE"},
		{"approved", signoff.NewIdentity("OWNER", []string{"DATA_OWNER"}), withStatus(signoff.StatusApproved), "", "", signoff.ErrConflict, "no step to decide now"},
		{"granted", signoff.NewIdentity("OWNER", []string{"DATA_OWNER"}), withStatus(signoff.StatusGranted), "", "", signoff.ErrConflict, "no step to decide now"},
		{"rejected", signoff.NewIdentity("OWNER", []string{"DATA_OWNER"}), withStatus(signoff.StatusRejected), "", "", signoff.ErrConflict, "rejected"},
		{"withdrawn", signoff.NewIdentity("OWNER", []string{"DATA_OWNER"}), withStatus(signoff.StatusWithdrawn), "", "", signoff.ErrConflict, "withdrawn"},
		{"current step missing", signoff.NewIdentity("OWNER", []string{"DATA_OWNER"}), atStep(7), "", "", signoff.ErrConflict, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := signoff.DecideRole(tt.viewer, tt.r, tt.actingAs)
			assert.Equal(t, tt.want, got)
			if tt.kind == nil {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.ErrorIs(t, err, tt.kind)
			for _, other := range []error{signoff.ErrUnauthenticated, signoff.ErrForbidden, signoff.ErrConflict} {
				if other != tt.kind {
					assert.False(t, errors.Is(err, other), "error %q is also %v", err, other)
				}
			}
			assert.NotEmpty(t, signoff.Message(err))
			assert.Contains(t, signoff.Message(err), tt.msg)
		})
	}
}

func TestCanView(t *testing.T) {
	r := chainRequest()
	p := signoff.Product{ID: "ledger", OwnerRole: "LEDGER_OWNER"}
	tests := []struct {
		name   string
		viewer signoff.Identity
		want   bool
	}{
		{"requester", signoff.NewIdentity("REQ", nil), true},
		{"approver of a past step", signoff.NewIdentity("X", []string{"LINE_MANAGER"}), true},
		{"approver of a future step", signoff.NewIdentity("X", []string{"DPO"}), true},
		{"product owner", signoff.NewIdentity("X", []string{"LEDGER_OWNER"}), true},
		{"admin", signoff.NewIdentity("X", []string{signoff.RoleAdmin}), true},
		{"auditor", signoff.NewIdentity("X", []string{signoff.RoleAuditor}), true},
		{"stranger", signoff.NewIdentity("X", []string{"ANALYST", "PUBLIC"}), false},
		{"anonymous", signoff.Identity{}, false},
		{"anonymous with an admin role", signoff.Identity{Roles: []string{signoff.RoleAdmin}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, signoff.CanView(tt.viewer, r, p))
		})
	}
}

func TestCanWithdraw(t *testing.T) {
	req := signoff.NewIdentity("REQ", []string{"ANALYST"})
	tests := []struct {
		name   string
		viewer signoff.Identity
		status signoff.Status
		want   bool
	}{
		{"requester, pending", req, signoff.StatusPending, true},
		{"requester, approved", req, signoff.StatusApproved, false},
		{"requester, granted", req, signoff.StatusGranted, false},
		{"requester, rejected", req, signoff.StatusRejected, false},
		{"requester, withdrawn", req, signoff.StatusWithdrawn, false},
		{"admin, pending", signoff.NewIdentity("ADMIN", []string{signoff.RoleAdmin}), signoff.StatusPending, false},
		{"approver, pending", signoff.NewIdentity("OWNER", []string{"DATA_OWNER"}), signoff.StatusPending, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := chainRequest()
			r.Status = tt.status
			assert.Equal(t, tt.want, signoff.CanWithdraw(tt.viewer, r))
		})
	}
	t.Run("anonymous on a request without requester", func(t *testing.T) {
		r := chainRequest()
		r.Requester = ""
		assert.False(t, signoff.CanWithdraw(signoff.Identity{}, r))
	})
}

func TestCanRevoke(t *testing.T) {
	p := signoff.Product{ID: "ledger", OwnerRole: "LEDGER_OWNER"}
	admin := signoff.NewIdentity("ADMIN", []string{signoff.RoleAdmin})
	owner := signoff.NewIdentity("OLIVIA", []string{"LEDGER_OWNER"})
	tests := []struct {
		name   string
		viewer signoff.Identity
		status signoff.Status
		want   bool
	}{
		{"admin, granted", admin, signoff.StatusGranted, true},
		{"owner, granted", owner, signoff.StatusGranted, true},
		{"owner, pending", owner, signoff.StatusPending, false},
		{"admin, revoked", admin, signoff.StatusRevoked, false},
		{"admin, grant failed", admin, signoff.StatusGrantFailed, false},
		{"requester, granted", signoff.NewIdentity("REQ", []string{"ANALYST"}), signoff.StatusGranted, false},
		{"auditor, granted", signoff.NewIdentity("AUD", []string{signoff.RoleAuditor}), signoff.StatusGranted, false},
		{"approver, granted", signoff.NewIdentity("OWNER", []string{"DATA_OWNER"}), signoff.StatusGranted, false},
		{"anonymous, granted", signoff.Identity{}, signoff.StatusGranted, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := chainRequest()
			r.Status = tt.status
			assert.Equal(t, tt.want, signoff.CanRevoke(tt.viewer, r, p))
		})
	}
}

func TestCanRetryGrant(t *testing.T) {
	admin := signoff.NewIdentity("ADMIN", []string{signoff.RoleAdmin})
	tests := []struct {
		name   string
		viewer signoff.Identity
		status signoff.Status
		want   bool
	}{
		{"admin, grant failed", admin, signoff.StatusGrantFailed, true},
		{"admin, approved (grant never ran)", admin, signoff.StatusApproved, true},
		{"admin, granted", admin, signoff.StatusGranted, false},
		{"admin, pending", admin, signoff.StatusPending, false},
		{"admin, revoked", admin, signoff.StatusRevoked, false},
		{"auditor, grant failed", signoff.NewIdentity("AUD", []string{signoff.RoleAuditor}), signoff.StatusGrantFailed, false},
		{"owner, grant failed", signoff.NewIdentity("OWNER", []string{"DATA_OWNER"}), signoff.StatusGrantFailed, false},
		{"anonymous, grant failed", signoff.Identity{}, signoff.StatusGrantFailed, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := chainRequest()
			r.Status = tt.status
			assert.Equal(t, tt.want, signoff.CanRetryGrant(tt.viewer, r))
		})
	}
}

func TestProductFilterMatch(t *testing.T) {
	p := signoff.Product{
		ID: "gl-journal", Name: "General ledger journal", Description: "Posted journal lines before close.",
		Owner: "Frank Weber (Group finance)", Domain: "Finance", Classification: "FINANCE",
		Tags: []string{"finance", "ledger", "sox"},
	}
	tests := []struct {
		name string
		f    signoff.ProductFilter
		want bool
	}{
		{"empty filter", signoff.ProductFilter{}, true},
		{"word in name", signoff.ProductFilter{Query: "ledger"}, true},
		{"word in name, other case", signoff.ProductFilter{Query: "LEDGER"}, true},
		{"word in description", signoff.ProductFilter{Query: "posted"}, true},
		{"word in owner", signoff.ProductFilter{Query: "weber"}, true},
		{"word in id", signoff.ProductFilter{Query: "gl-journal"}, true},
		{"word in tags", signoff.ProductFilter{Query: "sox"}, true},
		{"every word must match", signoff.ProductFilter{Query: "journal frank"}, true},
		{"one word misses", signoff.ProductFilter{Query: "journal marketing"}, false},
		{"no match", signoff.ProductFilter{Query: "campaign"}, false},
		{"blank query", signoff.ProductFilter{Query: "   "}, true},
		{"tag", signoff.ProductFilter{Tag: "SOX"}, true},
		{"tag is not a substring match", signoff.ProductFilter{Tag: "so"}, false},
		{"missing tag", signoff.ProductFilter{Tag: "gdpr"}, false},
		{"classification", signoff.ProductFilter{Classification: "finance"}, true},
		{"other classification", signoff.ProductFilter{Classification: "PII"}, false},
		{"all three", signoff.ProductFilter{Query: "journal", Tag: "ledger", Classification: "FINANCE"}, true},
		{"all three, tag misses", signoff.ProductFilter{Query: "journal", Tag: "hr", Classification: "FINANCE"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.f.Match(p))
		})
	}
}

func TestStatusOpen(t *testing.T) {
	open := map[signoff.Status]bool{
		signoff.StatusPending: true, signoff.StatusApproved: true, signoff.StatusGranted: true,
		signoff.StatusGrantFailed: true, signoff.StatusRejected: false, signoff.StatusWithdrawn: false,
		signoff.StatusRevoked: false, signoff.StatusChangesRequested: true, signoff.StatusExpired: false,
	}
	require.Len(t, signoff.Statuses, len(open))
	for _, s := range signoff.Statuses {
		t.Run(string(s), func(t *testing.T) {
			want, ok := open[s]
			require.True(t, ok, "status %s has no expectation", s)
			assert.Equal(t, want, s.Open())
			assert.NotEmpty(t, s.Label())
		})
	}
}

func TestRequestCurrentAndDecidedBy(t *testing.T) {
	r := chainRequest()
	step, ok := r.Current()
	require.True(t, ok)
	assert.Equal(t, 2, step.Order)
	assert.Equal(t, "DATA_OWNER", step.ApproverRole)
	assert.True(t, r.DecidedBy("MGR"))
	assert.False(t, r.DecidedBy("OWNER"))
	assert.False(t, r.DecidedBy(""), "undecided steps have no decider")

	r.Status = signoff.StatusGranted
	_, ok = r.Current()
	assert.False(t, ok, "only a pending request has a current step")
}

func TestErrors(t *testing.T) {
	err := signoff.Errorf(signoff.ErrConflict, "Step %d was decided.", 2)
	wrapped := errors.Join(errors.New("context"), err)
	assert.ErrorIs(t, err, signoff.ErrConflict)
	assert.ErrorIs(t, wrapped, signoff.ErrConflict)
	assert.NotErrorIs(t, err, signoff.ErrForbidden)
	assert.Equal(t, "Step 2 was decided.", signoff.Message(err))
	assert.Equal(t, "Step 2 was decided.", signoff.Message(wrapped))
	assert.Empty(t, signoff.Message(errors.New("internal detail")))
	assert.Empty(t, signoff.Message(nil))

	p := signoff.Problems{"reason": "Too short.", "comment": "Too long."}
	assert.ErrorIs(t, p, signoff.ErrInvalid)
	assert.Equal(t, "2 fields need attention", signoff.Message(p))
	assert.Equal(t, "Too short.", signoff.Message(signoff.Problems{"reason": "Too short."}))
}

// TestInvisibleCharactersDoNotPadAReason: zero-width and control characters
// do not count towards the minimum length.
func TestInvisibleCharactersDoNotPadAReason(t *testing.T) {
	assert.ErrorIs(t, signoff.ValidateReason(strings.Repeat("\u200b", 25)), signoff.ErrInvalid)
	assert.ErrorIs(t, signoff.ValidateReason("short"+strings.Repeat("\u200d\u2060", 20)), signoff.ErrInvalid)
	assert.NoError(t, signoff.ValidateReason("Churn model for the growth squad"))
}
