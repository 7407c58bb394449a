package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/signoff/signoff/internal/signoff"
	"github.com/signoff/signoff/internal/sqlstore"
)

// The directory of managers on the embedded engine: reads from the shared
// store, and changes as SET_MANAGERS makes them on Snowflake (the same
// statements, in a SQLite transaction).

var _ signoff.Managers = (*Store)(nil)

// ManagerOf returns user's manager, "" if the directory has none.
func (s *Store) ManagerOf(ctx context.Context, user string) (string, error) {
	return s.reads.ManagerOf(ctx, user)
}

// ManagerEntries lists the directory's entries matching filter.
func (s *Store) ManagerEntries(ctx context.Context, filter string, limit int) ([]signoff.DirectoryEntry, error) {
	return s.reads.ManagerEntries(ctx, filter, limit)
}

// SetManagers applies c's entries in order in one transaction, as actor:
// each is checked (sqlstore.CheckSetManager), and one that changes the
// directory replaces the user's row and appends its DIRECTORY_CHANGED
// event. A refusal of any entry rolls back the whole call.
func (s *Store) SetManagers(ctx context.Context, actor signoff.Identity, c signoff.DirectoryCall) (signoff.Outcome, error) {
	var out signoff.Outcome
	err := s.tx(ctx, func(tx *sql.Tx) error {
		a := s.newAction(ctx, tx, actor, c.At)
		a.v["request_id"], a.v["product_id"], a.v["is_admin"] = "", "", actor.Admin()
		changed := 0
		for i, e := range c.Entries {
			a.v["user_name"], a.v["manager_name"], a.v["line_no"] = e.User, e.Manager, i+1
			o, row, err := a.check(sqlstore.CheckSetManager)
			if err != nil {
				return err
			}
			if o.Code != signoff.CodeOK {
				out = o
				return errRefused
			}
			if number(row, "changed") == 0 {
				continue
			}
			if _, err := a.exec(sqlstore.DeleteManager); err != nil {
				return err
			}
			want := int64(1)
			if e.Manager == "" {
				want = 0
			}
			if ok, err := a.must(sqlstore.InsertManager, want); err != nil || !ok {
				return errors.Join(err, fmt.Errorf("directory: %s's row was not written", e.User))
			}
			if err := a.appendEvent(eventID(c.EventIDs, i), signoff.RoleAdmin, signoff.EventDirectoryChanged, 0, "",
				e.User, e.Manager); err != nil {
				return err
			}
			changed++
		}
		out = signoff.Outcome{Code: signoff.CodeOK, Actor: actor.User, Changed: changed}
		return nil
	})
	if errors.Is(err, errRefused) {
		return out, nil
	}
	if err != nil {
		return signoff.Outcome{}, fmt.Errorf("sqlite: set managers: %w", err)
	}
	return out, nil
}
