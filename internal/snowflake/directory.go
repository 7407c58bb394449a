package snowflake

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/signoff/signoff/internal/signoff"
)

// The directory of managers on Snowflake: read from the API view
// USER_MANAGER on the service's connection, changed by SET_MANAGERS in the
// admin's own session (sql/snowflake/03_api.sql), which checks that the
// caller holds SIGNOFF_ADMIN and writes each change with its audit event.

var _ signoff.Managers = (*Store)(nil)

// MaxDirectoryCall is the most entries one SET_MANAGERS call takes: a
// whole HR table loaded at once stays one transaction of bounded size.
const MaxDirectoryCall = 10000

// ManagerOf returns user's manager, "" if the directory has none.
func (s *Store) ManagerOf(ctx context.Context, user string) (string, error) {
	return s.reads.ManagerOf(ctx, user)
}

// ManagerEntries lists the directory's entries matching filter.
func (s *Store) ManagerEntries(ctx context.Context, filter string, limit int) ([]signoff.DirectoryEntry, error) {
	return s.reads.ManagerEntries(ctx, filter, limit)
}

// directoryEntry is one element of SET_MANAGERS' ENTRIES.
type directoryEntry struct {
	User    string `json:"user"`
	Manager string `json:"manager"`
}

// SetManagers calls SET_MANAGERS in the admin's own session with c's
// entries. The procedure makes its events' IDs itself (it is also called
// from SQL with an HR table's rows), so c.EventIDs go unused.
func (s *Store) SetManagers(ctx context.Context, actor signoff.Identity, c signoff.DirectoryCall) (signoff.Outcome, error) {
	if len(c.Entries) > MaxDirectoryCall {
		return signoff.Outcome{}, fmt.Errorf("snowflake: set managers: %d entries, at most %d a call", len(c.Entries), MaxDirectoryCall)
	}
	es := make([]directoryEntry, len(c.Entries))
	for i, e := range c.Entries {
		es[i] = directoryEntry{User: e.User, Manager: e.Manager}
	}
	raw, err := json.Marshal(es)
	if err != nil {
		return signoff.Outcome{}, fmt.Errorf("snowflake: set managers: %w", err)
	}
	return s.call(ctx, "set managers", actor, s.api.managers, string(raw))
}
