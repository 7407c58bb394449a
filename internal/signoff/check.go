package signoff

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// CheckStatus is the verdict of one preflight check.
type CheckStatus string

// The verdicts. Only FAIL makes the preflight fail.
const (
	CheckPass CheckStatus = "PASS"
	CheckWarn CheckStatus = "WARN" // works, but worth an admin's look
	CheckFail CheckStatus = "FAIL"
	CheckSkip CheckStatus = "SKIP" // could not be checked from here; Detail says where it can be
)

// Check is one preflight check of a deployment: what was checked, the
// verdict, what was found, and how to fix a failure.
type Check struct {
	Name   string
	Status CheckStatus
	Detail string
	Fix    string
}

// Checks are a preflight's results.
type Checks []Check

// Failed reports whether any check failed.
func (cs Checks) Failed() bool {
	for _, c := range cs {
		if c.Status == CheckFail {
			return true
		}
	}
	return false
}

// Diagnoser is an engine's preflight: it checks, on the deployment it runs
// against, every assumption the code makes, as the given admin (whose own
// session the Snowflake engine uses for the checks only a person's session
// can make).
type Diagnoser interface {
	Diagnose(ctx context.Context, admin Identity) (Checks, error)
}

// MayDiagnose says whether viewer may see and run the diagnostics: admins
// only.
func MayDiagnose(viewer Identity) error {
	if err := requireSignedIn(viewer); err != nil {
		return err
	}
	if !viewer.Admin() {
		return Errorf(ErrForbidden, "The diagnostics are for admins (%s).", RoleAdmin)
	}
	return nil
}

// Diagnose runs the engine's preflight for an admin.
func (s *Service) Diagnose(ctx context.Context, viewer Identity) (Checks, error) {
	if err := MayDiagnose(viewer); err != nil {
		return nil, err
	}
	if s.Diagnoser == nil {
		return Checks{{Name: "engine", Status: CheckSkip, Detail: "This engine has no preflight."}}, nil
	}
	cs, err := s.Diagnoser.Diagnose(ctx, viewer)
	if err != nil {
		return nil, fmt.Errorf("diagnose: %w", err)
	}
	return cs, nil
}

// DryRuns runs every action as a dry run, as actor, on a product and a
// request that exist nowhere, and checks that each answers with the refusal
// it must (PRODUCT_NOT_FOUND, NOT_FOUND). A right answer proves the action
// exists in the engine, takes its arguments, knows who is calling and runs
// its checks; a dry run writes nothing. Both engines' preflights run it.
func DryRuns(ctx context.Context, st Engine, actor Identity, ids *IDGenerator, now time.Time) Checks {
	id := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = ids.New(now)
		}
		return out
	}
	const reason = "Dry run by the Signoff preflight; nothing is written."
	runs := []struct {
		action string
		want   Code
		run    func() (Outcome, error)
	}{
		{"submit", CodeProductNotFound, func() (Outcome, error) {
			return st.Submit(ctx, actor, SubmitCall{ProductID: "preflight-" + strings.ToLower(ids.New(now)), Reason: reason,
				RequestID: ids.New(now), EventIDs: id(1), At: now, DryRun: true})
		}},
		{"decide", CodeNotFound, func() (Outcome, error) {
			return st.Decide(ctx, actor, DecideCall{RequestID: ids.New(now), Decision: DecisionApprove, EventIDs: id(3),
				At: now, DryRun: true})
		}},
		{"withdraw", CodeNotFound, func() (Outcome, error) {
			return st.Withdraw(ctx, actor, WithdrawCall{RequestID: ids.New(now), EventIDs: id(1), At: now, DryRun: true})
		}},
		{"retry grant", CodeNotFound, func() (Outcome, error) {
			return st.RetryGrant(ctx, actor, RetryCall{RequestID: ids.New(now), EventIDs: id(1), At: now, DryRun: true})
		}},
		{"revoke", CodeNotFound, func() (Outcome, error) {
			return st.Revoke(ctx, actor, RevokeCall{RequestID: ids.New(now), Reason: reason, EventIDs: id(1), At: now,
				DryRun: true})
		}},
		{"resubmit", CodeNotFound, func() (Outcome, error) {
			return st.Resubmit(ctx, actor, ResubmitCall{RequestID: ids.New(now), Answer: reason, EventIDs: id(1), At: now,
				DryRun: true})
		}},
	}
	var cs Checks
	for _, r := range runs {
		c := Check{Name: "Dry run: " + r.action}
		o, err := r.run()
		switch {
		case err != nil:
			c.Status, c.Detail = CheckFail, err.Error()
			c.Fix = "The action cannot run. The checks above usually say why (a missing procedure, grant or caller grant)."
		case o.Code != r.want:
			c.Status = CheckFail
			c.Detail = fmt.Sprintf("It answered %s where it must answer %s for a record that does not exist.", o.Code, r.want)
			c.Fix = "Install the procedures of this version (sql/snowflake/03_api.sql) and run the preflight again."
			if o.Code == CodeIdentityUnavailable {
				c.Fix = "The action cannot tell who is calling: see the caller identity check."
			}
		default:
			c.Status = CheckPass
			c.Detail = fmt.Sprintf("It ran its checks as %s and answered %s, as it must; nothing was written.", actor.User, o.Code)
		}
		cs = append(cs, c)
	}
	return cs
}
