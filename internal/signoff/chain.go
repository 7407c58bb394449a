package signoff

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Chains that follow the data (docs/design.md, "Chain rules"): a product's
// chain is a list of rules, each a step that applies always or only to a
// product carrying a tag or classification, decided by a role's members,
// the product's owner role or the requester's manager, with a quorum of
// approvals. A submission resolves the rules into the request's steps
// (sqlstore's resolvedChain, which ResolveChain mirrors for the product
// page) and freezes them there: a rule changed later never moves a request
// in flight.

// StepKindOf is k as stored: KindRole for "".
func StepKindOf(k StepKind) StepKind {
	if k == "" {
		return KindRole
	}
	return k
}

// Label is the kind as people read it.
func (k StepKind) Label() string {
	switch StepKindOf(k) {
	case KindOwner:
		return "The product's owners"
	case KindManager:
		return "The requester's manager"
	}
	return "Members of a role"
}

// Approvals is how many distinct members must approve the step: its
// quorum, held to 1 to MaxQuorum as resolvedChain holds it, whatever a row
// written behind the app's back says.
func (st ChainStep) Approvals() int {
	return min(max(st.Quorum, 1), MaxQuorum)
}

// AppliesTo reports whether the step applies to p: it has no WhenTag, or p's
// classification is it or p's tags include it, in any case. It is
// HAS_TAG(tags, classification, when_tag) on both engines (the embedded
// engine registers hasTag; Snowflake's is a SQL function in 03_api.sql),
// which the preflight compares with this on HasTagSamples.
func (st ChainStep) AppliesTo(p Product) bool {
	return HasTag(p.Tags, p.Classification, st.WhenTag)
}

// HasTag reports whether a product with tags and classification carries
// tag: always for "", else the classification or one of the tags equal to
// it in any case (upper-cased for the classification, lower-cased for tags,
// as Snowflake's UPPER and LOWER do).
func HasTag(tags []string, classification, tag string) bool {
	if tag == "" {
		return true
	}
	//lint:ignore SA6005 HAS_TAG compares UPPER with UPPER and LOWER with LOWER, not case folds; the preflight holds them to this
	if strings.ToUpper(classification) == strings.ToUpper(tag) {
		return true
	}
	for _, t := range tags {
		//lint:ignore SA6005 as above
		if strings.ToLower(t) == strings.ToLower(tag) {
			return true
		}
	}
	return false
}

// HasTagSample is one case the preflight asks Snowflake's HAS_TAG about.
type HasTagSample struct {
	Tags           []string
	Classification string
	Tag            string
}

// HasTagSamples are the cases the preflight compares: a tag in another
// case, the classification, no tag, a tag that is only part of another,
// non-ASCII, an empty list.
func HasTagSamples() []HasTagSample {
	return []HasTagSample{
		{[]string{"finance", "sox"}, "CONFIDENTIAL", "SOX"},
		{[]string{"hr"}, "PII", "pii"},
		{[]string{"web"}, "INTERNAL", ""},
		{[]string{"finance_eu"}, "INTERNAL", "finance"},
		{[]string{"données"}, "INTERNAL", "DONNÉES"},
		{[]string{}, "PUBLIC", "gdpr"},
		{[]string{"a\"b", "x"}, "INTERNAL", "a\"b"},
	}
}

// ResolveChain is the request steps a submission for p copies: the chain
// steps that apply to p, its own then the policy's, in order, each as many steps as approvals it
// needs ("Data owner (1 of 2)", "Data owner (2 of 2)"), numbered from 1,
// with its fallback role (the step's own, else the product's); for an
// extension of a product whose extensions take the last step only, the
// last step that applies, alone. It mirrors sqlstore's resolvedChain,
// which the store contract suite holds it to. Manager steps are left
// without their user: ResolveChainFor fills it.
func ResolveChain(p Product, extension bool) []Step {
	return ResolveChainFor(p, extension, "")
}

// ResolveChainFor is ResolveChain for a requester whose manager, in the
// directory, is manager ("" for none): each manager step's ApproverUser is
// that manager, as a submission records it. NeedsManager says whether a
// submission needs one.
func ResolveChainFor(p Product, extension bool, manager string) []Step {
	var out []Step
	for _, st := range appliedRules(p, extension) {
		n := st.Approvals()
		for k := 1; k <= n; k++ {
			label := st.Label
			if n > 1 {
				label = fmt.Sprintf("%s (%d of %d)", st.Label, k, n)
			}
			fallback := st.FallbackRole
			if fallback == "" {
				fallback = p.FallbackRole
			}
			user := ""
			if StepKindOf(st.Kind) == KindManager {
				user = manager
			}
			out = append(out, Step{Order: len(out) + 1, Label: label, ApproverRole: st.ApproverRole,
				DeadlineHours: st.DeadlineHours, FallbackRole: fallback, ApproverUser: user})
		}
	}
	return out
}

// NeedsManager reports whether a submission for p (an extension or not)
// has a manager step, which the requester's manager decides: without one in
// the directory the engine refuses it (NO_MANAGER).
func NeedsManager(p Product, extension bool) bool {
	for _, st := range appliedRules(p, extension) {
		if StepKindOf(st.Kind) == KindManager {
			return true
		}
	}
	return false
}

