package sqlite_test

import (
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/signoff"
	"github.com/signoff/signoff/internal/sqlite"
)

// notifyFixture is a two-step chain (LINE_MANAGER, then DATA_OWNER) with
// ALICE asking; MARCO holds both roles, SAM holds DATA_OWNER through
// SECURITY_LEAD.
func notifyFixture(t *testing.T, st *sqlite.Store) *signoff.Service {
	t.Helper()
	ctx := t.Context()
	for _, r := range []string{"ANALYST", "LINE_MANAGER", "DATA_OWNER", "SECURITY_LEAD", "REPORTS_READ"} {
		require.NoError(t, st.CreateRole(ctx, r, ""))
	}
	require.NoError(t, st.GrantRoleToRole(ctx, "DATA_OWNER", "SECURITY_LEAD"))
	for user, roles := range map[string][]string{"ALICE": {"ANALYST", "LINE_MANAGER"}, "LENA": {"LINE_MANAGER"},
		"MARCO": {"LINE_MANAGER", "DATA_OWNER"}, "DORA": {"DATA_OWNER"}, "SAM": {"SECURITY_LEAD"}} {
		require.NoError(t, st.CreateUser(ctx, user, user, ""))
		for _, r := range roles {
			require.NoError(t, st.GrantRoleToUser(ctx, r, user, "ACCOUNTADMIN"))
		}
	}
	require.NoError(t, st.CreateProduct(ctx, signoff.Product{ID: "reports", Name: "Reports", OwnerRole: "DATA_OWNER",
		AccessRole: "REPORTS_READ", Chain: []signoff.ChainStep{{ApproverRole: "LINE_MANAGER", Label: "Line manager"},
			{ApproverRole: "DATA_OWNER", Label: "Data owner"}}}))
	svc := signoff.NewService(st.Reads(), st)
	svc.Notifier = st
	return svc
}

func who(t *testing.T, st *sqlite.Store, user string) signoff.Identity {
	t.Helper()
	id, err := st.Identify(t.Context(), user)
	require.NoError(t, err)
	return id
}

