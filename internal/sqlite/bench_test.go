package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/signoff/signoff/internal/signoff"
	"github.com/signoff/signoff/internal/sqlite"
	"github.com/signoff/signoff/tools/bench/gen"
)

// BenchmarkQueue measures the approver queue query, the most expensive read
// of the queue page (see signoff.QueueLimit), on generated file databases of
// 1,000 and 10,000 requests: MARCO's queue, with the approver roles in his
// session and the limit that Service.Queue asks for.
func BenchmarkQueue(b *testing.B) {
	for _, n := range []int{1_000, 10_000} {
		b.Run(fmt.Sprintf("requests=%d", n), func(b *testing.B) {
			ctx := b.Context()
			st := generated(b, n)
			marco := identify(b, st, "MARCO")
			roles, err := signoff.NewService(st.Reads(), st).ApproverRoles(ctx, marco)
			if err != nil || len(roles) == 0 {
				b.Fatalf("MARCO's approver roles: %v, %v", roles, err)
			}
			b.ReportAllocs()
			var got int
			for b.Loop() {
				rows, err := st.Reads().Queue(ctx, signoff.QueueFilter{Roles: roles, User: marco.User, Limit: signoff.QueueLimit + 1})
				if err != nil {
					b.Fatal(err)
				}
				got = len(rows.Requests)
			}
			if got == 0 {
				b.Fatal("MARCO's queue is empty")
			}
		})
	}
}

// BenchmarkDecide measures one approval through signoff.Service.Decide on a
// generated 10,000-request file database: loading the request, the
// compare-and-set with its audit events and, on a chain's last step, the
// grant. Each iteration approves the current step of a different pending
// request as a persona who may decide it. The work list is drawn with the
// timer stopped; when it runs out it is drawn again (the requests approved
// so far wait at their next step; a database holds about 1,760 decisions),
// and when no pending step is left a fresh database is generated.
func BenchmarkDecide(b *testing.B) {
	var (
		st   *sqlite.Store
		svc  *signoff.Service
		work []decision
	)
	b.ReportAllocs()
	for b.Loop() {
		if len(work) == 0 {
			b.StopTimer()
			if st != nil {
				work = pendingWork(b, st)
			}
			if len(work) == 0 {
				st = generated(b, 10_000)
				svc = signoff.NewService(st.Reads(), st)
				if work = pendingWork(b, st); len(work) == 0 {
					b.Fatal("a freshly generated database has no step to decide")
				}
				// The first commit on a freshly opened database warms the
				// writer's connection (page cache, prepared statements):
				// keep that out of the figure.
				approve(b, svc, work[0])
				work = work[1:]
			}
			b.StartTimer()
		}
		approve(b, svc, work[0])
		work = work[1:]
	}
}

// approve decides d through the Service and fails the benchmark on error.
func approve(b *testing.B, svc *signoff.Service, d decision) {
	b.Helper()
	in := signoff.DecisionInput{Decision: signoff.DecisionApprove, Step: d.step}
	if _, err := svc.Decide(b.Context(), d.viewer, d.id, in); err != nil {
		b.Fatalf("%s approving step %d of %s: %v", d.viewer.User, d.step, d.id, err)
	}
}

// generated returns a file database under b.TempDir() holding the demo and
// requests generated requests (100 products, seed 1).
func generated(b *testing.B, requests int) *sqlite.Store {
	b.Helper()
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "bench.db")
	if _, err := gen.Generate(ctx, path, gen.Options{Requests: requests, Seed: 1, Now: time.Now()}); err != nil {
		b.Fatal(err)
	}
	st, err := sqlite.OpenExisting(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	return st
}

// identify returns user's identity in the local account.
func identify(b *testing.B, st *sqlite.Store, user string) signoff.Identity {
	b.Helper()
	id, err := st.Identify(context.Background(), user)
	if err != nil {
		b.Fatal(err)
	}
	return id
}

// decision is one step to approve: request id's current step, by viewer.
type decision struct {
	viewer signoff.Identity
	id     string
	step   int
}

// approvers are the personas who decide generated chains. DANA comes before
// SAM, who also holds DPO: a DPO step SAM decided would leave no one to
// decide the security step after it.
var approvers = []string{"MARCO", "OLIVIA", "FRANK", "HANNAH", "DANA", "SAM"}

// pendingWork returns one decision for every pending request whose current
// step an approver persona may decide: the persona holds the step's role, did
// not make the request and decided no earlier step of it.
func pendingWork(b *testing.B, st *sqlite.Store) []decision {
	b.Helper()
	ids := make([]signoff.Identity, len(approvers))
	for i, u := range approvers {
		ids[i] = identify(b, st, u)
	}
	rs, err := st.Reads().RequestsIn(context.Background(), []signoff.Status{signoff.StatusPending}, 1<<30)
	if err != nil {
		b.Fatal(err)
	}
	var work []decision
	for _, r := range rs {
		step, _ := r.Current()
		for _, id := range ids {
			if id.HasRole(step.ApproverRole) && id.User != r.Requester && !r.DecidedBy(id.User) {
				work = append(work, decision{id, r.ID, step.Order})
				break
			}
		}
	}
	return work
}
