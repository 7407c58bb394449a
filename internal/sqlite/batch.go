package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/signoff/signoff/internal/signoff"
	"github.com/signoff/signoff/internal/sqlstore"
)

// batcher runs a write batch in one SQLite transaction (BEGIN IMMEDIATE).
type batcher struct{ s *Store }

// Apply runs batch atomically; a statement whose rows affected differ from
// its Want rolls everything back with ErrConflict.
func (b batcher) Apply(ctx context.Context, batch []sqlstore.Stmt) error {
	return b.s.tx(ctx, func(tx *sql.Tx) error {
		for i, st := range batch {
			res, err := b.s.prep.in(tx).ExecContext(ctx, st.SQL, st.Args...)
			if err != nil {
				return fmt.Errorf("statement %d: %w", i, err)
			}
			if st.Want == sqlstore.Any {
				continue
			}
			n, err := res.RowsAffected()
			if err != nil {
				return fmt.Errorf("statement %d: %w", i, err)
			}
			if int(n) != st.Want {
				return fmt.Errorf("%w: %s", signoff.ErrConflict, st.Why)
			}
		}
		return nil
	})
}
