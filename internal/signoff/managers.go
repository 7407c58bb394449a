package signoff

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Manager steps (docs/design.md, "Manager steps"): a MANAGER chain step is
// decided by the requester's own manager, as the directory names them when
// the request is submitted. Admins maintain the directory (the admin page,
// Snowflake's SET_MANAGERS procedure, the demo); every change is an audit
// event.

// DirectoryEntry is one row of the directory: User's manager is Manager.
type DirectoryEntry struct {
	User    string
	Manager string // "" in a change removes User's manager
	// UpdatedAt and UpdatedBy say when and by whom the row was written
	// (read only).
	UpdatedAt time.Time
	UpdatedBy string
}

// DirectoryCall is a change of the directory: its entries, applied in
// order in one transaction, all or none.
type DirectoryCall struct {
	Entries []DirectoryEntry
	// EventIDs are the IDs of the entries' DIRECTORY_CHANGED events, one
	// per entry (the Service makes them).
	EventIDs []string
	// At is the time of the change; zero for the engine's clock.
	At time.Time
}

// Managers is the directory of who manages whom: reads on both engines'
// shared store, the change on the engine (a SQLite transaction, or
// Snowflake's SET_MANAGERS in the admin's own session).
type Managers interface {
	// ManagerOf returns user's manager, "" if the directory has none.
	ManagerOf(ctx context.Context, user string) (string, error)
	// ManagerEntries returns the entries whose user or manager contains filter
	// (in any case; all for ""), by user, at most limit.
	ManagerEntries(ctx context.Context, filter string, limit int) ([]DirectoryEntry, error)
	// SetManagers applies c as actor: admins only, each entry checked
	// (INVALID, SELF_MANAGER, MANAGER_CYCLE: the whole call refused, the
	// entry named by Outcome.Line), each change written with its
	// DIRECTORY_CHANGED event; Outcome.Changed counts the changes.
	SetManagers(ctx context.Context, actor Identity, c DirectoryCall) (Outcome, error)
}

// MaxDirectoryEntries is the most entries one change of the directory may
// carry from the admin page (a pasted or uploaded CSV).
const MaxDirectoryEntries = 5000

// DirectoryLimit is the most entries the admin page lists.
const DirectoryLimit = 500

// DirectoryPage is the admin page's directory, filtered.
type DirectoryPage struct {
	Filter  string
	Entries []DirectoryEntry
	// More says the directory holds more entries than were listed.
	More bool
}

// errNoDirectory is the answer when the engine keeps no directory.
var errNoDirectory = Errorf(ErrNotFound, "This Signoff keeps no directory of managers.")

// ManagerDirectory returns the directory page: admins only.
func (s *Service) ManagerDirectory(ctx context.Context, viewer Identity, filter string) (DirectoryPage, error) {
	if err := requireAdmin(viewer, "see or change the directory of managers"); err != nil {
		return DirectoryPage{}, err
	}
	if s.Managers == nil {
		return DirectoryPage{}, errNoDirectory
	}
	filter = strings.TrimSpace(filter)
	es, err := s.Managers.ManagerEntries(ctx, filter, DirectoryLimit+1)
	if err != nil {
		return DirectoryPage{}, fmt.Errorf("directory: %w", err)
	}
	page := DirectoryPage{Filter: filter, Entries: es}
	if len(es) > DirectoryLimit {
		page.Entries, page.More = es[:DirectoryLimit], true
	}
	return page, nil
}

// SetManagers changes the directory as viewer (an admin): each entry sets
// User's manager, or removes it when Manager is "". It checks the entries'
// shape first (ValidateDirectory); the engine checks everything again and
// answers for the rules that need the directory (a cycle). It returns how
// many entries changed anything.
func (s *Service) SetManagers(ctx context.Context, viewer Identity, entries []DirectoryEntry) (int, error) {
	if err := requireAdmin(viewer, "see or change the directory of managers"); err != nil {
		return 0, err
	}
	if s.Managers == nil {
		return 0, errNoDirectory
	}
	if err := ValidateDirectory(entries); err != nil {
		return 0, err
	}
	now := s.Now()
	o, err := s.Managers.SetManagers(ctx, viewer, DirectoryCall{Entries: entries, EventIDs: s.newIDs(now, len(entries)), At: now})
	if err != nil {
		return 0, fmt.Errorf("set managers: %w", err)
	}
	if err := o.Err(); err != nil {
		return 0, err
	}
	s.noteAction(now)
	return o.Changed, nil
}