// checkAgainstGo holds the outbox's notices of the events after seq to
// signoff.NoticesFor, the rules in Go, on the request as it is now.
func checkAgainstGo(t *testing.T, st *sqlite.Store, requestID string, after int) {
	t.Helper()
	ctx := t.Context()
	r, _, events, err := st.Reads().RequestDetail(ctx, requestID)
	require.NoError(t, err)
	holders, err := st.RoleHolders(ctx, []string{"LINE_MANAGER", "DATA_OWNER"})
	require.NoError(t, err)
	all, err := st.Outbox(ctx, "", 1000)
	require.NoError(t, err)
	type key struct{ id, to, subject, body string }
	var want, got []key
	for _, e := range events {
		if e.Seq <= after {
			continue
		}
		for _, n := range signoff.NoticesFor(e, r, holders, nil) {
			want = append(want, key{n.ID, n.Recipient, n.Subject, n.Body})
		}
		for _, n := range all {
			if n.EventID == e.ID {
				got = append(got, key{n.ID, n.Recipient, n.Subject, n.Body})
			}
		}
	}
	sortKeys := func(k []key) { slices.SortFunc(k, func(a, b key) int { return compareStrings(a.id, b.id) }) }
	sortKeys(want)
	sortKeys(got)
	assert.Equal(t, want, got, "the SQL's notices are the Go rules'")
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func recipients(ns []signoff.Notice, kind string) []string {
	var out []string
	for _, n := range ns {
		if n.Kind == kind {
			out = append(out, n.Recipient)
		}
	}
	slices.Sort(out)
	return out
}

// TestNotify walks a request through its chain and checks who hears of each
// transition, once each, with the Go rules' words; two notifiers running at
// once write each notice once; a digest gathers an approver's notices.
func TestNotify(t *testing.T) {
	path := filepath.Join(t.TempDir(), "signoff.db")
	st, other := open(t, path), open(t, path)
	svc := notifyFixture(t, st)
	ctx := t.Context()
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	svc.Now = func() time.Time { return at }

	rep, err := svc.Notify(ctx)
	require.NoError(t, err)
	assert.Equal(t, 0, rep.Queued, "nothing happened yet")

	o, err := svc.Submit(ctx, who(t, st, "ALICE"), "reports", "Weekly KPI review for the growth team.", 0)
	require.NoError(t, err)
	id := o.RequestID

	// Two notifiers at once, on two stores over one file: one notice each.
	var wg sync.WaitGroup
	for _, n := range []*sqlite.Store{st, other} {
		wg.Go(func() {
			_, err := n.Notify(ctx, at)
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	ns, err := st.Outbox(ctx, "", 100)
	require.NoError(t, err)
	assert.Equal(t, []string{"LENA", "MARCO"}, recipients(ns, "REQUEST_SUBMITTED"),
		"step 1's approvers, not ALICE though she holds LINE_MANAGER: she asked")
	assert.Len(t, ns, 2)
	for _, n := range ns {
		assert.True(t, n.Sent(), "the embedded engine delivers by writing")
		assert.Contains(t, n.Body, "/requests/"+id)
	}
	checkAgainstGo(t, st, id, 0)

	// SAM asks for a daily digest.
	require.NoError(t, svc.SetDigest(ctx, who(t, st, "SAM"), true))
	_, err = svc.Decide(ctx, who(t, st, "MARCO"), id, signoff.DecisionInput{Decision: signoff.DecisionApprove, ActingAs: "LINE_MANAGER"})
	require.NoError(t, err)
	rep, err = svc.Notify(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Digests)
	ns, err = st.Outbox(ctx, "", 100)
	require.NoError(t, err)
	assert.Equal(t, []string{"ALICE"}, recipients(ns, "STEP_APPROVED")[:1])
	assert.Equal(t, []string{"ALICE", "DORA", "SAM"}, recipients(ns, "STEP_APPROVED"),
		"the requester, and step 2's approvers but MARCO, who decided step 1")
	checkAgainstGo(t, st, id, 1)
	sam, err := st.Outbox(ctx, "SAM", 100)
	require.NoError(t, err)
	require.Len(t, sam, 2, "SAM's notice and the digest that carries it")
	assert.Equal(t, signoff.KindDigest, sam[0].Kind)
	assert.Contains(t, sam[0].Body, "1 request steps")
	assert.Equal(t, sam[0].ID, sam[1].DigestID)

	// DORA approves the last step: ALICE hears once, of the grant.
	_, err = svc.Decide(ctx, who(t, st, "DORA"), id, signoff.DecisionInput{Decision: signoff.DecisionApprove, ActingAs: "DATA_OWNER"})
	require.NoError(t, err)
	before := len(ns)
	_, err = svc.Notify(ctx)
	require.NoError(t, err)
	ns, err = st.Outbox(ctx, "ALICE", 100)
	require.NoError(t, err)
	assert.Equal(t, signoff.EventAccessGranted, signoff.EventType(ns[0].Kind))
	all, err := st.Outbox(ctx, "", 100)
	require.NoError(t, err)
	assert.Len(t, all, before+1, "one message for the final approval, to the requester")
	checkAgainstGo(t, st, id, 3)

	// A run with nothing new writes nothing, and no second digest within a day.
	rep, err = svc.Notify(ctx)
	require.NoError(t, err)
	assert.Equal(t, signoff.NotifyReport{Upto: rep.Upto}, rep)
}

// TestNoticesNeverCarryGrantErrors: a failed grant's error is for admins.
func TestNoticesNeverCarryGrantErrors(t *testing.T) {
	for _, rule := range signoff.NoticeRules {
		if rule.Event == signoff.EventGrantFailed {
			assert.NotContains(t, rule.Body, "{comment}")
			assert.NotContains(t, rule.Subject, "{comment}")
		}
	}
}
