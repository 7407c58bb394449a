package signoff_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/signoff"
)

// managedProduct's first step is the requester's manager's, its last the
// owners'; extensions take the last step only.
func managedProduct() signoff.Product {
	p := signoff.Product{ID: "p", OwnerRole: "OWNERS", FallbackRole: "GOV", ExtendLastStep: true,
		Chain: []signoff.ChainStep{
			{Kind: signoff.KindManager, ApproverRole: "LINE_MANAGER", Label: "Line manager", DeadlineHours: 24},
			{Kind: signoff.KindOwner, Label: "Owners"},
		}}
	signoff.NormalizeChain(&p)
	return p
}

func TestResolveChainForAManager(t *testing.T) {
	p := managedProduct()
	steps := signoff.ResolveChainFor(p, false, "BOB")
	require.Len(t, steps, 2)
	assert.Equal(t, "BOB", steps[0].ApproverUser)
	assert.Equal(t, "LINE_MANAGER", steps[0].ApproverRole, "the role managers must also hold")
	assert.Empty(t, steps[1].ApproverUser)
	assert.Empty(t, signoff.ResolveChain(p, false)[0].ApproverUser, "without a manager: the preview's shape")
	assert.True(t, signoff.NeedsManager(p, false))
	assert.False(t, signoff.NeedsManager(p, true), "an extension through the owners' step alone")
	p.Chain[0].WhenTag = "pii"
	assert.False(t, signoff.NeedsManager(p, false), "a manager step that does not apply")
}

// TestStepPolicy: a manager's name may hold any character but controls,
// the policy's separators included; the submission's details still parse.
func TestStepPolicy(t *testing.T) {
	assert.Equal(t, "24:GOV;", signoff.StepPolicy(signoff.Step{DeadlineHours: 24, FallbackRole: "GOV"}), "as before manager steps")
	odd := `a|b;@3:x "ö"`
	policy := signoff.StepPolicy(signoff.Step{DeadlineHours: 24, FallbackRole: "GOV", ApproverUser: odd}) +
		signoff.StepPolicy(signoff.Step{FallbackRole: "GOV"})
	assert.Equal(t, `24:GOV;@12:a|b;@3:x "ö";0:GOV;`, policy)
	snapshot := signoff.ChainSnapshot([]signoff.ChainStep{{ApproverRole: "LINE_MANAGER", Label: "Line manager"},
		{ApproverRole: "OWNERS", Label: "Owners"}})
	days, got, ok := signoff.ParseSubmissionDetails(signoff.SubmissionDetails(7, "", policy, snapshot))
	require.True(t, ok)
	assert.Equal(t, 7, days)
	assert.Equal(t, snapshot, got)
}

func TestDecideRoleOnAManagerStep(t *testing.T) {
	r := signoff.Request{Requester: "ALICE", Status: signoff.StatusPending, CurrentStep: 1, StepCount: 2,
		Steps: []signoff.Step{{Order: 1, Label: "Line manager", ApproverRole: "LINE_MANAGER", ApproverUser: "BOB",
			FallbackRole: "GOV"}, {Order: 2, Label: "Owners", ApproverRole: "OWNERS"}}}
	bob := signoff.NewIdentity("BOB", []string{"LINE_MANAGER"})
	carol := signoff.NewIdentity("CAROL", []string{"LINE_MANAGER", "GOV"})
	role, err := signoff.DecideRole(bob, r, "")
	require.NoError(t, err)
	assert.Equal(t, "LINE_MANAGER", role)
	_, err = signoff.DecideRole(carol, r, "")
	assert.Equal(t, signoff.CodeNotStepApprover, signoff.CodeOf(err))
	assert.ErrorIs(t, err, signoff.ErrForbidden)
	assert.Contains(t, signoff.Message(err), "for the requester's manager, BOB, to decide")
	_, err = signoff.DecideRole(signoff.NewIdentity("BOB", []string{"ANALYST"}), r, "")
	assert.ErrorIs(t, err, signoff.ErrForbidden, "the manager must hold the step's role")

	r.Steps[0].EscalatedTo = "GOV"
	role, err = signoff.DecideRole(carol, r, "")
	require.NoError(t, err)
	assert.Equal(t, "GOV", role, "once escalated, the fallback role decides it, never the manager's role")
	_, err = signoff.DecideRole(carol, r, "LINE_MANAGER")
	assert.Equal(t, signoff.CodeNotStepApprover, signoff.CodeOf(err), "acting as the manager's role")
	role, err = signoff.DecideRole(bob, r, "")
	require.NoError(t, err)
	assert.Equal(t, "LINE_MANAGER", role, "the manager still may")
}

