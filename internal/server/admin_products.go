package server

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/signoff/signoff/internal/signoff"
	"github.com/signoff/signoff/web/view"
)

// CatalogAdmin is what the admins' product pages call: *signoff.Service.
// Each method checks that the viewer is an admin; the engine checks again
// on every save.
type CatalogAdmin interface {
	AdminProducts(ctx context.Context, viewer signoff.Identity) ([]signoff.Product, error)
	NewProduct(ctx context.Context, viewer signoff.Identity) (signoff.ProductEditor, error)
	EditProduct(ctx context.Context, viewer signoff.Identity, id string) (signoff.ProductEditor, error)
	PreviewChain(ctx context.Context, viewer signoff.Identity, d signoff.Definition, requester string) ([]signoff.PreviewStep, error)
	SaveProduct(ctx context.Context, viewer signoff.Identity, d signoff.Definition, create bool, baseVersion int) (signoff.Outcome, error)
	DescribeObject(ctx context.Context, viewer signoff.Identity, d signoff.Definition) (signoff.Definition, signoff.MetadataApplied, error)
}

// maxFormRows bounds the repeated rows a product form is read for: more
// than any chain (signoff.MaxChainSteps) or column list a page offers, so
// a forged form cannot make the server read without end.
const maxFormRows = signoff.MaxColumns + view.BlankRows

// handleAdminProducts handles "GET /admin/products": the catalog for admins.
func (s *Server) handleAdminProducts(w http.ResponseWriter, r *http.Request) {
	ps, err := s.catalog.AdminProducts(r.Context(), viewerOf(r.Context()))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, view.AdminProductsPage(s.meta(w, r, "Products", "products"), ps))
}

// handleNewProduct handles "GET /admin/products/new": the blank form.
func (s *Server) handleNewProduct(w http.ResponseWriter, r *http.Request) {
	ed, err := s.catalog.NewProduct(r.Context(), viewerOf(r.Context()))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.showProductForm(w, r, http.StatusOK, view.ProductEdit{Create: true, Def: ed.Definition})
}

