package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/signoff"
)

func testEvents(t *testing.T, f *fixture) {
	ctx := f.ctx
	r1 := f.submit(t, requester, "ledger")
	r2 := f.submit(t, requester2, "reports")
	f.approve(t, manager, r1.ID)
	f.approve(t, owner, r2.ID) // STEP_APPROVED, REQUEST_APPROVED, ACCESS_GRANTED
	require.NoError(t, f.svc.Withdraw(ctx, f.who(t, requester), r1.ID))

	all := f.events(t, signoff.EventFilter{})
	require.Len(t, all, 7)
	for i := 1; i < len(all); i++ {
		assert.Equal(t, all[i-1].Seq-1, all[i].Seq, "newest first, in the ledger's order")
		assert.False(t, all[i-1].Time.Before(all[i].Time), "newest first")
	}
	assert.Equal(t, signoff.EventRequestWithdrawn, all[0].Type)
	assert.Equal(t, signoff.EventRequestSubmitted, all[6].Type)
	for _, e := range all {
		want := map[string]string{"ledger": "General ledger", "reports": "Weekly reports"}[e.ProductID]
		assert.Equal(t, want, e.ProductName, "each event with its product's name")
	}

	// The window starts at the manager's approval (inclusive) and ends at the
	// withdrawal (exclusive). The owner's approval, the request's approval
	// and the grant are one action: their events share its time.
	managerApproval := all[4]
	require.Equal(t, manager, managerApproval.Actor)
	grant := all[1]
	require.Equal(t, signoff.EventAccessGranted, grant.Type)
	require.True(t, all[3].Time.Equal(grant.Time), "one action, one time")
	from, to := managerApproval.Time, all[0].Time

	tests := []struct {
		name   string
		filter signoff.EventFilter
		match  func(signoff.Event) bool
		n      int
	}{
		{"everything", signoff.EventFilter{}, func(signoff.Event) bool { return true }, 7},
		{"request", signoff.EventFilter{RequestID: r1.ID}, func(e signoff.Event) bool { return e.RequestID == r1.ID }, 3},
		{"product", signoff.EventFilter{ProductID: "reports"}, func(e signoff.Event) bool { return e.ProductID == "reports" }, 4},
		{"actor", signoff.EventFilter{Actor: owner}, func(e signoff.Event) bool { return e.Actor == owner }, 3},
		{"actor, any case", signoff.EventFilter{Actor: "oWnEr"}, func(e signoff.Event) bool { return e.Actor == owner }, 3},
		{"actor, a part", signoff.EventFilter{Actor: "wne"}, func(e signoff.Event) bool { return e.Actor == owner }, 3},
		{"actor, a prefix", signoff.EventFilter{Actor: "re"}, func(e signoff.Event) bool {
			return e.Actor == requester || e.Actor == requester2
		}, 3},
		// A whole name is that person, not everyone whose name contains it:
		// REQ is not REQ2.
		{"actor, a whole name in another case", signoff.EventFilter{Actor: "req"}, func(e signoff.Event) bool {
			return e.Actor == requester
		}, 2},
		{"actor, a whole name and a type", signoff.EventFilter{Actor: "req", Type: signoff.EventAccessGranted},
			func(signoff.Event) bool { return false }, 0},
		{"actor, a part and a type", signoff.EventFilter{Actor: "Q", Type: signoff.EventRequestWithdrawn},
			func(e signoff.Event) bool { return e.Type == signoff.EventRequestWithdrawn }, 1},
		{"actor, LIKE's wildcards are literal", signoff.EventFilter{Actor: "%"}, func(signoff.Event) bool { return false }, 0},
		{"actor, LIKE's one-character wildcard is literal", signoff.EventFilter{Actor: "M_R"}, func(signoff.Event) bool { return false }, 0},
		{"actor, the escape character is literal", signoff.EventFilter{Actor: "!"}, func(signoff.Event) bool { return false }, 0},
		{"type", signoff.EventFilter{Type: signoff.EventStepApproved}, func(e signoff.Event) bool { return e.Type == signoff.EventStepApproved }, 2},
		{"time range", signoff.EventFilter{From: from, To: to}, func(e signoff.Event) bool {
			return !e.Time.Before(from) && e.Time.Before(to)
		}, 4},
		{"time range in another zone", signoff.EventFilter{From: from.In(time.FixedZone("CET", 3600)), To: to.In(time.FixedZone("PST", -8*3600))},
			func(e signoff.Event) bool { return !e.Time.Before(from) && e.Time.Before(to) }, 4},
		{"from only", signoff.EventFilter{From: grant.Time}, func(e signoff.Event) bool { return !e.Time.Before(grant.Time) }, 4},
		{"actor and type", signoff.EventFilter{Actor: owner, Type: signoff.EventAccessGranted}, func(e signoff.Event) bool {
			return e.Actor == owner && e.Type == signoff.EventAccessGranted
		}, 1},
		{"nothing matches", signoff.EventFilter{Actor: stranger}, func(signoff.Event) bool { return false }, 0},
		{"limit", signoff.EventFilter{Limit: 3}, func(e signoff.Event) bool { return e.Seq >= all[2].Seq }, 3},
		{"before", signoff.EventFilter{Before: all[2].Seq}, func(e signoff.Event) bool { return e.Seq < all[2].Seq }, 4},
		{"before and actor", signoff.EventFilter{Before: all[2].Seq, Actor: "OWN"}, func(e signoff.Event) bool {
			return e.Seq < all[2].Seq && e.Actor == owner
		}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var want []string
			for _, e := range all {
				if tt.match(e) {
					want = append(want, e.ID)
				}
			}
			require.Len(t, want, tt.n, "the fixture has the events the test expects")
			got := f.events(t, tt.filter)
			assert.Equal(t, want, nilIfEmpty(eventIDs(got)))
		})
	}

	t.Run("keyset pages", func(t *testing.T) {
		var seen []string
		before := 0
		for page := 0; page < 10; page++ {
			evs, err := f.reads.Events(ctx, signoff.EventFilter{Before: before, Limit: 2})
			require.NoError(t, err)
			assert.LessOrEqual(t, len(evs), 2, "limit honoured")
			if len(evs) == 0 {
				break
			}
			for _, e := range evs {
				assert.NotContains(t, seen, e.ID, "pages do not overlap")
				seen = append(seen, e.ID)
			}
			before = evs[len(evs)-1].Seq
		}
		assert.Equal(t, eventIDs(all), seen, "the pages together are the whole log, newest first")
	})

	t.Run("audit pages through the service", func(t *testing.T) {
		aud := f.who(t, auditor)
		var seen []string
		f1 := signoff.EventFilter{Limit: 3}
		for page := 0; page < 10; page++ {
			p, err := f.svc.Audit(ctx, aud, f1)
			require.NoError(t, err)
			assert.LessOrEqual(t, len(p.Events), 3)
			seen = append(seen, eventIDs(p.Events)...)
			if p.Next == 0 {
				break
			}
			f1.Before = p.Next
		}
		assert.Equal(t, eventIDs(all), seen)

		_, err := f.svc.Audit(ctx, f.who(t, manager), signoff.EventFilter{})
		assert.ErrorIs(t, err, signoff.ErrForbidden)
		_, err = f.svc.Audit(ctx, aud, signoff.EventFilter{Before: -1})
		assert.ErrorIs(t, err, signoff.ErrInvalid)
	})

	// Two instances' clocks disagree a little: an event appended later may
	// carry an earlier time, and so a smaller ID. The log's order is the
	// order of appends (seq), never the IDs'; pages follow it too.
	t.Run("the ledger's order, not the IDs'", func(t *testing.T) {
		var behind signoff.IDGenerator // another instance's, a minute behind
		at := f.clock.Now().Add(-time.Minute)
		late, err := f.engine.Submit(ctx, f.who(t, requester2), signoff.SubmitCall{ProductID: "ledger", Reason: reason,
			RequestID: behind.New(at), EventIDs: []string{behind.New(at)}, At: at})
		require.NoError(t, err)
		require.Equal(t, signoff.CodeOK, late.Code)

		now := f.events(t, signoff.EventFilter{})
		require.Len(t, now, len(all)+1)
		assert.Equal(t, late.RequestID, now[0].RequestID, "the last appended is the newest")
		assert.Less(t, now[0].ID, now[1].ID, "though its ID sorts before the one appended before it")
		assert.Equal(t, all, now[1:])

		var seen []string
		before := 0
		for range 10 {
			evs := f.events(t, signoff.EventFilter{Before: before, Limit: 3})
			if len(evs) == 0 {
				break
			}
			seen = append(seen, eventIDs(evs)...)
			before = evs[len(evs)-1].Seq
		}
		assert.Equal(t, eventIDs(now), seen, "pages by position: every event once, in the ledger's order")
	})
}
