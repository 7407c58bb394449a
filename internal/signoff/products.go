package signoff

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Catalog administration (docs/design.md, "Product administration"):
// admins register and edit data products from pages or the SQL API, never
// by hand-written SQL. Every save is one guarded action that writes the
// product and its chain, a new numbered version holding the whole
// definition, and a PRODUCT_SAVED event in the audit ledger whose details
// pin the version's hash; requests in flight keep the steps they copied.

// EventProductSaved: an admin registered or edited a product. It belongs to
// no request; its Details are the version, the definition's hash and the
// catalog's (sqlstore.VersionDetails), which the verifier compares with the
// version row and the catalog.
const EventProductSaved EventType = "PRODUCT_SAVED"

// ProductIDPattern is the shape of a new product's ID, without anchors:
// lower-case letters, digits and dashes, as in URLs (/products/{id}).
const ProductIDPattern = `[a-z0-9][a-z0-9-]{0,63}`

var productIDPattern = regexp.MustCompile(`^` + ProductIDPattern + `$`)

// ValidProductID reports whether s can be a new product's ID.
func ValidProductID(s string) bool { return productIDPattern.MatchString(s) }

// SourceObjectPattern is a fully qualified Snowflake object name,
// DB.SCHEMA.OBJECT, each part an unquoted identifier.
const SourceObjectPattern = `[A-Za-z_][A-Za-z0-9_$]{0,254}\.[A-Za-z_][A-Za-z0-9_$]{0,254}\.[A-Za-z_][A-Za-z0-9_$]{0,254}`

var sourceObjectPattern = regexp.MustCompile(`^` + SourceObjectPattern + `$`)

// Limits on a definition's text, so a page or a procedure never stores an
// unbounded value.
const (
	MaxNameLength        = 200
	MaxDescriptionLength = 4000
	MaxTags              = 32
	MaxColumns           = 500
)

// DefinitionStep is one chain rule as a definition records it.
type DefinitionStep struct {
	Kind          StepKind `json:"kind"`
	ApproverRole  string   `json:"approver_role"`
	Label         string   `json:"label"`
	WhenTag       string   `json:"when_tag,omitempty"`
	Quorum        int      `json:"quorum"`
	DeadlineHours int      `json:"deadline_hours,omitempty"`
	FallbackRole  string   `json:"fallback_role,omitempty"`
}

// Definition is a product's whole definition as an admin saves it and as
// a version keeps it: the product, its chain rules, and the Snowflake
// object it was read from (SourceObject, informational). Its JSON (JSON)
// is what SAVE_PRODUCT takes and what a version stores and hashes.
type Definition struct {
	ID             string   `json:"id"`
	Name           string   `json:"name"`
	Description    string   `json:"description"`
	Owner          string   `json:"owner"`
	OwnerRole      string   `json:"owner_role"`
	Domain         string   `json:"domain"`
	Classification string   `json:"classification"`
	Tags           []string `json:"tags"`
	Columns        []Column `json:"columns"`
	AccessRole     string   `json:"access_role"`
	Durations      []int    `json:"durations"`
	PendingDays    int      `json:"pending_days,omitempty"`
	FallbackRole   string   `json:"fallback_role,omitempty"`
	ExtendLastStep bool     `json:"extend_last_step,omitempty"`
	SourceObject   string   `json:"source_object,omitempty"`
	// ReviewDays schedules access reviews every so many days (0: none);
	// IdleDays is how long a grant may go unused before a review suggests
	// revoking it (0: signoff.DefaultIdleDays). SourceObject is the object
	// whose use reviews show (DATA_PRODUCT.OBJECT_NAME).
	ReviewDays int              `json:"review_days,omitempty"`
	IdleDays   int              `json:"idle_days,omitempty"`
	Chain      []DefinitionStep `json:"chain"`
}

// DefinitionOf is p's definition.
func DefinitionOf(p Product, sourceObject string) Definition {
	d := Definition{ID: p.ID, Name: p.Name, Description: p.Description, Owner: p.Owner, OwnerRole: p.OwnerRole,
		Domain: p.Domain, Classification: p.Classification, Tags: nonNilSlice(p.Tags), Columns: nonNilSlice(p.Columns),
		AccessRole: p.AccessRole, Durations: nonNilSlice(p.Durations), PendingDays: p.PendingDays,
		FallbackRole: p.FallbackRole, ExtendLastStep: p.ExtendLastStep, SourceObject: sourceObject,
		Chain: []DefinitionStep{}}
	for _, st := range p.Chain {
		d.Chain = append(d.Chain, DefinitionStep{Kind: StepKindOf(st.Kind), ApproverRole: st.ApproverRole,
			Label: st.Label, WhenTag: st.WhenTag, Quorum: st.Approvals(), DeadlineHours: st.DeadlineHours,
			FallbackRole: st.FallbackRole})
	}
	return d
}

