package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/signoff/signoff/internal/demo"
)

// actionRun is the figures and checks of the action runs.
type actionRun struct {
	submit, approve, reject, race result
	raceItems                     int
	check                         check
	profile                       *profile // the server's CPU while approving
}

// runActions signs in the personas the workload needs, then submits,
// approves, rejects, and has two clients race for each of raceN steps; every
// POST is same-origin with the persona's session, as a browser's would be.
//
// With profileRun, it then approves the steps left over while profileRun
// profiles the server; those approvals are not among the checked ones.
func runActions(ctx context.Context, base string, w workload, n, raceN, c int,
	profileRun func(name string, do op) (profile, error)) (actionRun, []decision, []int, []submission, error) {
	var run actionRun
	cl := newClient(c)
	cookies := map[string]string{}
	signInAll := func(users []string) error {
		for _, u := range users {
			if cookies[u] != "" {
				continue
			}
			ck, err := signIn(ctx, cl, base, u)
			if err != nil {
				return err
			}
			cookies[u] = ck
		}
		return nil
	}
	if err := signInAll(w.personas); err != nil {
		return run, nil, nil, nil, err
	}
	subs := w.submissions[:min(n, len(w.submissions))]
	var requesters []string
	for _, s := range subs {
		requesters = append(requesters, s.requester)
	}
	if err := signInAll(requesters); err != nil {
		return run, nil, nil, nil, err
	}
	if len(w.decisions) < 2*n+raceN {
		return run, nil, nil, nil, fmt.Errorf("the database has %d pending steps; the action runs need %d (fewer -actions, or a bigger scale)",
			len(w.decisions), 2*n+raceN)
	}
	approve, reject, race := w.decisions[:n], w.decisions[n:2*n], w.decisions[2*n:2*n+raceN]
	wins := make([]atomic.Int32, len(w.decisions))

	var err error
	run.submit, err = load(ctx, len(subs), c, 0, http.StatusSeeOther, false, func(ctx context.Context, i int) (int, int64, error) {
		s := subs[i]
		resp, err := post(ctx, cl, base, "/products/"+s.product+"/requests", cookies[s.requester],
			url.Values{"reason": {"Bench: the quarterly review needs this data product."},
				"days": {strconv.Itoa(demo.DefaultDays(s.product))}})
		if err != nil {
			return 0, 0, err
		}
		return resp.StatusCode, 0, nil
	})
	if err != nil {
		return run, nil, nil, nil, fmt.Errorf("submit: %w", err)
	}
	decide := func(items []decision, offset int, verdict, comment string) op {
		return func(ctx context.Context, i int) (int, int64, error) {
			d := items[i]
			// confirm=1: a rejection is confirmed, as the confirmation page's
			// button sends it; an approval ignores it.
			resp, err := post(ctx, cl, base, "/requests/"+d.request+"/decision", cookies[d.persona], url.Values{
				"decision": {verdict}, "step": {fmt.Sprint(d.step)}, "comment": {comment}, "confirm": {"1"}})
			if err != nil {
				return 0, 0, err
			}
			if resp.StatusCode == http.StatusSeeOther && offset >= 0 {
				wins[offset+i].Add(1)
			}
			return resp.StatusCode, 0, nil
		}
	}
	run.approve, err = load(ctx, len(approve), c, 0, http.StatusSeeOther, false, decide(approve, 0, "approve", ""))
	if err != nil {
		return run, nil, nil, nil, fmt.Errorf("approve: %w", err)
	}
	run.reject, err = load(ctx, len(reject), c, 0, http.StatusSeeOther, false,
		decide(reject, n, "reject", "Bench: the business reason does not justify this data."))
	if err != nil {
		return run, nil, nil, nil, fmt.Errorf("reject: %w", err)
	}
	// The race: item k is sent twice in a row, so two clients decide the same
	// step at (almost) the same moment; exactly one may win.
	raceOp := decide(race, 2*n, "approve", "")
	run.raceItems = len(race)
	run.race, err = load(ctx, 2*len(race), c, 0, http.StatusSeeOther, true, func(ctx context.Context, i int) (int, int64, error) {
		return raceOp(ctx, i/2)
	})
	if err != nil {
		return run, nil, nil, nil, fmt.Errorf("race: %w", err)
	}
	if profileRun != nil {
		rest := w.decisions[2*n+raceN:]
		var next atomic.Int64
		approveRest := decide(rest, -1, "approve", "") // not counted: not checked
		pr, err := profileRun("approve", func(ctx context.Context, _ int) (int, int64, error) {
			i := int(next.Add(1)) - 1
			if i >= len(rest) {
				time.Sleep(10 * time.Millisecond) // nothing left to decide
				return 0, 0, errors.New("no pending step left")
			}
			return approveRest(ctx, i)
		})
		if err != nil {
			return run, nil, nil, nil, fmt.Errorf("profile approvals: %w", err)
		}
		run.profile = &pr
	}
	decided := w.decisions[:2*n+raceN]
	counts := make([]int, len(decided))
	for i := range decided {
		counts[i] = int(wins[i].Load())
	}
	return run, decided, counts, subs, nil
}

// decisionsPerSecond is the accepted decisions of the approve and reject
// runs over their time.
func (a actionRun) decisionsPerSecond() float64 {
	n := a.approve.n + a.reject.n
	d := a.approve.elapsed + a.reject.elapsed
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}
