package signoff

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// The account's chain policy (docs/design.md, "Chain rules"): the steps
// every product's chain gets after its own, where their conditions apply.
// Admins edit it at /admin/policy (or with SET_CHAIN_POLICY on Snowflake);
// each save is one guarded action that replaces the rules and appends a
// POLICY_SAVED event, of no request, whose details pin the hash of the
// rules it wrote, so the verifier reports rules changed behind its back.
// Requests in flight keep the steps they copied at submit.

// EventPolicySaved: an admin saved the chain policy. It belongs to no
// request and no product; its Details are "policy=<hash>", the hash of the
// chain_policy rows the save wrote (sqlstore.PolicyFingerprint).
const EventPolicySaved EventType = "POLICY_SAVED"

// SavePolicyCall replaces the chain policy with Rules (normalized and
// validated), numbered from 1 in their order.
type SavePolicyCall struct {
	Rules    []DefinitionStep
	EventIDs []string // 1
	At       time.Time
	DryRun   bool
}

// PolicyStore is the engine's chain policy administration. nil on a
// Service means editing the policy is not available.
type PolicyStore interface {
	// SavePolicy checks and saves c's rules as actor: the rules and their
	// POLICY_SAVED event, in one transaction; refusals are Outcomes
	// (NOT_ADMIN, CHAIN_TOO_LONG naming the product).
	SavePolicy(ctx context.Context, actor Identity, c SavePolicyCall) (Outcome, error)
}

// PolicyEditor is what the policy form starts from: the rules as saved,
// and the catalog, for the preview of which products each rule applies to.
type PolicyEditor struct {
	Rules    []DefinitionStep
	Products []Product
}

// AppliesTo names the products rule st applies to now (HasTag).
func AppliesTo(st DefinitionStep, products []Product) []string {
	var out []string
	for _, p := range products {
		if HasTag(p.Tags, p.Classification, strings.TrimSpace(st.WhenTag)) {
			out = append(out, p.Name)
		}
	}
	return out
}

// policyStore is the engine's policy administration, or an error saying
// it is not available.
func (s *Service) policyStore() (PolicyStore, error) {
	if s.Policies == nil {
		return nil, Errorf(ErrUnavailable, "Editing the chain policy is not available on this engine.")
	}
	return s.Policies, nil
}

// EditPolicy returns the chain policy's rules and the catalog, for admins.
func (s *Service) EditPolicy(ctx context.Context, viewer Identity) (PolicyEditor, error) {
	if err := requireAdmin(viewer, "edit the chain policy"); err != nil {
		return PolicyEditor{}, err
	}
	if _, err := s.policyStore(); err != nil {
		return PolicyEditor{}, err
	}
	ps, err := s.reads.Products(ctx)
	if err != nil {
		return PolicyEditor{}, fmt.Errorf("edit policy: %w", err)
	}
	ed := PolicyEditor{Rules: []DefinitionStep{}, Products: ps}
	if len(ps) > 0 {
		for _, st := range ps[0].Policy {
			ed.Rules = append(ed.Rules, DefinitionStep{Kind: StepKindOf(st.Kind), ApproverRole: st.ApproverRole,
				Label: st.Label, WhenTag: st.WhenTag, Quorum: st.Approvals(), DeadlineHours: st.DeadlineHours,
				FallbackRole: st.FallbackRole})
		}
	}
	return ed, nil
}

// NormalizePolicy trims the rules and fills what they leave implicit, as
// Definition.Normalize does a product's chain.
func NormalizePolicy(rules []DefinitionStep) []DefinitionStep {
	d := Definition{Chain: rules}
	d.Normalize()
	return d.Chain
}