// Product is the product d defines, its chain numbered from 1.
func (d Definition) Product() Product {
	p := Product{ID: d.ID, Name: d.Name, Description: d.Description, Owner: d.Owner, OwnerRole: d.OwnerRole,
		Domain: d.Domain, Classification: d.Classification, Tags: slices.Clone(d.Tags), Columns: slices.Clone(d.Columns),
		AccessRole: d.AccessRole, Durations: slices.Clone(d.Durations), PendingDays: d.PendingDays,
		FallbackRole: d.FallbackRole, ExtendLastStep: d.ExtendLastStep}
	for i, st := range d.Chain {
		p.Chain = append(p.Chain, ChainStep{Order: i + 1, Kind: st.Kind, ApproverRole: st.ApproverRole,
			Label: st.Label, WhenTag: st.WhenTag, Quorum: st.Quorum, DeadlineHours: st.DeadlineHours,
			FallbackRole: st.FallbackRole})
	}
	return p
}

// JSON is d as a version stores it: encoding/json's output, fields in the
// struct's order, so the same definition is always the same text.
func (d Definition) JSON() string {
	b, err := json.Marshal(d)
	if err != nil { // a Definition holds only strings, numbers and bools
		panic(fmt.Sprintf("signoff: marshal definition: %v", err))
	}
	return string(b)
}

// ParseDefinition reads a definition's JSON, refusing unknown fields (a
// misspelt field would otherwise be silently dropped).
func ParseDefinition(s string) (Definition, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	var d Definition
	if err := dec.Decode(&d); err != nil {
		return Definition{}, Errorf(ErrInvalid, "The definition is not valid JSON for a product: %v", err)
	}
	return d, nil
}

// DefinitionHash is the hash a version keeps of its definition's JSON:
// lower-case hex SHA-256, Snowflake's SHA2(definition, 256).
func DefinitionHash(definitionJSON string) string {
	sum := sha256.Sum256([]byte(definitionJSON))
	return hex.EncodeToString(sum[:])
}

// DefinitionDetails begin a PRODUCT_SAVED event's details: the version it
// wrote and its definition's hash; the engine adds ";catalog=<hash>", the
// hash of the catalog rows the save wrote (sqlstore.VersionDetails), so the
// ledger vouches for the version and for the catalog.
func DefinitionDetails(version int, hash string) string {
	return "version=" + strconv.Itoa(version) + ";sha256=" + hash
}

// Normalize trims d's text, fills what a chain leaves implicit
// (NormalizeChain) and puts d's lists in a stable form: tags sorted
// without duplicates or blanks, durations sorted without duplicates, and
// columns without blank rows.
func (d *Definition) Normalize() {
	trim := func(ss ...*string) {
		for _, s := range ss {
			*s = strings.TrimSpace(*s)
		}
	}
	trim(&d.ID, &d.Name, &d.Description, &d.Owner, &d.OwnerRole, &d.Domain, &d.Classification, &d.AccessRole,
		&d.FallbackRole, &d.SourceObject)
	d.Classification = strings.ToUpper(d.Classification)
	// As Snowflake's access history names an object created unquoted.
	d.SourceObject = strings.ToUpper(d.SourceObject)
	var tags []string
	for _, t := range d.Tags {
		if t = strings.ToLower(strings.TrimSpace(t)); t != "" {
			tags = append(tags, t)
		}
	}
	slices.Sort(tags)
	d.Tags = nonNilSlice(slices.Compact(tags))
	var cols []Column
	for _, c := range d.Columns {
		trim(&c.Name, &c.Type, &c.Description)
		if c.Name != "" || c.Type != "" || c.Description != "" {
			cols = append(cols, c)
		}
	}
	d.Columns = nonNilSlice(cols)
	slices.Sort(d.Durations)
	d.Durations = slices.Compact(d.Durations)
	if len(d.Durations) == 0 {
		d.Durations = []int{0}
	}
	for i := range d.Chain {
		st := &d.Chain[i]
		trim(&st.ApproverRole, &st.Label, &st.WhenTag, &st.FallbackRole)
		st.Kind = StepKindOf(StepKind(strings.ToUpper(string(st.Kind))))
		if st.Quorum == 0 { // not given: one approval; a negative one is refused
			st.Quorum = 1
		}
		if st.Kind == KindOwner {
			st.ApproverRole = d.OwnerRole
		}
	}
	if d.Chain == nil {
		d.Chain = []DefinitionStep{}
	}
}

