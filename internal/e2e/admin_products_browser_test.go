package e2e

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// set types value into the form field named name (an input or a select).
func (b *browserTest) set(name, value string) {
	b.t.Helper()
	b.do(chromedp.SetValue(chromedp.CSS(`[name="`+name+`"]`), value))
}

// checkBothSchemes checks the current page with axe in the light and the
// dark colour scheme, and leaves it light.
func (b *browserTest) checkBothSchemes(name string) {
	b.t.Helper()
	b.do(colorScheme("light"))
	b.visit(name + " (light)")
	b.do(colorScheme("dark"))
	b.visit(name + " (dark)")
	b.do(colorScheme("light"))
}

// TestProductAdminInBrowser: ADAM registers a product whose chain has a
// step only for PII and a data owners' step that needs two approvals,
// previews the chain a request would copy, sees a problem beside its
// field, and saves: every page passes axe in both colour schemes.
func TestProductAdminInBrowser(t *testing.T) {
	b := newBrowserTest(t)
	b.signIn("ADAM")
	b.open("/admin/products")
	assert.Contains(t, b.text(`[data-testid="admin-products"]`), "Customer 360")
	b.checkBothSchemes("admin 01 products")

	b.submit(`[data-testid="new-product"]`)
	b.checkBothSchemes("admin 02 new product")
	for name, value := range map[string]string{
		"id": "partner-feed", "name": "Partner feed", "owner": "Partnerships", "owner_role": "DATA_OWNER_SALES",
		"domain": "Sales", "classification": "PII", "tags": "partners", "access_role": "PARTNER_FEED_READ",
		"durations": "30, 90", "col.1.name": "PARTNER_ID", "col.1.type": "VARCHAR",
		"chain.1.approver_role": "LINE_MANAGER", "chain.1.label": "Line manager", "chain.1.deadline_hours": "48",
		"chain.2.approver_role": "DPO", "chain.2.label": "Data protection", "chain.2.when_tag": "PII",
		"chain.3.kind": "OWNER", "chain.3.label": "Data owners", "chain.3.quorum": "2",
	} {
		b.set(name, value)
	}

	// Preview: the steps a request would copy, nothing saved.
	b.submit(`[data-testid="preview-button"]`)
	preview := b.text(`[data-testid="chain-preview"]`)
	assert.Contains(t, preview, "5 step(s)", "its four and the chain policy's data protection step (it is PII)")
	assert.Contains(t, preview, "Data protection")
	assert.Contains(t, preview, "Data owners (1 of 2)")
	assert.Contains(t, preview, "Data owners (2 of 2)")
	b.checkBothSchemes("admin 03 preview")

	// A problem comes back beside its field, the form as typed.
	b.set("chain.3.quorum", "9")
	b.submit(`[data-testid="save-product"]`)
	assert.Contains(t, b.text(`#f-chain-3-quorum-error`), "A step asks for 1 to 5 approvals.")
	b.checkBothSchemes("admin 04 a problem")

	b.set("chain.3.quorum", "2")
	b.submit(`[data-testid="save-product"]`)
	assert.Contains(t, b.text(`[data-testid="versions"]`), "Version 1 by ADAM")
	b.checkBothSchemes("admin 05 saved")

	alice, err := b.store.Identify(t.Context(), "ALICE")
	require.NoError(t, err)
	p, err := b.svc.Product(t.Context(), alice, "partner-feed")
	require.NoError(t, err)
	require.Len(t, p.Product.Chain, 3)
	assert.Equal(t, 2, p.Product.Chain[2].Quorum)
	assert.Equal(t, "PII", p.Product.Chain[1].WhenTag)
}

// TestReadFromSnowflakeInBrowser: ADAM starts a product from the demo
// account's accounts-payable invoices: "Read from Snowflake" fills the
// columns, tags and classification, lists the tags it read, and the chain
// policy's PII step then applies in the preview; the pages pass axe in
// both colour schemes.
func TestReadFromSnowflakeInBrowser(t *testing.T) {
	b := newBrowserTest(t)
	b.signIn("ADAM")
	b.open("/admin/products/new")
	// No object named: the objects Signoff can read, to pick from.
	b.submit(`[data-testid="describe-button"]`)
	assert.Contains(t, b.text(`[data-testid="readable-objects"]`), "2 objects Signoff can read")
	assert.Contains(t, b.text(`[data-testid="readable-objects"]`), "FINANCE.AP.INVOICES")
	b.checkBothSchemes("admin 06 objects to pick from")

	b.set("source_object", "FINANCE.AP.INVOICES")
	b.submit(`[data-testid="describe-button"]`)
	note := b.text(`[data-testid="describe-note"]`)
	assert.Contains(t, note, "Read FINANCE.AP.INVOICES from Snowflake: 7 columns, 5 tags.")
	assert.Contains(t, note, "Classification CONFIDENTIAL")
	assert.Contains(t, b.text(`[data-testid="tag-references"]`), "SNOWFLAKE.CORE.PRIVACY_CATEGORY")
	b.checkBothSchemes("admin 07 read from snowflake")

	for name, value := range map[string]string{
		"id": "ap-invoices", "name": "AP invoices", "owner": "Group finance", "owner_role": "DATA_OWNER_FINANCE",
		"domain": "Finance", "access_role": "AP_INVOICES_READ", "durations": "30",
		"chain.1.kind": "OWNER", "chain.1.label": "Finance data owners",
	} {
		b.set(name, value)
	}
	b.submit(`[data-testid="preview-button"]`)
	preview := b.text(`[data-testid="chain-preview"]`)
	assert.Contains(t, preview, "Data protection", "the PII tag read from the IBAN column brings the policy's step")

	b.submit(`[data-testid="save-product"]`)
	assert.Contains(t, b.text(`[data-testid="versions"]`), "Version 1 by ADAM")
	alice, err := b.store.Identify(t.Context(), "ALICE")
	require.NoError(t, err)
	p, err := b.svc.Product(t.Context(), alice, "ap-invoices")
	require.NoError(t, err)
	assert.Equal(t, "CONFIDENTIAL", p.Product.Classification)
	assert.Contains(t, p.Product.Tags, "pii")
	require.Len(t, p.Product.Columns, 7)
	assert.Equal(t, "SUPPLIER_IBAN", p.Product.Columns[3].Name)
	assert.True(t, p.Product.Columns[3].Sensitive)
}
