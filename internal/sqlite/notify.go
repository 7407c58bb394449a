package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/signoff/signoff/internal/signoff"
	"github.com/signoff/signoff/internal/sqlstore"
)

// The embedded engine's notifier: the shared statements of
// internal/sqlstore/notify.go in one SQLite transaction, in the order
// Snowflake's SEND_NOTIFICATIONS runs them. Its outbox is the mailbox: a
// message is delivered by being written (the outbox page shows it).

var _ signoff.Notifier = (*Store)(nil)

// digestEvery is how often an approver who asked for a digest gets one.
const digestEvery = 24 * time.Hour

// Notify runs the notifier once at now: the notices of the audit events past
// the cursor, the digests that are due, and their delivery.
func (s *Store) Notify(ctx context.Context, now time.Time) (signoff.NotifyReport, error) {
	now = now.UTC().Truncate(time.Microsecond)
	var rep signoff.NotifyReport
	v := vars{"now_ts": now, "digest_since": now.Add(-digestEvery), "run_id": (&signoff.IDGenerator{}).New(now)}
	exec := func(tx *sql.Tx, query string) (int, error) {
		res, err := tx.ExecContext(ctx, query, v.args(query)...)
		if err != nil {
			return 0, err
		}
		n, err := res.RowsAffected()
		return int(n), err
	}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if n, err := exec(tx, sqlstore.LockNotify); err != nil {
			return fmt.Errorf("lock: %w", err)
		} else if n != 1 {
			return fmt.Errorf("lock: the notify_state row is missing")
		}
		var from, upto int
		if err := tx.QueryRowContext(ctx, sqlstore.NotifyWindow).Scan(&from, &upto); err != nil {
			return fmt.Errorf("window: %w", err)
		}
		v["from_seq"], v["upto_seq"] = from, upto
		rep.Events, rep.Upto = upto-from, upto
		var err error
		if upto > from {
			if rep.Queued, err = exec(tx, sqlstore.EnqueueNotices); err != nil {
				return fmt.Errorf("enqueue: %w", err)
			}
			if n, err := exec(tx, sqlstore.AdvanceNotify); err != nil {
				return fmt.Errorf("cursor: %w", err)
			} else if n != 1 {
				return fmt.Errorf("cursor: %w", signoff.ErrConflict)
			}
		}
		if rep.Digests, err = exec(tx, sqlstore.MakeDigests); err != nil {
			return fmt.Errorf("digests: %w", err)
		}
		if _, err := exec(tx, sqlstore.MarkDigested); err != nil {
			return fmt.Errorf("digests: %w", err)
		}
		if rep.Sent, err = exec(tx, sqlstore.MarkDelivered); err != nil {
			return fmt.Errorf("deliver: %w", err)
		}
		return nil
	})
	if err != nil {
		return signoff.NotifyReport{}, fmt.Errorf("sqlite: notify: %w", translate(err))
	}
	return rep, nil
}

// Outbox returns the newest notices for recipient ("" for everyone).
func (s *Store) Outbox(ctx context.Context, recipient string, limit int) ([]signoff.Notice, error) {
	return s.reads.Outbox(ctx, recipient, limit)
}

// PendingCount counts the pending steps user may decide with roles.
func (s *Store) PendingCount(ctx context.Context, user string, roles []string) (int, error) {
	return s.reads.PendingCount(ctx, user, roles)
}

// DigestPreference says whether user asked for a daily digest.
func (s *Store) DigestPreference(ctx context.Context, user string) (bool, error) {
	return s.reads.DigestPreference(ctx, user)
}

// SetDigestPreference records the user's choice of a daily digest.
func (s *Store) SetDigestPreference(ctx context.Context, user signoff.Identity, daily bool, at time.Time) error {
	if user.Anonymous() {
		return fmt.Errorf("sqlite: digest preference: %w", signoff.ErrUnauthenticated)
	}
	flag := 0
	if daily {
		flag = 1
	}
	v := vars{"actor": user.User, "daily_digest": flag, "now_ts": at.UTC()}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		for _, q := range []string{sqlstore.DeleteDigestPreference, sqlstore.InsertDigestPreference} {
			if _, err := tx.ExecContext(ctx, q, v.args(q)...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqlite: digest preference of %s: %w", user.User, translate(err))
	}
	return nil
}