// Validate checks a normalized definition: every rule a save enforces, as
// Problems keyed by the form's fields ("name", "chain.2.approver_role" …),
// each a sentence for the admin. The SQL API (SAVE_PRODUCT) checks the
// rules that matter for safety again: identifiers, kinds, quorums and the
// number of steps.
func (d Definition) Validate() Problems {
	p := Problems{}
	if !ValidProductID(d.ID) {
		p["id"] = "The ID must be 1 to 64 lower-case letters, digits and dashes, starting with a letter or digit (it is the product's URL)."
	}
	text := func(field, what, v string, max int, required bool) {
		switch {
		case required && v == "":
			p[field] = what + " is required."
		case utf8.RuneCountInString(v) > max:
			p[field] = fmt.Sprintf("%s may be at most %d characters.", what, max)
		case BidiControls(v):
			p[field] = what + " may not contain bidirectional control characters."
		}
	}
	text("name", "The name", d.Name, MaxNameLength, true)
	text("description", "The description", d.Description, MaxDescriptionLength, false)
	text("owner", "The owner", d.Owner, MaxNameLength, true)
	text("domain", "The domain", d.Domain, MaxNameLength, true)
	role := func(field, what, v string, required bool) {
		if v == "" && !required {
			return
		}
		if !ValidIdentifier(v) {
			p[field] = what + " must be a Snowflake role name: letters, digits, _ and $, starting with a letter or _."
		}
	}
	role("owner_role", "The owner role", d.OwnerRole, true)
	role("access_role", "The access role", d.AccessRole, true)
	role("fallback_role", "The fallback role", d.FallbackRole, false)
	if d.AccessRole != "" && (d.AccessRole == RoleAdmin || d.AccessRole == RoleAuditor || strings.HasPrefix(strings.ToUpper(d.AccessRole), "SIGNOFF_")) {
		p["access_role"] = "The access role may not be one of Signoff's own roles."
	}
	if !tagPattern.MatchString(d.Classification) {
		p["classification"] = "The classification is required: a word such as PUBLIC, INTERNAL, CONFIDENTIAL or PII."
	}
	if len(d.Tags) > MaxTags {
		p["tags"] = fmt.Sprintf("At most %d tags.", MaxTags)
	}
	for _, t := range d.Tags {
		if !tagPattern.MatchString(t) {
			p["tags"] = fmt.Sprintf("The tag %q is not valid: letters, digits, _ . : and -, up to 64.", t)
			break
		}
	}
	if len(d.Columns) > MaxColumns {
		p["columns"] = fmt.Sprintf("At most %d columns.", MaxColumns)
	}
	for i, c := range d.Columns {
		switch {
		case c.Name == "" || c.Type == "":
			p["columns"] = fmt.Sprintf("Column %d needs a name and a type.", i+1)
		case utf8.RuneCountInString(c.Name+c.Type+c.Description) > MaxDescriptionLength || BidiControls(c.Name+c.Type+c.Description):
			p["columns"] = fmt.Sprintf("Column %d is too long or contains bidirectional controls.", i+1)
		}
	}
	for _, n := range d.Durations {
		if n < 0 || n > MaxDays {
			p["durations"] = fmt.Sprintf("Each duration is 0 (permanent) to %d days.", MaxDays)
		}
	}
	if d.PendingDays < 0 || d.PendingDays > MaxDays {
		p["pending_days"] = fmt.Sprintf("The pending limit is 0 (none) to %d days.", MaxDays)
	}
	if d.ReviewDays < 0 || d.ReviewDays > MaxDays {
		p["review_days"] = fmt.Sprintf("Reviews come every 1 to %d days, or 0 for none on a schedule.", MaxDays)
	}
	if d.IdleDays < 0 || d.IdleDays > MaxDays {
		p["idle_days"] = fmt.Sprintf("A grant counts as idle after 1 to %d days unused, or 0 for the default (%d).", MaxDays, DefaultIdleDays)
	}
	if d.SourceObject != "" && !sourceObjectPattern.MatchString(d.SourceObject) {
		p["source_object"] = "The Snowflake object is DATABASE.SCHEMA.OBJECT, each part an unquoted identifier."
	}
	d.validateChain(p)
	if len(p) == 0 {
		return nil
	}
	return p
}

