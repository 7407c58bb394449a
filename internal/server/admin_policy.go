package server

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/signoff/signoff/internal/signoff"
	"github.com/signoff/signoff/web/view"
)

// PolicyAdmin is what the chain policy page calls: *signoff.Service. Each
// method checks that the viewer is an admin; the engine checks again on
// every save.
type PolicyAdmin interface {
	EditPolicy(ctx context.Context, viewer signoff.Identity) (signoff.PolicyEditor, error)
	SavePolicy(ctx context.Context, viewer signoff.Identity, rules []signoff.DefinitionStep) (signoff.Outcome, error)
}

// handlePolicy handles "GET /admin/policy": the policy's rules as saved,
// each with the products it applies to now.
func (s *Server) handlePolicy(w http.ResponseWriter, r *http.Request) {
	ed, err := s.policy.EditPolicy(r.Context(), viewerOf(r.Context()))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.showPolicyForm(w, r, http.StatusOK, view.PolicyEdit{Rules: ed.Rules, Products: ed.Products})
}

// handleSavePolicy handles "POST /admin/policy": saves the rules as typed
// (rows left blank or ticked for removal dropped). A form with problems
// comes back with each beside its field (422), as typed.
func (s *Server) handleSavePolicy(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(r); err != nil {
		s.fail(w, r, err)
		return
	}
	ctx, viewer := r.Context(), viewerOf(r.Context())
	// Admins only, even to hear what is wrong with the form; the catalog
	// is the preview's.
	ed, err := s.policy.EditPolicy(ctx, viewer)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rules := parsePolicyForm(r.PostForm)
	form := view.PolicyEdit{Rules: signoff.NormalizePolicy(rules), Products: ed.Products}
	_, err = s.policy.SavePolicy(ctx, viewer, rules)
	var problems signoff.Problems
	switch {
	case errors.As(err, &problems):
		form.Problems = problems
		s.showPolicyForm(w, r, http.StatusUnprocessableEntity, form)
		return
	case signoff.CodeOf(err) == signoff.CodeChainTooLong || signoff.CodeOf(err) == signoff.CodeInvalid:
		form.Error = signoff.Message(err)
		s.showPolicyForm(w, r, statusOf(err), form)
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	s.redirect(w, r, "/admin/policy", "Saved the chain policy: "+strconv.Itoa(len(form.Rules))+" step(s).")
}

// showPolicyForm renders the policy form with status.
func (s *Server) showPolicyForm(w http.ResponseWriter, r *http.Request, status int, form view.PolicyEdit) {
	s.render(w, r, status, view.PolicyFormPage(s.meta(w, r, "Chain policy", "admin"), form))
}

// parsePolicyForm reads the policy form's rows in the order of their
// numbers, as parseProductForm reads a product's chain: numbers that are
// not whole read as values the validation refuses beside their field.
func parsePolicyForm(form url.Values) []signoff.DefinitionStep {
	type row struct {
		order, index int
		step         signoff.DefinitionStep
	}
	var rows []row
	for i := 1; i <= signoff.MaxChainSteps+view.BlankRows; i++ {
		prefix := "policy." + strconv.Itoa(i) + "."
		if !form.Has(prefix + "kind") {
			continue
		}
		st := signoff.DefinitionStep{Kind: signoff.StepKind(form.Get(prefix + "kind")), ApproverRole: form.Get(prefix + "approver_role"),
			Label: form.Get(prefix + "label"), WhenTag: form.Get(prefix + "when_tag"), FallbackRole: form.Get(prefix + "fallback_role")}
		blank := strings.TrimSpace(st.ApproverRole+st.Label+st.WhenTag+st.FallbackRole+form.Get(prefix+"quorum")+
			form.Get(prefix+"deadline_hours")) == "" && signoff.StepKindOf(st.Kind) == signoff.KindRole
		if blank || form.Get(prefix+"remove") == "1" {
			continue
		}
		order, err := strconv.Atoi(strings.TrimSpace(form.Get(prefix + "order")))
		if err != nil {
			order = i
		}
		st.Quorum = wholeOr(form.Get(prefix+"quorum"), -1)
		st.DeadlineHours = wholeOr(form.Get(prefix+"deadline_hours"), -1)
		rows = append(rows, row{order: order, index: i, step: st})
	}
	slices.SortStableFunc(rows, func(a, b row) int {
		if a.order != b.order {
			return a.order - b.order
		}
		return a.index - b.index
	})
	out := []signoff.DefinitionStep{}
	for _, r := range rows {
		out = append(out, r.step)
	}
	return out
}
