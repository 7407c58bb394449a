package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/signoff/signoff/internal/signoff"
)

// scheduleEvery is how often the embedded engine's scheduler runs: the
// scheduled work (Service.Sweep), then the notifier, so that a run's
// reminders and expiries are in its messages.
const scheduleEvery = 10 * time.Second

// runScheduler runs svc's scheduler and notifier every interval until ctx
// ends. A failed run is logged and the next one tries again: the work is
// still due, and the notifier's cursor only moves with a committed run, so
// nothing is lost.
func runScheduler(ctx context.Context, svc *signoff.Service, every time.Duration, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		// A run is not cut short by shutdown: an interrupted write
		// transaction would take the engine's write connection with it.
		runCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		swept, err := svc.Sweep(runCtx)
		if err != nil {
			log.Error("schedule", "err", err)
		}
		if swept.Total() > 0 || swept.NotDue > 0 {
			log.Info("schedule", "done", swept.Done, "not_due", swept.NotDue)
		}
		rep, err := svc.Notify(runCtx)
		cancel()
		switch {
		case err != nil:
			log.Error("notify", "err", err)
		case rep.Queued > 0 || rep.Sent > 0:
			log.Info("notify", "events", rep.Events, "queued", rep.Queued, "digests", rep.Digests, "sent", rep.Sent)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
