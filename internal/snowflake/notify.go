package snowflake

import (
	"context"
	"fmt"
	"time"

	"github.com/signoff/signoff/internal/signoff"
	"github.com/signoff/signoff/internal/sqlstore"
)

// On Snowflake the notifier is SIGNOFF.API.SEND_NOTIFICATIONS, run by a
// task (deploy/40_notifications.sql), not by the app: the app reads the
// outbox and who holds roles through the API views, and records a
// visitor's digest choice with SET_NOTIFY_DIGEST in their own session.

var (
	_ signoff.Notifier  = (*Store)(nil)
	_ signoff.Directory = (*Directory)(nil)
)

// Notify does nothing on Snowflake: the notifications task runs
// SEND_NOTIFICATIONS on Snowflake's schedule, whether or not the service runs.
func (s *Store) Notify(context.Context, time.Time) (signoff.NotifyReport, error) {
	return signoff.NotifyReport{Disabled: true}, nil
}

// Outbox reads the outbox view.
func (s *Store) Outbox(ctx context.Context, recipient string, limit int) ([]signoff.Notice, error) {
	return s.reads.Outbox(ctx, recipient, limit)
}

// PendingCount counts the viewer's pending approvals (one statement; the
// Service keeps the answer for Service.PendingTTL).
func (s *Store) PendingCount(ctx context.Context, user string, roles []string) (int, error) {
	return s.reads.PendingCount(ctx, user, roles)
}

// DigestPreference reads the user's digest choice.
func (s *Store) DigestPreference(ctx context.Context, user string) (bool, error) {
	return s.reads.DigestPreference(ctx, user)
}

// SetDigestPreference calls SET_NOTIFY_DIGEST in the user's own session,
// which takes the user from the session: nobody chooses for anyone else.
func (s *Store) SetDigestPreference(ctx context.Context, user signoff.Identity, daily bool, _ time.Time) error {
	o, err := s.call(ctx, "digest preference", user, s.api.digest, daily)
	if err != nil {
		return err
	}
	if !o.OK() {
		return fmt.Errorf("snowflake: digest preference: %s", o.Code)
	}
	return nil
}

// Directory is who holds roles on Snowflake (signoff.Directory): the API
// view ROLE_HOLDER over ACCOUNT_USAGE's grants (up to two hours behind),
// one statement, its answer kept for the catalog TTL like other catalog
// metadata.
type Directory struct {
	reads *sqlstore.Store
	cache *sqlstore.TTLCache[signoff.RoleHolders]
}

// Directory returns the Store's directory, keeping answers for ttl.
func (s *Store) Directory(ttl time.Duration) *Directory {
	return &Directory{reads: s.reads, cache: sqlstore.NewTTLCache[signoff.RoleHolders](ttl, nil)}
}

// RoleHolders returns who holds each of roles: every approver role is read
// at once and kept, so pages asking about different roles share one read.
func (d *Directory) RoleHolders(ctx context.Context, roles []string) (signoff.RoleHolders, error) {
	all, err := d.cache.Get(ctx, func(ctx context.Context) (signoff.RoleHolders, error) {
		approvers, err := d.reads.ApproverRoles(ctx)
		if err != nil {
			return nil, err
		}
		return d.reads.RoleHolders(ctx, approvers)
	})
	if err != nil {
		return nil, err
	}
	out := signoff.RoleHolders{}
	for _, r := range roles {
		if h, ok := all[r]; ok {
			out[r] = h
		}
	}
	return out, nil
}
