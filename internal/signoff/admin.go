package signoff

import (
	"context"
	"fmt"
	"strings"
)

// The admins' catalog pages (products.go): the Service checks that the
// viewer is an admin on every one of them, and the engine checks again on
// every save (SIGNOFF_ADMIN in the caller's session), so hiding a link is
// never the only guard.

// requireAdmin refuses everyone but admins.
func requireAdmin(viewer Identity, what string) error {
	if err := requireSignedIn(viewer); err != nil {
		return err
	}
	if !viewer.Admin() {
		return Errorf(ErrForbidden, "Only Signoff admins (%s) can %s.", RoleAdmin, what)
	}
	return nil
}

// productStore is the engine's catalog administration, or an error saying
// it is not available.
func (s *Service) productStore() (ProductStore, error) {
	if s.Products == nil {
		return nil, Errorf(ErrUnavailable, "Editing the catalog is not available on this engine.")
	}
	return s.Products, nil
}

// AdminProducts lists every product, for admins.
func (s *Service) AdminProducts(ctx context.Context, viewer Identity) ([]Product, error) {
	if err := requireAdmin(viewer, "edit the catalog"); err != nil {
		return nil, err
	}
	ps, err := s.reads.Products(ctx)
	if err != nil {
		return nil, fmt.Errorf("admin products: %w", err)
	}
	return ps, nil
}

// ProductEditor is what the product form starts from: the definition as
// saved last, and its version (0 before the first save from a page or the
// SQL API, for a product installed otherwise).
type ProductEditor struct {
	Definition Definition
	Version    int
	History    []VersionChanges
}

// VersionChanges is one version and what it changed from the one before.
type VersionChanges struct {
	ProductVersion
	Changes []Change
	// Unreadable is set when the stored definition is not one (the
	// verifier reports such a row).
	Unreadable bool
}

// EditProduct returns product id's definition and history, for admins.
func (s *Service) EditProduct(ctx context.Context, viewer Identity, id string) (ProductEditor, error) {
	if err := requireAdmin(viewer, "edit the catalog"); err != nil {
		return ProductEditor{}, err
	}
	ps, err := s.productStore()
	if err != nil {
		return ProductEditor{}, err
	}
	p, _, err := s.reads.ProductFor(ctx, id, viewer.User)
	if err != nil {
		return ProductEditor{}, fmt.Errorf("edit product %s: %w", id, err)
	}
	vs, err := ps.ProductVersions(ctx, id)
	if err != nil {
		return ProductEditor{}, fmt.Errorf("edit product %s: versions: %w", id, err)
	}
	ed := ProductEditor{Definition: DefinitionOf(p, ""), History: history(vs)}
	if len(vs) > 0 {
		ed.Version = vs[0].Version
	}
	// How the product's access is reviewed is in its catalog row too
	// (reviews read it there): the form shows the row's, as requests use
	// the row's chain.
	if s.ReviewReads != nil {
		// The reviews page's read (its text is pinned once; the few
		// reviews it also returns are not shown here).
		pol, _, err := s.ReviewReads.Reviews(ctx, id, MaxReviews)
		if err != nil {
			return ProductEditor{}, fmt.Errorf("edit product %s: review policy: %w", id, err)
		}
		ed.Definition.SourceObject, ed.Definition.ReviewDays, ed.Definition.IdleDays = pol.ObjectName, pol.ReviewDays, pol.IdleDays
	}
	return ed, nil
}

// history pairs each version (newest first) with its changes from the one
// before it.
func history(vs []ProductVersion) []VersionChanges {
	out := make([]VersionChanges, len(vs))
	defs := make([]*Definition, len(vs))
	for i, v := range vs {
		out[i].ProductVersion = v
		if d, err := ParseDefinition(v.Definition); err == nil {
			defs[i] = &d
		} else {
			out[i].Unreadable = true
		}
	}
	for i := range vs {
		if defs[i] == nil {
			continue
		}
		var prev *Definition
		if i+1 < len(vs) {
			prev = defs[i+1]
		}
		out[i].Changes = defs[i].Changes(prev)
	}
	return out
}

// PreviewStep is one request step a submission would copy, and who would
// decide it.
type PreviewStep struct {
	Step
	Kind StepKind
	// Who decides it, as people read it.
	Who string
}

