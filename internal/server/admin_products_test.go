package server_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/demo"
	"github.com/signoff/signoff/internal/signoff"
)

// newProductForm is the form an admin sends to register "partner-feed": a
// step for PII (its classification) only, and a data owners' step that
// needs two approvals.
func newProductForm() url.Values {
	return url.Values{
		"id": {"partner-feed"}, "name": {"Partner feed"}, "description": {"Daily partner extracts."},
		"owner": {"Partnerships"}, "owner_role": {"DATA_OWNER_SALES"}, "domain": {"Sales"},
		"classification": {"pii"}, "tags": {"partners, Daily"}, "source_object": {"SALES.PARTNERS.FEED"},
		"col.1.name": {"PARTNER_ID"}, "col.1.type": {"VARCHAR"}, "col.2.name": {"EMAIL"}, "col.2.type": {"VARCHAR"},
		"col.2.sensitive": {"1"}, "col.3.name": {""}, "col.3.type": {""},
		"access_role": {"PARTNER_FEED_READ"}, "durations": {"30, 7"}, "pending_days": {"14"},
		"fallback_role": {"DATA_GOVERNANCE"}, "version": {"0"},
		"chain.1.order": {"1"}, "chain.1.kind": {"ROLE"}, "chain.1.approver_role": {"LINE_MANAGER"},
		"chain.1.label": {"Line manager"}, "chain.1.deadline_hours": {"48"},
		"chain.2.order": {"2"}, "chain.2.kind": {"ROLE"}, "chain.2.approver_role": {"DPO"},
		"chain.2.label": {"Data protection"}, "chain.2.when_tag": {"PII"},
		"chain.3.order": {"3"}, "chain.3.kind": {"OWNER"}, "chain.3.label": {"Data owners"}, "chain.3.quorum": {"2"},
		"chain.4.order": {"4"}, "chain.4.kind": {"ROLE"},
		"action": {"save"},
	}
}

// customer360Form is the form that saves Customer 360 as the demo has it,
// with one change: its description (which no request list shows).
func customer360Form() url.Values {
	var p signoff.Product
	for _, x := range demo.Products {
		if x.ID == "customer-360" {
			p = x
		}
	}
	d := signoff.DefinitionOf(p, "")
	d.Description += " Edited."
	form := url.Values{"name": {d.Name}, "description": {d.Description}, "owner": {d.Owner}, "owner_role": {d.OwnerRole},
		"domain": {d.Domain}, "classification": {d.Classification}, "tags": {strings.Join(d.Tags, ",")},
		"access_role": {d.AccessRole}, "durations": {signoff.FormatDurations(d.Durations)},
		"pending_days": {strconv.Itoa(d.PendingDays)}, "fallback_role": {d.FallbackRole}, "version": {"0"}, "action": {"save"}}
	if d.ExtendLastStep {
		form.Set("extend_last_step", "1")
	}
	for i, c := range d.Columns {
		n := strconv.Itoa(i + 1)
		form.Set("col."+n+".name", c.Name)
		form.Set("col."+n+".type", c.Type)
		form.Set("col."+n+".description", c.Description)
		if c.Sensitive {
			form.Set("col."+n+".sensitive", "1")
		}
	}
	for i, st := range d.Chain {
		n := "chain." + strconv.Itoa(i+1) + "."
		form.Set(n+"order", strconv.Itoa(i+1))
		form.Set(n+"kind", string(st.Kind))
		form.Set(n+"approver_role", st.ApproverRole)
		form.Set(n+"label", st.Label)
		form.Set(n+"when_tag", st.WhenTag)
		form.Set(n+"quorum", strconv.Itoa(st.Quorum))
		form.Set(n+"deadline_hours", strconv.Itoa(st.DeadlineHours))
		form.Set(n+"fallback_role", st.FallbackRole)
	}
	return form
}

// savedProduct checks that product id is at version, saved by ADAM, and
// that every request in flight kept its steps (the stack's request id, if
// any, still has the demo chain's three steps).
func savedProduct(product string, version int) func(*testing.T, *stack, string) {
	return func(t *testing.T, s *stack, id string) {
		t.Helper()
		vs, err := s.st.ProductVersions(t.Context(), product)
		require.NoError(t, err)
		require.NotEmpty(t, vs)
		assert.Equal(t, version, vs[0].Version)
		assert.Equal(t, "ADAM", vs[0].SavedBy)
		if id != "" {
			r := s.request(id)
			assert.Len(t, r.Steps, 3, "the request in flight keeps its steps")
			assert.Equal(t, 2, r.CurrentStep)
		}
	}
}