// handleEditProduct handles "GET /admin/products/{id}/edit": the form as
// saved last, and the product's versions.
func (s *Server) handleEditProduct(w http.ResponseWriter, r *http.Request) {
	ed, err := s.catalog.EditProduct(r.Context(), viewerOf(r.Context()), chi.URLParam(r, "id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.showProductForm(w, r, http.StatusOK, view.ProductEdit{Def: ed.Definition, Version: ed.Version, History: ed.History})
}

// handleSaveProduct handles "POST /admin/products" (a new product) and
// "POST /admin/products/{id}" (a new version of one): action=save (the
// default) saves; action=preview shows the chain a request would copy,
// saving nothing; action=describe fills the form from the Snowflake
// object's columns and tags, saving nothing. A form with problems comes
// back with each beside its field (422), as typed.
func (s *Server) handleSaveProduct(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(r); err != nil {
		s.fail(w, r, err)
		return
	}
	ctx, viewer := r.Context(), viewerOf(r.Context())
	id := chi.URLParam(r, "id")
	create := id == ""
	d, base, probs := parseProductForm(r.PostForm)
	if !create {
		d.ID = id // the address names the product; the engine refuses one that does not exist
	}
	form := view.ProductEdit{Create: create, Def: d, Version: base, Sample: strings.TrimSpace(r.PostFormValue("sample_requester"))}
	switch r.PostFormValue("action") {
	case "preview":
		steps, err := s.catalog.PreviewChain(ctx, viewer, d, form.Sample)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		form.Def.Normalize()
		form.Preview, form.Previewed = steps, true
		form.Problems = mergeProblems(probs, form.Def.Validate())
		status := http.StatusOK
		if len(form.Problems) > 0 {
			status = http.StatusUnprocessableEntity
		}
		s.showProductForm(w, r, status, form)
		return
	case "describe":
		// The form comes back filled from the object's metadata, unsaved:
		// the admin checks it and saves.
		filled, read, err := s.catalog.DescribeObject(ctx, viewer, d)
		var problems signoff.Problems
		switch {
		case errors.As(err, &problems):
			form.Def.Normalize()
			form.Problems = mergeProblems(problems, probs)
			if read.NotVisible { // the objects it can read instead, and on Snowflake the grants
				form.Read = &read
			}
			s.showProductForm(w, r, http.StatusUnprocessableEntity, form)
			return
		case err != nil:
			s.fail(w, r, err)
			return
		}
		form.Def = filled
		form.Def.Normalize()
		form.Read = &read
		form.Problems = probs
		status := http.StatusOK
		if len(probs) > 0 {
			status = http.StatusUnprocessableEntity
		}
		s.showProductForm(w, r, status, form)
		return
	}
	if len(probs) > 0 {
		if _, err := s.catalog.NewProduct(ctx, viewer); err != nil { // admins only, even to hear what is wrong
			s.fail(w, r, err)
			return
		}
		form.Def.Normalize()
		form.Problems = mergeProblems(probs, form.Def.Validate())
		s.showProductForm(w, r, http.StatusUnprocessableEntity, form)
		return
	}
	o, err := s.catalog.SaveProduct(ctx, viewer, d, create, base)
	var problems signoff.Problems
	switch {
	case errors.As(err, &problems):
		form.Def.Normalize()
		form.Problems = problems
		s.showProductForm(w, r, http.StatusUnprocessableEntity, form)
		return
	case signoff.CodeOf(err) == signoff.CodeProductExists:
		form.Problems = signoff.Problems{"id": signoff.Message(err)}
		s.showProductForm(w, r, statusOf(err), form)
		return
	case signoff.CodeOf(err) == signoff.CodeStaleVersion || signoff.CodeOf(err) == signoff.CodeAccessRoleNotOwned ||
		signoff.CodeOf(err) == signoff.CodeInvalid:
		form.Error = signoff.Message(err)
		s.showProductForm(w, r, statusOf(err), form)
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	s.redirect(w, r, "/admin/products/"+url.PathEscape(o.ProductID)+"/edit",
		"Saved "+o.ProductName+" as version "+strconv.Itoa(o.Version)+".")
}

// showProductForm renders the product form with status.
func (s *Server) showProductForm(w http.ResponseWriter, r *http.Request, status int, form view.ProductEdit) {
	form.Embedded = s.local != nil
	title := "New product"
	if !form.Create {
		title = "Edit " + form.Def.Name
	}
	s.render(w, r, status, view.ProductFormPage(s.meta(w, r, title, "products"), form))
}

// mergeProblems is a and b in one map (a's message wins), nil if empty.
func mergeProblems(a, b signoff.Problems) signoff.Problems {
	out := signoff.Problems{}
	for k, v := range b {
		out[k] = v
	}
	for k, v := range a {
		out[k] = v
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// parseProductForm reads the product form: the definition as typed (rows
// left blank or ticked for removal dropped, chain rules in the order of
// their numbers), the version it was read at, and the problems of values
// that are not numbers where numbers go.
func parseProductForm(form url.Values) (signoff.Definition, int, signoff.Problems) {
	probs := signoff.Problems{}
	number := func(field, value string) int {
		value = strings.TrimSpace(value)
		if value == "" {
			return 0
		}
		n, err := strconv.Atoi(value)
		if err != nil {
			probs[field] = "Enter a whole number."
			return 0
		}
		return n
	}
	d := signoff.Definition{
		ID: form.Get("id"), Name: form.Get("name"), Description: form.Get("description"), Owner: form.Get("owner"),
		OwnerRole: form.Get("owner_role"), Domain: form.Get("domain"), Classification: form.Get("classification"),
		AccessRole: form.Get("access_role"), FallbackRole: form.Get("fallback_role"),
		ExtendLastStep: form.Get("extend_last_step") == "1", SourceObject: form.Get("source_object"),
		PendingDays: number("pending_days", form.Get("pending_days")),
		ReviewDays:  number("review_days", form.Get("review_days")),
		IdleDays:    number("idle_days", form.Get("idle_days")),
	}
	d.Tags = strings.Split(form.Get("tags"), ",") // trimmed, and blanks dropped, by Normalize
	for _, f := range strings.Split(form.Get("durations"), ",") {
		if strings.TrimSpace(f) == "" {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			probs["durations"] = "Durations are whole numbers of days, separated by commas."
			continue
		}
		d.Durations = append(d.Durations, n)
	}
	for i := 1; i <= maxFormRows; i++ {
		field := func(name string) string { return form.Get("col." + strconv.Itoa(i) + "." + name) }
		c := signoff.Column{Name: field("name"), Type: field("type"), Description: field("description"),
			Sensitive: field("sensitive") == "1"}
		if strings.TrimSpace(c.Name+c.Type+c.Description) != "" {
			d.Columns = append(d.Columns, c)
		}
	}
	type row struct {
		order, index int
		step         signoff.DefinitionStep
	}
	var rows []row
	for i := 1; i <= maxFormRows; i++ {
		prefix := "chain." + strconv.Itoa(i) + "."
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
		// Numbers are checked as the rule's, whatever its place after
		// sorting: the position is known only then.
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
	for _, r := range rows {
		d.Chain = append(d.Chain, r.step)
	}
	base := number("version", form.Get("version"))
	if len(probs) == 0 {
		probs = nil
	}
	return d, base, probs
}

// wholeOr reads a whole number, 0 for a blank field, and bad (which the
// definition's validation refuses) for anything else that is not one.
func wholeOr(value string, bad int) int {
	value = strings.TrimSpace(value)
	if value == "" {
		return 0
	}
	n, err := strconv.Atoi(value)
	if err != nil {
		return bad
	}
	return n
}
