package view

import (
	"strings"

	"github.com/signoff/signoff/internal/signoff"
)

// PolicyEdit is the admins' chain policy form (GET and POST /admin/policy).
type PolicyEdit struct {
	Rules    []signoff.DefinitionStep
	Products []signoff.Product
	Problems signoff.Problems
	// Error is a refusal that is no one field's.
	Error string
}

// PolicyRows are the form's rows: the rules, then blank ones.
func (p PolicyEdit) PolicyRows() []signoff.DefinitionStep {
	rows := append([]signoff.DefinitionStep{}, p.Rules...)
	for range BlankRows {
		rows = append(rows, signoff.DefinitionStep{})
	}
	return rows
}

// PolicyKinds are the kinds a policy step may have: a role's or the
// requester's manager's (an owners' step belongs to a product).
var PolicyKinds = []signoff.StepKind{signoff.KindRole, signoff.KindManager}

// fields is p as the shared row inputs read it (their problems).
func (p PolicyEdit) fields() ProductEdit { return ProductEdit{Problems: p.Problems} }

// appliesText says which products rule st applies to now.
func (p PolicyEdit) appliesText(st signoff.DefinitionStep) string {
	names := signoff.AppliesTo(st, p.Products)
	switch {
	case len(p.Products) == 0:
		return "The catalog is empty."
	case len(names) == len(p.Products):
		return "Applies now to every product (" + strings.Join(names, ", ") + ")."
	case len(names) == 0:
		return "Applies now to no product: none carries the tag " + st.WhenTag + "."
	}
	return "Applies now to " + strings.Join(names, ", ") + "."
}
