package demo

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/signoff/signoff/internal/signoff"
)

// holders is who holds each role in the demo account, through the
// hierarchy (a role granted to a role passes to its holders).
func holders() signoff.RoleHolders {
	out := signoff.RoleHolders{}
	var add func(role, user string)
	add = func(role, user string) {
		if slices.Contains(out[role], user) {
			return
		}
		out[role] = append(out[role], user)
		for _, h := range Hierarchy {
			if h.Grantee == role {
				add(h.Role, user)
			}
		}
	}
	for _, u := range Users {
		for _, r := range u.Roles {
			add(r, u.Name)
		}
	}
	return out
}

// needsFallback are the requests whose chain only completes once a step
// goes to its fallback role (DATA_GOVERNANCE, which VERA and ADAM hold):
// someone asking for a product whose step only they (or, for GRACE, only
// she and FRANK, who is needed for another step) can decide — mostly a
// product's only data owner asking for their own product, or a finance
// controller asking for board KPIs, whose quorum needs both — and every
// request for payroll detail, whose compensation committee seat is vacant.
var needsFallback = func() map[[2]string]bool {
	out := map[[2]string]bool{
		{"OLIVIA", "web-traffic-daily"}: true, {"OLIVIA", "marketing-campaigns"}: true,
		{"OLIVIA", "sales-orders"}: true, {"OLIVIA", "customer-360"}: true,
		{"HANNAH", "hr-headcount"}: true, {"SAM", "gl-journal"}: true,
		{"FRANK", "gl-journal"}: true, {"GRACE", "gl-journal"}: true, {"FRANK", "supplier-contracts"}: true,
		// Board KPIs: its owner, its only security lead, and a controller
		// (whose quorum of two then lacks a second).
		{"OLIVIA", "board-kpis"}: true, {"SAM", "board-kpis"}: true,
		{"FRANK", "board-kpis"}: true, {"GRACE", "board-kpis"}: true,
		{"LENA", "hr-headcount"}: true, // her manager, SAM, is no line manager
	}
	for _, u := range Users {
		out[[2]string{u.Name, "payroll-detail"}] = true
	}
	return out
}()

// TestEveryChainCanComplete: every persona can ask for every product and
// have it decided to the end (issue 12: ALICE's general ledger journal once
// needed FRANK for two steps; MARCO's own sales orders needed MARCO),
// with the fallback role exactly where needsFallback says.
func TestEveryChainCanComplete(t *testing.T) {
	h := holders()
	for _, p := range Products {
		for _, u := range Users {
			key := [2]string{u.Name, p.ID}
			b := signoff.FirstBlockedWithFallback(signoff.ResolveChainFor(p, false, ManagerOf(u.Name)), u.Name, h)
			switch {
			case b != nil && b.Fallback == "":
				t.Errorf("%s asking for %s cannot complete, even with the fallback: %s", u.Name, p.ID, b.Why)
			case b != nil && !needsFallback[key]:
				t.Errorf("%s asking for %s needs the fallback at step %d: %s", u.Name, p.ID, b.Step, b.Why)
			case b == nil && needsFallback[key]:
				t.Errorf("%s asking for %s completes without the fallback: take it off needsFallback", u.Name, p.ID)
			}
		}
	}
}

// TestEveryProductIsTimeBoundWherePersonal: personal and financial data
// are never granted for good, and every product escalates.
func TestEveryProductIsTimeBoundWherePersonal(t *testing.T) {
	for _, p := range Products {
		assert.Equal(t, fallback, p.FallbackRole, p.ID)
		assert.Positive(t, p.PendingDays, p.ID)
		if p.Classification == "PII" || p.Classification == "FINANCE" || p.Classification == "CONFIDENTIAL" {
			assert.NotContains(t, p.Durations, 0, "%s (%s) offers permanent access", p.ID, p.Classification)
		}
	}
}
