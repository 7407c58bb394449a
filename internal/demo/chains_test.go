package demo

import (
	"slices"
	"testing"

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

// stuckByDesign are the requests whose chain nobody can complete in the
// demo: someone asking for a product whose step only they (or, for GRACE,
// only she and FRANK, who is needed for another step) can decide — mostly a
// product's only data owner asking for their own product. These wait for a
// fallback approver (issue 12's escalation); every other persona can have
// every product's chain decided to the end.
var stuckByDesign = map[[2]string]bool{
	{"OLIVIA", "web-traffic-daily"}: true, {"OLIVIA", "marketing-campaigns"}: true,
	{"OLIVIA", "sales-orders"}: true, {"OLIVIA", "customer-360"}: true,
	{"HANNAH", "hr-headcount"}: true, {"SAM", "gl-journal"}: true,
	{"FRANK", "gl-journal"}: true, {"GRACE", "gl-journal"}: true, {"FRANK", "supplier-contracts"}: true,
}

// TestEveryChainCanComplete: every persona can ask for every product and
// have it decided to the end (issue 12: ALICE's general ledger journal once
// needed FRANK for two steps; MARCO's own sales orders needed MARCO), except
// stuckByDesign, exactly.
func TestEveryChainCanComplete(t *testing.T) {
	h := holders()
	stuck := map[[2]string]bool{}
	for _, p := range Products {
		steps := make([]signoff.Step, len(p.Chain))
		for i, c := range p.Chain {
			steps[i] = signoff.Step{Order: i + 1, Label: c.Label, ApproverRole: c.ApproverRole}
		}
		for _, u := range Users {
			if b := signoff.FirstBlocked(steps, u.Name, h); b != nil {
				stuck[[2]string{u.Name, p.ID}] = true
				if !stuckByDesign[[2]string{u.Name, p.ID}] {
					t.Errorf("%s asking for %s: %s", u.Name, p.ID, b.Why)
				}
			}
		}
	}
	for k := range stuckByDesign {
		if !stuck[k] {
			t.Errorf("%s asking for %s can complete now: take it off stuckByDesign", k[0], k[1])
		}
	}
}
