package sqlgen

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"text/template"

	"github.com/signoff/signoff/internal/demo"
	"github.com/signoff/signoff/internal/signoff"
	sqlfiles "github.com/signoff/signoff/sql"
)

// LateRoles are the access roles that demo.Roles lacks: the embedded demo
// creates them only after a grant failed (demo.Load), to show GRANT_FAILED
// and its retry. The seed leaves them commented out so that a Snowflake
// account tells the same story.
func LateRoles() []string {
	known := map[string]bool{}
	for _, r := range demo.Roles {
		known[r.Name] = true
	}
	var late []string
	for _, p := range demo.Products {
		if !known[p.AccessRole] && !slices.Contains(late, p.AccessRole) {
			late = append(late, p.AccessRole)
		}
	}
	return late
}

// comment makes s safe inside a -- comment.
func comment(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// Seed renders sql/snowflake/04_seed.sql from internal/demo and its
// template, so that a Snowflake account tells the demo story the embedded
// engine tells. It fails if a name it would write unquoted is not a valid
// identifier.
func Seed() (string, error) {
	data, err := seedData()
	if err != nil {
		return "", err
	}
	return render(sqlfiles.FS, seedTemplate, template.FuncMap{"sqlstr": SQLString, "comment": comment}, data)
}

// seedTemplate is the seed's template in sqlfiles.FS.
const seedTemplate = "snowflake/seed.sql.tmpl"

// seed is what the seed's template writes, in the demo's order.
type seed struct {
	Roles       []struct{ Name, Comment string } // created here (00_roles.sql creates the admin and auditor roles)
	LateRoles   []lateRole                       // left out, in comments
	Hierarchy   []struct{ Role, Grantee string } // role grants between roles
	AccessRoles []string                         // transferred to SIGNOFF_OWNER
	Products    []seedProduct
	Steps       []seedStep
	Policy      []seedStep // the chain policy's steps (Product empty)
	Users       []demo.User
}

type lateRole struct{ Name, Product, Comment string }

// seedProduct is a demo product with its tags and columns as the JSON text
// the embedded engine stores.
type seedProduct struct {
	signoff.Product
	Tags, Columns string
	Durations     string // signoff.FormatDurations
}

type seedStep struct {
	Product       string
	Order         int
	Role, Label   string
	DeadlineHours int
	FallbackRole  string
	Kind, WhenTag string
	Quorum        int
}

// newSeedStep is s, normalized (signoff.NormalizeChain), as the template
// writes it.
func newSeedStep(product string, s signoff.ChainStep) seedStep {
	return seedStep{Product: product, Order: s.Order, Role: s.ApproverRole, Label: s.Label,
		DeadlineHours: s.DeadlineHours, FallbackRole: s.FallbackRole, Kind: string(signoff.StepKindOf(s.Kind)),
		WhenTag: s.WhenTag, Quorum: s.Approvals()}
}

// seedData gathers the seed from the demo and checks every name the
// template writes unquoted.
func seedData() (seed, error) {
	var d seed
	var names []struct{ what, name string }
	check := func(what, name string) { names = append(names, struct{ what, name string }{what, name}) }

	accessRoles := map[string]bool{}
	for _, p := range demo.Products {
		accessRoles[p.AccessRole] = true
	}
	for _, r := range demo.Roles {
		check("role", r.Name)
		if r.Name != signoff.RoleAdmin && r.Name != signoff.RoleAuditor {
			d.Roles = append(d.Roles, r)
		}
		if accessRoles[r.Name] {
			d.AccessRoles = append(d.AccessRoles, r.Name)
		}
	}
	late := LateRoles()
	for _, p := range demo.Products {
		if slices.Contains(late, p.AccessRole) {
			check("access role of "+p.ID, p.AccessRole)
			d.LateRoles = append(d.LateRoles, lateRole{Name: p.AccessRole, Product: p.ID, Comment: "Access role: " + p.Name})
		}
	}
	for _, h := range demo.Hierarchy {
		check("role", h.Role)
		check("role", h.Grantee)
	}
	d.Hierarchy = demo.Hierarchy
	for _, p := range demo.Products {
		check("owner role of "+p.ID, p.OwnerRole)
		check("access role of "+p.ID, p.AccessRole)
		tags, err := json.Marshal(nonNil(p.Tags))
		if err != nil {
			return seed{}, err
		}
		cols, err := json.Marshal(nonNil(p.Columns))
		if err != nil {
			return seed{}, err
		}
		durations := p.Durations
		if len(durations) == 0 {
			durations = []int{0}
		}
		d.Products = append(d.Products, seedProduct{Product: p, Tags: string(tags), Columns: string(cols),
			Durations: signoff.FormatDurations(durations)})
		if err := signoff.ValidateChain(p); err != nil {
			return seed{}, err
		}
		for _, s := range p.Chain {
			check("approver role of "+p.ID, s.ApproverRole)
			d.Steps = append(d.Steps, newSeedStep(p.ID, s))
		}
	}
	if err := signoff.ValidatePolicy(demo.Policy); err != nil {
		return seed{}, err
	}
	for _, s := range demo.Policy {
		check("approver role of the chain policy", s.ApproverRole)
		d.Policy = append(d.Policy, newSeedStep("", s))
	}
	for _, u := range demo.Users {
		check("user", u.Name)
		for _, r := range u.Roles {
			check("role of "+u.Name, r)
		}
	}
	d.Users = demo.Users
	for _, n := range names {
		if !signoff.ValidIdentifier(n.name) {
			return seed{}, fmt.Errorf("%s %q is not a valid identifier", n.what, n.name)
		}
	}
	return d, nil
}

// nonNil makes a nil slice empty, so that it is written as the JSON [] the
// embedded engine stores, not null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