// validateChain adds the chain's problems to p, each beside its row.
func (d Definition) validateChain(p Problems) {
	if len(d.Chain) == 0 {
		p["chain"] = "The chain needs at least one step."
		return
	}
	total := 0
	for i, st := range d.Chain {
		f := func(name string) string { return "chain." + strconv.Itoa(i+1) + "." + name }
		if !slices.Contains(StepKinds, st.Kind) {
			p[f("kind")] = "The kind must be ROLE, OWNER or MANAGER."
		}
		if !ValidIdentifier(st.ApproverRole) {
			p[f("approver_role")] = "The approver role must be a Snowflake role name."
		}
		if st.Label == "" || utf8.RuneCountInString(st.Label) > MaxNameLength || BidiControls(st.Label) {
			p[f("label")] = fmt.Sprintf("Each step needs a label of at most %d characters.", MaxNameLength)
		}
		if st.WhenTag != "" && !tagPattern.MatchString(st.WhenTag) {
			p[f("when_tag")] = "The condition is one tag or classification: letters, digits, _ . : and -."
		}
		if st.Quorum < 1 || st.Quorum > MaxQuorum {
			p[f("quorum")] = fmt.Sprintf("A step asks for 1 to %d approvals.", MaxQuorum)
		} else if st.Kind == KindManager && st.Quorum > 1 {
			p[f("quorum")] = "A manager step asks for one approval: the requester's manager is one person."
		}
		if st.DeadlineHours < 0 || st.DeadlineHours > 24*MaxDays {
			p[f("deadline_hours")] = "The deadline is 0 (none) or a number of hours."
		}
		if st.FallbackRole != "" && !ValidIdentifier(st.FallbackRole) {
			p[f("fallback_role")] = "The fallback role must be a Snowflake role name."
		}
		total += max(st.Quorum, 1)
	}
	if total > MaxChainSteps {
		p["chain"] = fmt.Sprintf("The chain can need %d approvals; at most %d are possible.", total, MaxChainSteps)
	}
}

// ValidateWithPolicy checks what depends on the account's chain policy as
// well as on the definition: its steps and the policy's may need at most
// MaxChainSteps approvals however the product is tagged, and at least one
// of them applies to it (signoff.ValidateChain). Run after Validate.
func (d Definition) ValidateWithPolicy(policy []ChainStep) Problems {
	p := d.Product()
	p.Policy = policy
	if err := ValidateChain(p); err != nil {
		return Problems{"chain": err.Error()}
	}
	return nil
}

// BidiControls reports whether s contains a bidirectional control
// character, which makes text display in another order than it was typed.
func BidiControls(s string) bool {
	return strings.ContainsFunc(s, BidiControl)
}

func nonNilSlice[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// ProductVersion is one saved version of a product's definition.
type ProductVersion struct {
	ProductID  string
	Version    int
	SavedAt    time.Time
	SavedBy    string
	Definition string // its JSON, as saved
	Hash       string // DefinitionHash(Definition), as saved
}

// Change is one field that differs between two versions.
type Change struct {
	Field    string
	Old, New string
}

// Changes lists the fields that differ from old to d, as people read
// them; every field for a first version (old nil).
func (d Definition) Changes(old *Definition) []Change {
	var prev Definition
	if old != nil {
		prev = *old
	}
	var out []Change
	add := func(field, o, n string) {
		if old == nil { // a first version: what it set, with nothing before
			if n != "" && n != "0" && n != "false" {
				out = append(out, Change{Field: field, New: n})
			}
			return
		}
		if o != n {
			out = append(out, Change{Field: field, Old: o, New: n})
		}
	}
	add("Name", prev.Name, d.Name)
	add("Description", prev.Description, d.Description)
	add("Owner", prev.Owner, d.Owner)
	add("Owner role", prev.OwnerRole, d.OwnerRole)
	add("Domain", prev.Domain, d.Domain)
	add("Classification", prev.Classification, d.Classification)
	add("Tags", strings.Join(prev.Tags, ", "), strings.Join(d.Tags, ", "))
	add("Columns", columnsText(prev.Columns), columnsText(d.Columns))
	add("Access role", prev.AccessRole, d.AccessRole)
	add("Durations", FormatDurations(prev.Durations), FormatDurations(d.Durations))
	add("Pending limit (days)", strconv.Itoa(prev.PendingDays), strconv.Itoa(d.PendingDays))
	add("Fallback role", prev.FallbackRole, d.FallbackRole)
	add("Extensions take the last step only", strconv.FormatBool(prev.ExtendLastStep), strconv.FormatBool(d.ExtendLastStep))
	add("Snowflake object", prev.SourceObject, d.SourceObject)
	add("Review every (days)", fmt.Sprint(prev.ReviewDays), fmt.Sprint(d.ReviewDays))
	add("Idle after (days)", fmt.Sprint(prev.IdleDays), fmt.Sprint(d.IdleDays))
	n := max(len(prev.Chain), len(d.Chain))
	for i := range n {
		var o, nw string
		if i < len(prev.Chain) {
			o = prev.Chain[i].String()
		}
		if i < len(d.Chain) {
			nw = d.Chain[i].String()
		}
		add("Step "+strconv.Itoa(i+1), o, nw)
	}
	return out
}

// String is the step as the version history shows it.
func (st DefinitionStep) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s (%s", st.Label, st.ApproverRole, st.Kind)
	if st.Quorum > 1 {
		fmt.Fprintf(&b, ", %d approvals", st.Quorum)
	}
	if st.WhenTag != "" {
		fmt.Fprintf(&b, ", when %s", st.WhenTag)
	}
	if st.DeadlineHours > 0 {
		fmt.Fprintf(&b, ", %dh", st.DeadlineHours)
	}
	if st.FallbackRole != "" {
		fmt.Fprintf(&b, ", fallback %s", st.FallbackRole)
	}
	b.WriteString(")")
	return b.String()
}

func columnsText(cols []Column) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = c.Name + " " + c.Type
		if c.Sensitive {
			parts[i] += " (sensitive)"
		}
	}
	return strings.Join(parts, ", ")
}

