package signoff

import (
	"fmt"
	"regexp"
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

// Approvals is how many distinct members must approve the step.
func (st ChainStep) Approvals() int {
	if st.Quorum < 1 {
		return 1
	}
	return st.Quorum
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
	// Not strings.EqualFold: Snowflake's HAS_TAG compares UPPER and LOWER
	// results, whose Unicode folding EqualFold does not match exactly.
	//lint:ignore SA6005 the comparison must be Snowflake's (see above)
	if strings.ToUpper(classification) == strings.ToUpper(tag) {
		return true
	}
	for _, t := range tags {
		//lint:ignore SA6005 the comparison must be Snowflake's (see above)
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
// steps that apply to p, in order, each as many steps as approvals it
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

// appliedRules are the chain rules a submission for p copies: those that
// apply to it, or for an extension through the last step only, the last.
func appliedRules(p Product, extension bool) []ChainStep {
	var rules []ChainStep
	for _, st := range p.Chain {
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
		st.Quorum = st.Approvals()
		st.WhenTag = strings.TrimSpace(st.WhenTag)
		if st.Kind == KindOwner {
			st.ApproverRole = p.OwnerRole
		}
	}
}

// ValidateChain checks a product's chain rules, normalized: known kinds,
// valid roles and tags, quorums of 1 to MaxQuorum, an owner step keyed to
// the owner role, at least one step that applies to the product, and no
// more than MaxChainSteps request steps however the product is tagged. A
// quorum needs that many distinct deciders, so it is also held to the
// product's role and nobody can check it here: the product page warns when
// a step has fewer members than its quorum.
func ValidateChain(p Product) error {
	if len(p.Chain) == 0 {
		return Errorf(ErrInvalid, "Product %s: the chain needs at least one step.", p.ID)
	}
	total := 0
	for i, st := range p.Chain {
		n := i + 1
		switch StepKindOf(st.Kind) {
		case KindRole, KindOwner, KindManager:
		default:
			return Errorf(ErrInvalid, "Product %s: step %d's kind must be ROLE, OWNER or MANAGER, not %q.", p.ID, n, st.Kind)
		}
		if err := ValidateIdentifier(fmt.Sprintf("step %d's approver role", n), st.ApproverRole); err != nil {
			return err
		}
		if StepKindOf(st.Kind) == KindOwner && st.ApproverRole != p.OwnerRole {
			return Errorf(ErrInvalid, "Product %s: step %d is the owners' step, so its role must be the owner role %s, not %s.",
				p.ID, n, p.OwnerRole, st.ApproverRole)
		}
		if strings.TrimSpace(st.Label) == "" {
			return Errorf(ErrInvalid, "Product %s: step %d needs a label, such as \"Data owner\".", p.ID, n)
		}
		if st.WhenTag != "" && !tagPattern.MatchString(st.WhenTag) {
			return Errorf(ErrInvalid, "Product %s: step %d's condition %q is not a tag or classification (letters, digits, _ . : -; up to 64).",
				p.ID, n, st.WhenTag)
		}
		if st.Quorum < 0 || st.Quorum > MaxQuorum {
			return Errorf(ErrInvalid, "Product %s: step %d may ask for 1 to %d approvals, not %d.", p.ID, n, MaxQuorum, st.Quorum)
		}
		total += st.Approvals()
	}
	if total > MaxChainSteps {
		return Errorf(ErrInvalid, "Product %s: the chain can need %d approvals; at most %d are possible.", p.ID, total, MaxChainSteps)
	}
	if len(ResolveChain(p, false)) == 0 {
		return Errorf(ErrInvalid, "Product %s: no step of the chain applies to it (each is conditional on a tag it does not carry).", p.ID)
	}
	return nil
}
