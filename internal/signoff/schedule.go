package signoff

import (
	"context"
	"errors"
	"fmt"
)

// SweepReport says what one run of the scheduler did: the work done, by
// kind, and the work found due that was no longer due when its turn came
// (someone acted first, or another scheduler did it).
type SweepReport struct {
	Done   map[DueKind]int
	NotDue int
}

// Total is how much work the run did.
func (r SweepReport) Total() int {
	n := 0
	for _, k := range r.Done {
		n += k
	}
	return n
}

// Sweep does the scheduled work due now: reminders before access ends and
// after a step's deadline, escalations to a step's fallback role, and the
// expiry of requests and of time-bound access (docs/design.md, "Request
// lifecycle"). The embedded engine's server runs it on a ticker; on
// Snowflake the SIGNOFF_SCHEDULE task calls the RUN_SCHEDULE procedure,
// which runs the same statements, and the Service has no Scheduler.
// Missed runs catch up: whatever fell due since the last run is due now.
// A piece of work that fails is logged and tried again at the next run;
// the others go on.
func (s *Service) Sweep(ctx context.Context) (SweepReport, error) {
	rep := SweepReport{Done: map[DueKind]int{}}
	if s.Scheduler == nil {
		return rep, nil
	}
	due, err := s.Scheduler.Due(ctx, s.now())
	if err != nil {
		return rep, fmt.Errorf("sweep: %w", err)
	}
	var errs []error
	for _, d := range due {
		now := s.now()
		o, err := s.Scheduler.RunDue(ctx, d, SystemCall{EventIDs: s.newIDs(now, 1), At: now})
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("sweep: %s %s: %w", d.Kind, d.RequestID, err))
		case o.Code == CodeOK:
			rep.Done[d.Kind]++
		default:
			rep.NotDue++
		}
	}
	return rep, errors.Join(errs...)
}