// ValidateDirectory checks a change of the directory before it reaches the
// engine: 1 to MaxDirectoryEntries entries, each a valid user name and a
// valid manager name or none, nobody their own manager, and each user
// once. Problems name the entry's line (1-based).
func ValidateDirectory(entries []DirectoryEntry) error {
	if len(entries) == 0 {
		return Errorf(ErrInvalid, "Give at least one line \"user,manager\".")
	}
	if len(entries) > MaxDirectoryEntries {
		return Errorf(ErrInvalid, "Give at most %d lines at once; this has %d.", MaxDirectoryEntries, len(entries))
	}
	seen := map[string]int{}
	for i, e := range entries {
		line := i + 1
		switch {
		case !ValidUserName(e.User) || strings.TrimSpace(e.User) != e.User:
			return Errorf(ErrInvalid, "Line %d: %q is not a user name (1 to %d characters, no control characters or surrounding blanks).",
				line, e.User, MaxUserNameLength)
		case e.Manager != "" && (!ValidUserName(e.Manager) || strings.TrimSpace(e.Manager) != e.Manager):
			return Errorf(ErrInvalid, "Line %d: %q is not a user name (1 to %d characters, no control characters or surrounding blanks).",
				line, e.Manager, MaxUserNameLength)
		case e.Manager == e.User:
			return Errorf(ErrInvalid, "Line %d: %s cannot be their own manager.", line, e.User)
		}
		if first, ok := seen[e.User]; ok {
			return Errorf(ErrInvalid, "Line %d: %s already has a manager on line %d; give each user once.", line, e.User, first)
		}
		seen[e.User] = line
	}
	return nil
}

// ParseDirectoryCSV reads "user,manager" lines (CSV: a name with a comma
// or a quote is quoted), skipping blank lines and a first line
// "user,manager"; an empty manager removes the user's. Names are trimmed:
// Snowflake user names never start or end with blanks.
func ParseDirectoryCSV(text string) ([]DirectoryEntry, error) {
	r := csv.NewReader(strings.NewReader(text))
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	var out []DirectoryEntry
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		line, _ := r.FieldPos(0)
		if err != nil {
			return nil, Errorf(ErrInvalid, "Line %d is not CSV: %s.", line, csvProblem(err))
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if len(rec) != 2 {
			return nil, Errorf(ErrInvalid, "Line %d has %d fields; each line is \"user,manager\".", line, len(rec))
		}
		e := DirectoryEntry{User: strings.TrimSpace(rec[0]), Manager: strings.TrimSpace(rec[1])}
		if len(out) == 0 && strings.EqualFold(e.User, "user") && strings.EqualFold(e.Manager, "manager") {
			continue // the header
		}
		if len(out) >= MaxDirectoryEntries {
			return nil, Errorf(ErrInvalid, "Give at most %d lines at once.", MaxDirectoryEntries)
		}
		out = append(out, e)
	}
}

// DirectoryDryRun is the preflight's check of the directory's change: one
// entry with no user, which the engine must refuse as INVALID having
// seen an admin (NOT_ADMIN comes first), writing nothing. A right answer
// proves the change exists in the engine (on Snowflake: SET_MANAGERS, its
// USAGE grant to SIGNOFF_ADMIN and the caller grant) and knows who calls.
func DirectoryDryRun(ctx context.Context, m Managers, actor Identity, ids *IDGenerator, now time.Time) Check {
	c := Check{Name: "Dry run: set managers"}
	o, err := m.SetManagers(ctx, actor, DirectoryCall{Entries: []DirectoryEntry{{}}, EventIDs: []string{ids.New(now)}, At: now})
	switch {
	case err != nil:
		c.Status, c.Detail = CheckFail, err.Error()
		c.Fix = "Admins cannot change the directory of managers. The checks above usually say why (a missing procedure, grant or caller grant)."
	case o.Code != CodeInvalid:
		c.Status = CheckFail
		c.Detail = fmt.Sprintf("It answered %s where it must refuse an entry without a user as INVALID.", o.Code)
		c.Fix = "Install the procedures of this version (sql/snowflake/03_api.sql); SIGNOFF_ADMIN needs USAGE on SET_MANAGERS (02_grants.sql)."
	default:
		c.Status = CheckPass
		c.Detail = fmt.Sprintf("It ran its checks as %s, an admin, and refused an entry without a user, as it must; nothing was written.", actor.User)
	}
	return c
}

// csvProblem says what encoding/csv found wrong, without its position.
func csvProblem(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