func TestAdminProductPages(t *testing.T) {
	t.Parallel()
	s := newStack(t, fromTemplate(matrixDB))
	adam := s.as("ADAM")

	res := adam.get("/admin/products")
	require.Equal(t, http.StatusOK, res.Status)
	assert.Contains(t, testid(res.Body, "admin-products"), "Customer 360")
	assert.Equal(t, "/admin/products/new", href(res.Body, "data-testid", "new-product"))
	assert.Equal(t, "/admin", href(res.Body, "aria-current", "true"), "under the Admin tab")

	res = adam.get("/admin/products/new")
	require.Equal(t, http.StatusOK, res.Status)
	assert.True(t, hasTestid(res.Body, "product-form"))
	assert.Contains(t, text(res.Body), "The embedded engine reads the demo account's objects", "the embedded engine says which objects it reads")

	t.Run("a preview saves nothing", func(t *testing.T) {
		form := newProductForm()
		form.Set("action", "preview")
		form.Set("sample_requester", "ALICE")
		before := len(s.events())
		res := adam.post("/admin/products", form)
		require.Equal(t, http.StatusOK, res.Status, text(res.Body))
		preview := testid(res.Body, "chain-preview")
		assert.Contains(t, preview, "5 step(s)", "its four and the chain policy's data protection step (it is PII)")
		assert.Contains(t, preview, "Data protection : Members of DPO ; deadline 72 h", "the policy's, last")
		assert.Contains(t, preview, "Data protection : Members of DPO")
		assert.Contains(t, preview, "Data owners (1 of 2) : The product's owners: members of DATA_OWNER_SALES")
		assert.Contains(t, preview, "Data owners (2 of 2)")
		assert.Contains(t, preview, "Line manager : Members of LINE_MANAGER ; deadline 48 h ; falls back to DATA_GOVERNANCE")
		assert.Equal(t, before, len(s.events()))
		assert.Equal(t, http.StatusNotFound, adam.get("/products/partner-feed").Status)
		assert.Equal(t, "Partner feed", fieldValue(res.Body, "name"), "the form is kept")
	})

	t.Run("problems come back beside their fields, nothing saved", func(t *testing.T) {
		form := newProductForm()
		form.Set("access_role", `X"; DROP ROLE Y`)
		form.Set("chain.2.quorum", "9")
		form.Set("chain.1.deadline_hours", "soon")
		form.Set("durations", "7, forever")
		before := len(s.events())
		res := adam.post("/admin/products", form)
		require.Equal(t, http.StatusUnprocessableEntity, res.Status, text(res.Body))
		assert.True(t, hasTestid(res.Body, "form-problems"))
		body := text(res.Body)
		assert.Contains(t, body, "The access role must be a Snowflake role name")
		assert.Contains(t, body, "A step asks for 1 to 5 approvals.")
		assert.Contains(t, body, "The deadline is 0 (none) or a number of hours.")
		assert.Contains(t, body, "Durations are whole numbers of days")
		assert.Equal(t, "Partner feed", fieldValue(res.Body, "name"), "the form is kept")
		assert.Equal(t, `X"; DROP ROLE Y`, fieldValue(res.Body, "access_role"), "as typed, escaped")
		assert.Equal(t, 1, count(res.Body, element("input", "name", "chain.2.quorum", "aria-invalid", "true")))
		assert.Equal(t, before, len(s.events()))
	})

	t.Run("an admin registers a product", func(t *testing.T) {
		res := adam.post("/admin/products", newProductForm())
		require.Equal(t, http.StatusSeeOther, res.Status, text(res.Body))
		assert.Equal(t, "/admin/products/partner-feed/edit", res.Location)
		page := adam.follow(res)
		assert.Contains(t, text(page.Body), "Saved Partner feed as version 1.")
		assert.Contains(t, testid(page.Body, "versions"), "Version 1 by ADAM")
		assert.Equal(t, "SALES.PARTNERS.FEED", fieldValue(page.Body, "source_object"), "the version keeps the object")
		assert.Equal(t, "1", fieldValue(page.Body, "version"))

		p, err := s.svc.Product(t.Context(), s.identity("ALICE"), "partner-feed")
		require.NoError(t, err)
		assert.Equal(t, "PII", p.Product.Classification)
		assert.Equal(t, []string{"daily", "partners"}, p.Product.Tags)
		assert.Equal(t, []int{7, 30}, p.Product.Durations)
		require.Len(t, p.Product.Chain, 3, "the blank row is dropped")
		assert.Equal(t, "DATA_OWNER_SALES", p.Product.Chain[2].ApproverRole)
		evs := s.events()
		assert.Equal(t, signoff.EventProductSaved, evs[0].Type)
		assert.Equal(t, "partner-feed", evs[0].ProductID)

		// The audit log shows the save, and filters on it.
		audit := adam.get("/audit?type=PRODUCT_SAVED")
		require.Equal(t, http.StatusOK, audit.Status)
		assert.Equal(t, 1, count(audit.Body, element("option", "value", "PRODUCT_SAVED")), "the filter offers it")
		assert.Contains(t, testid(audit.Body, "audit"), "Product saved")
		assert.Contains(t, testid(audit.Body, "audit"), "version=1;sha256=")

		// A second registration of the same ID is refused beside the ID.
		res = adam.post("/admin/products", newProductForm())
		require.Equal(t, http.StatusConflict, res.Status)
		assert.Contains(t, text(res.Body), `There is already a data product "partner-feed".`)
	})

	t.Run("an admin edits it: reorder, remove, a new version with its changes", func(t *testing.T) {
		form := newProductForm()
		form.Del("id")
		form.Set("version", "1")
		form.Set("name", "Partner feed (EU)")
		form.Set("chain.1.order", "5")  // the line manager goes last
		form.Set("chain.2.remove", "1") // no data protection step
		res := adam.post("/admin/products/partner-feed", form)
		require.Equal(t, http.StatusSeeOther, res.Status, text(res.Body))
		p, err := s.svc.Product(t.Context(), s.identity("ALICE"), "partner-feed")
		require.NoError(t, err)
		require.Len(t, p.Product.Chain, 2)
		assert.Equal(t, []string{"Data owners", "Line manager"}, []string{p.Product.Chain[0].Label, p.Product.Chain[1].Label})
		page := adam.get("/admin/products/partner-feed/edit")
		versions := testid(page.Body, "versions")
		assert.Contains(t, versions, "Version 2 by ADAM")
		assert.Contains(t, versions, "Name : Partner feed → Partner feed (EU)")
		assert.Contains(t, versions, "Step 3 : Data owners: DATA_OWNER_SALES (OWNER, 2 approvals) (removed)")

		// A save over version 1, which is no longer the current one.
		res = adam.post("/admin/products/partner-feed", form)
		require.Equal(t, http.StatusConflict, res.Status)
		assert.Contains(t, testid(res.Body, "save-error"), "Someone else saved this data product since you opened it.")
	})

	t.Run("only admins", func(t *testing.T) {
		for _, user := range []string{"ALICE", "AUDREY", "OLIVIA"} {
			c := s.as(user)
			for _, path := range []string{"/admin/products", "/admin/products/new", "/admin/products/customer-360/edit"} {
				res := c.get(path)
				assert.Equal(t, http.StatusForbidden, res.Status, "%s %s", user, path)
			}
			before := len(s.events())
			for _, action := range []string{"save", "preview", "describe"} {
				form := newProductForm()
				form.Set("id", "not-"+user)
				form.Set("action", action)
				res := c.post("/admin/products", form)
				assert.Equal(t, http.StatusForbidden, res.Status, "%s %s", user, action)
				assert.Contains(t, text(res.Body), "Only Signoff admins (SIGNOFF_ADMIN) can edit the catalog.")
			}
			assert.Equal(t, before, len(s.events()))
		}
		res := s.anon().get("/admin/products")
		assert.Equal(t, http.StatusSeeOther, res.Status)
		assert.Equal(t, "/login?next=%2Fadmin%2Fproducts", res.Location)
		res = s.as("ALICE").get("/")
		assert.Empty(t, href(res.Body, "href", "/admin/products"), "no link to the products for others")
	})

	t.Run("an unknown product", func(t *testing.T) {
		assert.Equal(t, http.StatusNotFound, adam.get("/admin/products/nope/edit").Status)
		form := newProductForm()
		form.Del("id")
		res := adam.post("/admin/products/nope", form)
		assert.Equal(t, http.StatusNotFound, res.Status)
	})
}