// PreviewChain resolves d's chain as a submission would (ResolveChain) and
// says who decides each step; with a sample requester, whose manager a
// MANAGER step names when the Service has a directory (Managers).
func (s *Service) PreviewChain(ctx context.Context, viewer Identity, d Definition, requester string) ([]PreviewStep, error) {
	if err := requireAdmin(viewer, "edit the catalog"); err != nil {
		return nil, err
	}
	d.Normalize()
	p := d.Product()
	policy, err := s.chainPolicy(ctx)
	if err != nil {
		return nil, fmt.Errorf("preview: %w", err)
	}
	p.Policy = policy
	rules := appliedRules(p, false)
	steps := ResolveChain(p, false)
	var out []PreviewStep
	i := 0
	for _, st := range rules {
		for range st.Approvals() {
			if i >= len(steps) {
				break
			}
			who, err := s.who(ctx, st, p, strings.TrimSpace(requester))
			if err != nil {
				return nil, err
			}
			out = append(out, PreviewStep{Step: steps[i], Kind: StepKindOf(st.Kind), Who: who})
			i++
		}
	}
	return out, nil
}

// chainPolicy is the account's chain policy, which comes with every
// product the catalog reads (cached on Snowflake); none while the catalog
// is empty, when no request can be submitted anyway.
func (s *Service) chainPolicy(ctx context.Context) ([]ChainStep, error) {
	if s.reads == nil {
		return nil, nil
	}
	ps, err := s.reads.Products(ctx)
	if err != nil {
		return nil, fmt.Errorf("the chain policy: %w", err)
	}
	if len(ps) == 0 {
		return nil, nil
	}
	return ps[0].Policy, nil
}

// who says who decides a chain step of p for requester.
func (s *Service) who(ctx context.Context, st ChainStep, p Product, requester string) (string, error) {
	switch StepKindOf(st.Kind) {
	case KindOwner:
		return "The product's owners: members of " + p.OwnerRole, nil
	case KindManager:
		if requester == "" || s.Managers == nil {
			return "The requester's manager, who must hold " + st.ApproverRole, nil
		}
		m, err := s.Managers.ManagerOf(ctx, requester)
		if err != nil {
			return "", fmt.Errorf("preview: manager of %s: %w", requester, err)
		}
		if m == "" {
			return requester + " has no manager in the directory: a request of theirs would be refused", nil
		}
		return requester + "'s manager, " + m + ", who must hold " + st.ApproverRole, nil
	}
	return "Members of " + st.ApproverRole, nil
}

// SaveProduct validates d and saves it: a new product (create) or a new
// version of one read at baseVersion. Problems come back keyed by the
// form's fields; the engine's refusals as errors with their sentences.
func (s *Service) SaveProduct(ctx context.Context, viewer Identity, d Definition, create bool, baseVersion int) (Outcome, error) {
	if err := requireAdmin(viewer, "edit the catalog"); err != nil {
		return Outcome{}, err
	}
	ps, err := s.productStore()
	if err != nil {
		return Outcome{}, err
	}
	d.Normalize()
	if probs := d.Validate(); probs != nil {
		return Outcome{}, probs
	}
	policy, err := s.chainPolicy(ctx)
	if err != nil {
		return Outcome{}, fmt.Errorf("save product %s: %w", d.ID, err)
	}
	if probs := d.ValidateWithPolicy(policy); probs != nil {
		return Outcome{}, probs
	}
	now := s.now()
	o, err := ps.SaveProduct(ctx, viewer, SaveProductCall{Definition: d, Create: create, BaseVersion: baseVersion,
		EventIDs: s.newIDs(now, 1), At: now})
	if err != nil {
		return Outcome{}, fmt.Errorf("save product %s: %w", d.ID, err)
	}
	if err := s.checkActor(ctx, viewer, o); err != nil {
		return o, err
	}
	return o, nil
}

// NewProduct is the blank product form, for admins: permanent access
// offered, no rule yet.
func (s *Service) NewProduct(_ context.Context, viewer Identity) (ProductEditor, error) {
	if err := requireAdmin(viewer, "edit the catalog"); err != nil {
		return ProductEditor{}, err
	}
	if _, err := s.productStore(); err != nil {
		return ProductEditor{}, err
	}
	return ProductEditor{Definition: Definition{Tags: []string{}, Columns: []Column{}, Durations: []int{0},
		Chain: []DefinitionStep{}}}, nil
}
