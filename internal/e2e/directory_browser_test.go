package e2e

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
)

// TestDirectoryAndManagerStepInBrowser: an admin sets a user's manager on
// the directory page, a CSV line that makes someone their own manager is
// refused with the page shown again, and the product page names the
// viewer's manager for its manager step. axe checks each, light and dark.
func TestDirectoryAndManagerStepInBrowser(t *testing.T) {
	b := newBrowserTest(t)
	b.signIn("ADAM")
	b.open("/admin/directory")
	assert.Contains(t, b.text(`[data-testid="directory"]`), "MARCO")
	b.visit("60 directory of managers")
	b.checkDark("60 directory of managers")

	b.do(chromedp.SendKeys(chromedp.CSS("#d-user"), "NOEL"), chromedp.SendKeys(chromedp.CSS("#d-manager"), "LENA"))
	b.submit(`[data-testid="directory-one"] button`)
	assert.Equal(t, "LENA is NOEL's manager now.", b.text(`[data-testid="flash"]`))

	b.do(chromedp.SendKeys(chromedp.CSS("#d-csv"), "NOEL,NOEL"))
	b.submit(`[data-testid="directory-csv"] button`)
	assert.Contains(t, b.text(`[data-testid="directory-problem"]`), "NOEL cannot be their own manager.")
	b.visit("61 directory, a line refused")
	b.checkDark("61 directory, a line refused")

	b.signIn("NOEL")
	b.open("/products/hr-headcount")
	assert.Equal(t, "Line manager: LENA (your manager)", oneLine(b.text(`[data-testid="manager-steps"]`)))
	b.visit("62 product with a manager step")
	b.checkDark("62 product with a manager step")
}
