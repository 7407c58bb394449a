package view

import (
	"strconv"
	"strings"

	"github.com/a-h/templ"

	"github.com/signoff/signoff/internal/signoff"
)

// BlankRows is how many empty rows the product form offers for columns and
// for chain rules: a row is added by filling one in, without JavaScript;
// saving (or previewing) brings fresh blank rows.
const BlankRows = 3

// ProductEdit is the admins' product form (GET /admin/products/new,
// /admin/products/{id}/edit, and the POSTs that save or preview it).
type ProductEdit struct {
	Create bool
	Def    signoff.Definition
	// Version is the version the form was read at (sent back, so a save
	// over someone else's is refused).
	Version  int
	Problems signoff.Problems
	// Error is a refusal that is no one field's (saved meanwhile).
	Error string
	// Preview is the resolved chain, shown after "Preview".
	Preview   []signoff.PreviewStep
	Previewed bool
	Sample    string // the sample requester of the preview
	// Read answers "Read from Snowflake": what it filled, or (NotVisible)
	// the object it could not see and those it can.
	Read    *signoff.MetadataApplied
	History []signoff.VersionChanges
	// Embedded is true on the embedded engine, whose objects are the demo
	// account's.
	Embedded bool
}

// Action is where the form posts.
func (p ProductEdit) Action() string {
	if p.Create {
		return "/admin/products"
	}
	return "/admin/products/" + p.Def.ID
}

// ChainRows are the form's chain rows: the rules, then blank ones.
func (p ProductEdit) ChainRows() []signoff.DefinitionStep {
	rows := append([]signoff.DefinitionStep{}, p.Def.Chain...)
	for range BlankRows {
		rows = append(rows, signoff.DefinitionStep{})
	}
	return rows
}

// ColumnRows are the form's column rows: the columns, then blank ones.
func (p ProductEdit) ColumnRows() []signoff.Column {
	rows := append([]signoff.Column{}, p.Def.Columns...)
	for range BlankRows {
		rows = append(rows, signoff.Column{})
	}
	return rows
}

// fieldID is the id of the form field name: "chain.2.kind" is "f-chain-2-kind".
func fieldID(name string) string { return "f-" + strings.ReplaceAll(name, ".", "-") }

// rowField is the name of field of row n (1-based) of a repeated group.
func rowField(group string, n int, field string) string {
	return group + "." + strconv.Itoa(n) + "." + field
}

// numberText is n for a number field, "" for 0 when blank reads better.
func numberText(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

// kindOf is a row's kind, ROLE for a blank row.
func kindOf(st signoff.DefinitionStep) signoff.StepKind { return signoff.StepKindOf(st.Kind) }

// versionBy says who saved a version and when, for the history.
func versionBy(v signoff.VersionChanges) string {
	return "Version " + strconv.Itoa(v.Version) + " by " + v.SavedBy + ", " + FormTime(v.SavedAt)
}

// ObjectListAttrs ties the object field to the objects Signoff can read,
// when a read listed them.
func (p ProductEdit) ObjectListAttrs() templ.Attributes {
	if len(p.Choices()) == 0 {
		return nil
	}
	return templ.Attributes{"list": "readable-objects"}
}

// Choices are the objects Signoff can read, when a read listed them.
func (p ProductEdit) Choices() []string {
	if p.Read == nil {
		return nil
	}
	return p.Read.Choices
}

// ReadGrants are the statements that let Signoff read the object a read
// could not see: on Snowflake only (the embedded engine has no grants).
func (p ProductEdit) ReadGrants() string {
	if p.Embedded || p.Read == nil || !p.Read.NotVisible {
		return ""
	}
	return signoff.ReadGrants(p.Read.Object)
}