// ValidatePolicyRules checks normalized rules as Problems keyed by the
// form's fields ("policy.2.approver_role" …): each rule as a product's
// chain rule, but never the owners' (a policy has no product), and the
// total against every product's own approvals (products), naming the
// first product that would need more than MaxChainSteps, or that has
// chain rules of its own none of which, nor any of the policy's, would
// apply to it (a request of it would have no step).
func ValidatePolicyRules(rules []DefinitionStep, products []Product) Problems {
	probs := Problems{}
	if len(rules) > 0 {
		chain := Problems{}
		Definition{Chain: rules}.validateChain(chain)
		for k, v := range chain {
			if k == "chain" {
				k = "policy"
			}
			probs["policy"+strings.TrimPrefix(k, "chain")] = v
		}
		for i, st := range rules {
			if st.Kind == KindOwner {
				probs[fmt.Sprintf("policy.%d.kind", i+1)] = "The policy's steps are a role's or the requester's manager's: an owners' step belongs to a product's own chain."
			}
		}
	}
	if len(probs) == 0 {
		total := 0
		for _, st := range rules {
			total += st.Quorum
		}
		for _, p := range products {
			own := 0
			for _, st := range p.Chain {
				own += st.Approvals()
			}
			if own+total > MaxChainSteps {
				probs["policy"] = fmt.Sprintf("With %s's own %d approvals, the policy's %d would make %d; at most %d are possible.",
					p.Name, own, total, own+total, MaxChainSteps)
				break
			}
			p.Policy = policyChain(rules)
			if len(p.Chain) > 0 && len(ResolveChain(p, false)) == 0 {
				probs["policy"] = fmt.Sprintf("No step would apply to %s: its own steps are all conditional on tags it does not carry, and so would the policy's be.", p.Name)
				break
			}
		}
	}
	if len(probs) == 0 {
		return nil
	}
	return probs
}

// policyChain is rules as the policy's chain steps, numbered from 1.
func policyChain(rules []DefinitionStep) []ChainStep {
	out := make([]ChainStep, len(rules))
	for i, st := range rules {
		out[i] = ChainStep{Order: i + 1, Kind: st.Kind, ApproverRole: st.ApproverRole, Label: st.Label,
			WhenTag: st.WhenTag, Quorum: st.Quorum, DeadlineHours: st.DeadlineHours, FallbackRole: st.FallbackRole}
	}
	return out
}

// SavePolicy validates rules and saves them as the chain policy, for
// admins. Problems come back keyed by the form's fields; the engine's
// refusals as errors with their sentences.
func (s *Service) SavePolicy(ctx context.Context, viewer Identity, rules []DefinitionStep) (Outcome, error) {
	if err := requireAdmin(viewer, "edit the chain policy"); err != nil {
		return Outcome{}, err
	}
	ps, err := s.policyStore()
	if err != nil {
		return Outcome{}, err
	}
	rules = NormalizePolicy(rules)
	products, err := s.reads.Products(ctx)
	if err != nil {
		return Outcome{}, fmt.Errorf("save policy: %w", err)
	}
	if probs := ValidatePolicyRules(rules, products); probs != nil {
		return Outcome{}, probs
	}
	now := s.now()
	o, err := ps.SavePolicy(ctx, viewer, SavePolicyCall{Rules: rules, EventIDs: s.newIDs(now, 1), At: now})
	if err != nil {
		return Outcome{}, fmt.Errorf("save policy: %w", err)
	}
	if err := s.checkActor(ctx, viewer, o); err != nil {
		return o, err
	}
	return o, nil
}

// PolicyDryRun is the preflight's dry run of a policy save: the policy as
// it is, which the engine must answer with DRY_RUN for an admin (every
// check passed; NOT_ADMIN for anyone else) and write nothing. On Snowflake
// it proves SET_CHAIN_POLICY is installed, granted to the admin and able
// to run its checks.
func PolicyDryRun(ctx context.Context, ps PolicyStore, actor Identity, ids *IDGenerator, now time.Time) Check {
	want := CodeDryRun
	if !actor.Admin() {
		want = CodeNotAdmin
	}
	c := Check{Name: "Dry run: save the chain policy"}
	o, err := ps.SavePolicy(ctx, actor, SavePolicyCall{Rules: []DefinitionStep{}, EventIDs: []string{ids.New(now)}, At: now, DryRun: true})
	switch {
	case err != nil:
		c.Status, c.Detail = CheckFail, err.Error()
		c.Fix = "Saving the chain policy cannot run. The checks above usually say why (a missing procedure, grant or caller grant)."
	case o.Code != want:
		c.Status = CheckFail
		c.Detail = fmt.Sprintf("It answered %s where it must answer %s for an empty policy in dry-run mode.", o.Code, want)
		c.Fix = "Install the procedures of this version (sql/snowflake/03_api.sql) and run the preflight again."
	default:
		c.Status = CheckPass
		c.Detail = fmt.Sprintf("It ran its checks as %s and answered %s, as it must; nothing was written.", actor.User, o.Code)
	}
	return c
}