// TestReadFromSnowflake: an admin names a product's object and "Read from
// Snowflake" fills the form from its metadata (the demo account's, on the
// embedded engine), saving nothing; the filled form then saves.
func TestReadFromSnowflake(t *testing.T) {
	t.Parallel()
	s := newStack(t, fromTemplate(matrixDB))
	adam := s.as("ADAM")

	form := newProductForm()
	form.Set("action", "describe")
	form.Set("source_object", " finance.ap.invoices ")
	form.Set("classification", "INTERNAL")
	form.Set("col.1.name", "SUPPLIER_NAME")
	form.Set("col.1.description", "As on the invoice")
	before := len(s.events())
	res := adam.post("/admin/products", form)
	require.Equal(t, http.StatusOK, res.Status, text(res.Body))
	assert.Equal(t, before, len(s.events()), "reading saves nothing")

	note := testid(res.Body, "describe-note")
	assert.Contains(t, note, "Read FINANCE.AP.INVOICES from Snowflake: 7 columns, 5 tags. Removed columns it does not have: EMAIL.")
	assert.Contains(t, note, "Added tags: domain, domain:finance, pii, pii:bank_account, privacy_category, privacy_category:sensitive, sox, sox:in_scope.")
	assert.Contains(t, note, "Classification CONFIDENTIAL, from its CLASSIFICATION tag.")
	assert.Contains(t, note, "Marked sensitive: SUPPLIER_IBAN.")
	assert.Contains(t, note, "nothing is saved yet")
	assert.Equal(t, "FINANCE.AP.INVOICES", fieldValue(res.Body, "source_object"))
	assert.Equal(t, "Partner feed", fieldValue(res.Body, "name"), "the rest of the form as typed")
	assert.Equal(t, "DPO", fieldValue(res.Body, "chain.2.approver_role"))
	assert.Equal(t, "CONFIDENTIAL", fieldValue(res.Body, "classification"), "the schema's CLASSIFICATION tag replaces what was typed")
	assert.Equal(t, "daily, domain, domain:finance, partners, pii, pii:bank_account, privacy_category, privacy_category:sensitive, sox, sox:in_scope",
		fieldValue(res.Body, "tags"), "the typed tags stay")
	assert.Equal(t, "INVOICE_ID", fieldValue(res.Body, "col.1.name"), "the object's columns, in its order")
	assert.Equal(t, "Supplier's invoice number", fieldValue(res.Body, "col.1.description"), "a column's comment is its description")
	assert.Equal(t, "SUPPLIER_NAME", fieldValue(res.Body, "col.3.name"))
	assert.Equal(t, "As on the invoice", fieldValue(res.Body, "col.3.description"), "a description typed for a column Snowflake has no comment for stays")
	assert.Equal(t, "SUPPLIER_IBAN", fieldValue(res.Body, "col.4.name"))
	assert.True(t, checked(res.Body, "col.4.sensitive"), "Snowflake's privacy classification marks it sensitive")
	assert.False(t, checked(res.Body, "col.2.sensitive"), "EMAIL was sensitive, but the object has no EMAIL column")
	refs := testid(res.Body, "tag-references")
	assert.Contains(t, refs, "Tags on FINANCE.AP.INVOICES")
	assert.Contains(t, refs, "column SUPPLIER_IBAN SNOWFLAKE.CORE.PRIVACY_CATEGORY SENSITIVE privacy_category, privacy_category:sensitive")
	assert.Contains(t, refs, "schema GOVERNANCE.TAGS.CLASSIFICATION confidential")

	// The filled form saves as it stands.
	filled := url.Values{}
	for k, v := range form {
		filled[k] = v
	}
	for _, name := range []string{"source_object", "classification", "tags"} {
		filled.Set(name, fieldValue(res.Body, name))
	}
	for i := 1; i <= 7; i++ {
		for _, f := range []string{"name", "type", "description"} {
			name := "col." + strconv.Itoa(i) + "." + f
			filled.Set(name, fieldValue(res.Body, name))
		}
		filled.Del("col." + strconv.Itoa(i) + ".sensitive")
	}
	filled.Set("col.4.sensitive", "1")
	filled.Set("action", "save")
	res = adam.post("/admin/products", filled)
	require.Equal(t, http.StatusSeeOther, res.Status, text(res.Body))
	p, err := s.svc.Product(t.Context(), s.identity("ALICE"), "partner-feed")
	require.NoError(t, err)
	assert.Equal(t, "CONFIDENTIAL", p.Product.Classification)
	assert.Contains(t, p.Product.Tags, "pii")
	require.Len(t, p.Product.Columns, 7)
	assert.True(t, p.Product.Columns[3].Sensitive)

	t.Run("hostile metadata", func(t *testing.T) {
		// Whoever may tag or comment objects writes what a read shows: it is
		// escaped on the page, a tag that cannot be a Signoff tag gives none,
		// and a comment the save would refuse is refused beside its column.
		require.NoError(t, s.st.RecordObject(t.Context(), signoff.ObjectMetadata{Object: "SALES.CORE.HOSTILE",
			Columns: []signoff.ObjectColumn{{Name: "ID", Type: "TEXT", Comment: "evil \u202e reversed"}},
			Tags: []signoff.TagReference{{Level: signoff.LevelTable, Database: "GOV", Schema: "TAGS", Name: "NOTE",
				Value: "<script>alert(1)</script>"}}}))
		form := newProductForm()
		form.Set("action", "describe")
		form.Set("source_object", "SALES.CORE.HOSTILE")
		res := adam.post("/admin/products", form)
		require.Equal(t, http.StatusOK, res.Status)
		assert.NotContains(t, res.Body, "<script>alert(1)</script>")
		assert.Contains(t, testid(res.Body, "tag-references"), "<script>alert(1)</script>", "shown as text")
		assert.Contains(t, testid(res.Body, "describe-note"), "Added tags: note.", "the value gives no tag")
		form.Set("action", "save")
		form.Set("col.1.name", "ID")
		form.Set("col.1.type", "TEXT")
		form.Set("col.1.description", fieldValue(res.Body, "col.1.description"))
		form.Del("col.2.name")
		form.Del("col.2.type")
		res = adam.post("/admin/products", form)
		require.Equal(t, http.StatusUnprocessableEntity, res.Status)
		assert.Contains(t, text(res.Body), "Column 1 is too long or contains bidirectional controls.")
	})

	t.Run("problems beside the object's field", func(t *testing.T) {
		for object, want := range map[string]string{
			"":                         "Enter the Snowflake object to read, as DATABASE.SCHEMA.OBJECT, or pick one Signoff can read.",
			"SALES.ORDERS":             "The Snowflake object is DATABASE.SCHEMA.OBJECT",
			`SALES.CORE."ORDER_LINES"`: "The Snowflake object is DATABASE.SCHEMA.OBJECT",
			"SALES.CORE.NOPE":          "Signoff cannot see SALES.CORE.NOPE: it does not exist, or Signoff's owner role may not read its metadata.",
		} {
			form := newProductForm()
			form.Set("action", "describe")
			form.Set("source_object", object)
			res := adam.post("/admin/products", form)
			require.Equal(t, http.StatusUnprocessableEntity, res.Status, object)
			assert.Contains(t, text(res.Body), want, object)
			assert.Contains(t, attrValue(res.Body, "input", "name", "source_object", "aria-describedby"), "error", object)
			assert.Equal(t, "PARTNER_ID", fieldValue(res.Body, "col.1.name"), "the form as typed: %s", object)
			assert.False(t, hasTestid(res.Body, "describe-note"), object)
			assert.False(t, hasTestid(res.Body, "read-grants"), "the embedded engine has no grants to suggest")
			if object == "" || object == "SALES.CORE.NOPE" {
				// The objects the engine can read, to pick from.
				assert.Equal(t, "readable-objects", attrValue(res.Body, "input", "name", "source_object", "list"), object)
				assert.Contains(t, testid(res.Body, "readable-objects"), "3 objects Signoff can read", object)
				list := find(parseHTML(res.Body), element("datalist", "id", "readable-objects"))
				require.NotNil(t, list, object)
				var options []string
				for _, o := range findAll(list, element("option")) {
					v, _ := attrOf(o, "value")
					options = append(options, v)
				}
				assert.Equal(t, []string{"FINANCE.AP.INVOICES", "SALES.CORE.HOSTILE", "SALES.CORE.ORDER_LINES"}, options,
					"the demo's objects and the one this test recorded")
			} else {
				assert.False(t, hasTestid(res.Body, "readable-objects"), object)
			}
		}
	})
}

// checked says whether the checkbox named name is ticked.
func checked(body, name string) bool {
	n := find(parseHTML(body), element("input", "name", name))
	if n == nil {
		return false
	}
	_, ok := attrOf(n, "checked")
	return ok
}