// SaveProductCall saves a definition: a new product (Create) or a new
// version of an existing one, read at BaseVersion (compare-and-set: a save
// over a version someone else saved meanwhile is a CONFLICT).
type SaveProductCall struct {
	Definition  Definition
	Create      bool
	BaseVersion int
	EventIDs    []string // 1
	At          time.Time
	DryRun      bool
}

// ProductStore saves products and reads their versions: the engine's
// SAVE_PRODUCT and the versions' read. nil on a Service means catalog
// administration is not available.
type ProductStore interface {
	// SaveProduct checks and saves c's definition as actor: the product,
	// its chain, a new version and its PRODUCT_SAVED event, in one
	// transaction; refusals are Outcomes.
	SaveProduct(ctx context.Context, actor Identity, c SaveProductCall) (Outcome, error)
	// ProductVersions returns a product's versions, newest first, at most
	// MaxVersions.
	ProductVersions(ctx context.Context, productID string) ([]ProductVersion, error)
}

// MaxVersions bounds the versions a product page lists.
const MaxVersions = 100

// ProductDryRun is the preflight's dry run of a product save: a new
// version of a product that does not exist, which the engine must answer
// with PRODUCT_NOT_FOUND for an admin (NOT_ADMIN for anyone else) and
// write nothing. On Snowflake it proves SAVE_PRODUCT is installed, granted
// to the admin and able to run its checks, SHOW ROLES included.
func ProductDryRun(ctx context.Context, ps ProductStore, actor Identity, ids *IDGenerator, now time.Time) Check {
	want := CodeProductNotFound
	if !actor.Admin() {
		want = CodeNotAdmin
	}
	d := Definition{ID: "preflight-" + strings.ToLower(ids.New(now)), Name: "Preflight", Owner: "Signoff",
		OwnerRole: RoleAdmin, Domain: "Signoff", Classification: "INTERNAL", Tags: []string{}, Columns: []Column{},
		AccessRole: "PREFLIGHT_ACCESS_ROLE", Durations: []int{0},
		Chain: []DefinitionStep{{Kind: KindRole, ApproverRole: RoleAdmin, Label: "Preflight", Quorum: 1}}}
	c := Check{Name: "Dry run: save a product"}
	o, err := ps.SaveProduct(ctx, actor, SaveProductCall{Definition: d, BaseVersion: 0, EventIDs: []string{ids.New(now)},
		At: now, DryRun: true})
	switch {
	case err != nil:
		c.Status, c.Detail = CheckFail, err.Error()
		c.Fix = "Saving products cannot run. The checks above usually say why (a missing procedure, grant or caller grant)."
	case o.Code != want:
		c.Status = CheckFail
		c.Detail = fmt.Sprintf("It answered %s where it must answer %s for a product that does not exist.", o.Code, want)
		c.Fix = "Install the procedures of this version (sql/snowflake/03_api.sql) and run the preflight again."
	default:
		c.Status = CheckPass
		c.Detail = fmt.Sprintf("It ran its checks as %s and answered %s, as it must; nothing was written.", actor.User, o.Code)
	}
	return c
}
