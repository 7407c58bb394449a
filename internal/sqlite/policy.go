package sqlite

import (
	"context"
	"errors"

	"github.com/signoff/signoff/internal/signoff"
	"github.com/signoff/signoff/internal/sqlstore"
)

// The chain policy's administration on the embedded engine: the statements
// of a policy save (sqlstore/policy.go), in one SQLite transaction; the
// admin check is the local account's.

var _ signoff.PolicyStore = (*Store)(nil)

// SavePolicy replaces the chain policy (SET_CHAIN_POLICY): its rules and
// their POLICY_SAVED event, or nothing. The rules are checked again here
// (signoff.ValidatePolicy), whoever calls.
func (s *Store) SavePolicy(ctx context.Context, actor signoff.Identity, c signoff.SavePolicyCall) (signoff.Outcome, error) {
	return s.act(ctx, "save chain policy", "", actor, c.At, func(a *action) (signoff.Outcome, error) {
		a.v["request_id"], a.v["product_id"] = nil, nil // the event belongs to no request and no product
		a.v["is_admin"], a.v["policy_approvals"] = actor.Admin(), sqlstore.PolicyApprovals(c.Rules)
		if ok, err := a.must(sqlstore.LockSubmissions, 1); err != nil || !ok {
			return signoff.Outcome{}, errors.Join(err, errNoRow("submit_lock", ok))
		}
		o, _, err := a.check(sqlstore.CheckSavePolicy)
		if err != nil || o.Code != signoff.CodeOK {
			return o, err
		}
		if err := signoff.ValidatePolicy(policySteps(c.Rules)); err != nil {
			o.Code, o.Field = signoff.CodeInvalid, "rules"
			return o.Refusal(), nil
		}
		if c.DryRun {
			o.Code = signoff.CodeDryRun
			return o, nil
		}
		if _, err := a.exec(sqlstore.DeletePolicy); err != nil {
			return signoff.Outcome{}, err
		}
		for i, st := range c.Rules {
			for k, v := range sqlstore.StepVars(st, i) {
				a.v[k] = v
			}
			if ok, err := a.must(sqlstore.InsertPolicyStep, 1); err != nil || !ok {
				return signoff.Outcome{}, errors.Join(err, errNoRow("chain_policy", ok))
			}
		}
		h, err := a.row(sqlstore.SelectPolicyDetails)
		if err != nil {
			return signoff.Outcome{}, err
		}
		if err := a.appendEvent(eventID(c.EventIDs, 0), signoff.RoleAdmin, signoff.EventPolicySaved, 0, "", "",
			text(h, "details")); err != nil {
			return signoff.Outcome{}, err
		}
		return o, nil
	})
}

// policySteps are rules as the policy's chain steps, numbered from 1.
func policySteps(rules []signoff.DefinitionStep) []signoff.ChainStep {
	out := make([]signoff.ChainStep, len(rules))
	for i, st := range rules {
		out[i] = signoff.ChainStep{Order: i + 1, Kind: st.Kind, ApproverRole: st.ApproverRole, Label: st.Label,
			WhenTag: st.WhenTag, Quorum: st.Quorum, DeadlineHours: st.DeadlineHours, FallbackRole: st.FallbackRole}
	}
	return out
}