// appliedRules are the chain rules a submission for p copies: its own then
// the policy's, those that apply to it, or for an extension through the
// last step only, the last.
func appliedRules(p Product, extension bool) []ChainStep {
	var rules []ChainStep
	for _, st := range slices.Concat(p.Chain, p.Policy) {
		if st.AppliesTo(p) {
			rules = append(rules, st)
		}
	}
	if extension && p.ExtendLastStep && len(rules) > 0 {
		rules = rules[len(rules)-1:]
	}
	return rules
}

// tagPattern is what a WhenTag may be: a tag or classification as people
// write them, without quotes or controls.
var tagPattern = regexp.MustCompile(`^[\p{L}\p{N}][\p{L}\p{N}_.:-]{0,63}$`)

// NormalizeChain fills what a chain leaves implicit, before it is
// validated and saved: each step's kind (ROLE), quorum (1) and order, and
// an owner step's role, which is the product's owner role.
func NormalizeChain(p *Product) {
	for i := range p.Chain {
		st := &p.Chain[i]
		st.Order = i + 1
		st.Kind = StepKindOf(st.Kind)
		st.Quorum = max(st.Quorum, 1) // one approval unless said; more than MaxQuorum stays, for ValidateChain to refuse
		st.WhenTag = strings.TrimSpace(st.WhenTag)
		if st.Kind == KindOwner {
			st.ApproverRole = p.OwnerRole
		}
	}
}

// ValidateChain checks a product's chain rules, normalized: known kinds,
// valid roles and tags, quorums of 1 to MaxQuorum, an owner step keyed to
// the owner role, at least one step that applies to the product, and no
// more than MaxChainSteps approvals with the policy's, however the product
// is tagged. A quorum needs that many distinct deciders, which depends on
// who holds the role: the product page warns when a step nobody can
// decide (signoff.FirstBlocked) would be reached.
func ValidateChain(p Product) error {
	if len(p.Chain) == 0 {
		return Errorf(ErrInvalid, "Product %s: the chain needs at least one step.", p.ID)
	}
	total := 0
	for i, st := range p.Chain {
		what := fmt.Sprintf("Product %s: step %d", p.ID, i+1)
		if err := validateRule(what, st, KindRole, KindOwner, KindManager); err != nil {
			return err
		}
		if StepKindOf(st.Kind) == KindOwner && st.ApproverRole != p.OwnerRole {
			return Errorf(ErrInvalid, "%s is the owners' step, so its role must be the owner role %s, not %s.",
				what, p.OwnerRole, st.ApproverRole)
		}
		total += st.Approvals()
	}
	for _, st := range p.Policy {
		total += st.Approvals()
	}
	if total > MaxChainSteps {
		return Errorf(ErrInvalid, "Product %s: the chain can need %d approvals with the chain policy's; at most %d are possible.",
			p.ID, total, MaxChainSteps)
	}
	if len(ResolveChain(p, false)) == 0 {
		return Errorf(ErrInvalid, "Product %s: no step of the chain applies to it (each is conditional on a tag it does not carry).", p.ID)
	}
	return nil
}

// ValidatePolicy checks the account's chain policy, normalized: each step
// keyed to a role or the requester's manager (an owners' step belongs to a
// product's own chain), with a valid role, fallback role and condition and
// a quorum of 1 to MaxQuorum, and no more than MaxChainSteps approvals in
// all.
func ValidatePolicy(rules []ChainStep) error {
	total := 0
	for i, st := range rules {
		if err := validateRule(fmt.Sprintf("Policy step %d", i+1), st, KindRole, KindManager); err != nil {
			return err
		}
		total += st.Approvals()
	}
	if total > MaxChainSteps {
		return Errorf(ErrInvalid, "The chain policy can need %d approvals; at most %d are possible.", total, MaxChainSteps)
	}
	return nil
}

// validateRule checks one chain rule, named what in the messages: its kind
// is one of kinds, its roles are identifiers, it has a label, its
// condition is a tag and its quorum is 1 to MaxQuorum.
func validateRule(what string, st ChainStep, kinds ...StepKind) error {
	if !slices.Contains(kinds, StepKindOf(st.Kind)) {
		names := make([]string, len(kinds))
		for i, k := range kinds {
			names[i] = string(k)
		}
		return Errorf(ErrInvalid, "%s's kind must be %s, not %q.", what, strings.Join(names, ", "), st.Kind)
	}
	if err := ValidateIdentifier(what+"'s approver role", st.ApproverRole); err != nil {
		return err
	}
	if st.FallbackRole != "" {
		if err := ValidateIdentifier(what+"'s fallback role", st.FallbackRole); err != nil {
			return err
		}
	}
	if strings.TrimSpace(st.Label) == "" {
		return Errorf(ErrInvalid, "%s needs a label, such as \"Data owner\".", what)
	}
	if st.WhenTag != "" && !tagPattern.MatchString(st.WhenTag) {
		return Errorf(ErrInvalid, "%s's condition %q is not a tag or classification (letters, digits, _ . : -; up to 64).", what, st.WhenTag)
	}
	if st.Quorum < 0 || st.Quorum > MaxQuorum {
		return Errorf(ErrInvalid, "%s may ask for 1 to %d approvals, not %d.", what, MaxQuorum, st.Quorum)
	}
	if StepKindOf(st.Kind) == KindManager && st.Approvals() > 1 {
		return Errorf(ErrInvalid, "%s is the requester's manager's, who is one person: it asks for one approval.", what)
	}
	return nil
}