func TestFirstBlockedOnAManagerStep(t *testing.T) {
	holders := signoff.RoleHolders{"LINE_MANAGER": {"BOB", "CAROL"}, "OWNERS": {"OLIVIA"}, "GOV": {"VERA"}}
	steps := signoff.ResolveChainFor(managedProduct(), false, "BOB")
	steps[1].ApproverRole = "OWNERS"
	assert.Nil(t, signoff.FirstBlocked(steps, "ALICE", holders))

	steps = signoff.ResolveChainFor(managedProduct(), false, "SAM")
	steps[1].ApproverRole = "OWNERS"
	b := signoff.FirstBlocked(steps, "ALICE", holders)
	require.NotNil(t, b, "CAROL holds the role, but the step is SAM's")
	assert.Equal(t, 1, b.Step)
	assert.Equal(t, "Step 1 (Line manager) is for the requester's manager, SAM, who does not hold LINE_MANAGER.", b.Why)
	b = signoff.FirstBlockedWithFallback(steps, "ALICE", holders)
	require.NotNil(t, b)
	assert.Equal(t, "GOV", b.Fallback, "it goes to the fallback approvers")
}

func TestValidateDirectory(t *testing.T) {
	e := func(u, m string) signoff.DirectoryEntry { return signoff.DirectoryEntry{User: u, Manager: m} }
	for _, tc := range []struct {
		entries []signoff.DirectoryEntry
		want    string
	}{
		{[]signoff.DirectoryEntry{e("ALICE", "BOB"), e("jane.doe@acme.com", "")}, ""},
		{nil, "at least one line"},
		{[]signoff.DirectoryEntry{e("ALICE", "ALICE")}, "Line 1: ALICE cannot be their own manager."},
		{[]signoff.DirectoryEntry{e("ALICE", "BOB"), e("ALICE", "CAROL")}, "Line 2: ALICE already has a manager on line 1"},
		{[]signoff.DirectoryEntry{e("ALICE\n", "BOB")}, "is not a user name"},
		{[]signoff.DirectoryEntry{e("ALICE", " BOB")}, "is not a user name"},
	} {
		err := signoff.ValidateDirectory(tc.entries)
		if tc.want == "" {
			assert.NoError(t, err)
			continue
		}
		assert.ErrorIs(t, err, signoff.ErrInvalid)
		assert.Contains(t, signoff.Message(err), tc.want)
	}
}

func TestParseDirectoryCSV(t *testing.T) {
	got, err := signoff.ParseDirectoryCSV("user,manager\r\nALICE, BOB\n\n\"smith, j\",\"O'Neil \"\"the\"\" boss\"\nNOEL,\n")
	require.NoError(t, err)
	assert.Equal(t, []signoff.DirectoryEntry{{User: "ALICE", Manager: "BOB"}, {User: "smith, j", Manager: `O'Neil "the" boss`},
		{User: "NOEL"}}, got)
	_, err = signoff.ParseDirectoryCSV("ALICE,BOB\nBEN")
	assert.Contains(t, signoff.Message(err), "Line 2 has 1 fields")
	_, err = signoff.ParseDirectoryCSV("ALICE,\"BOB")
	assert.Contains(t, signoff.Message(err), "Line 1 is not CSV")
}
