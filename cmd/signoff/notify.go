package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/signoff/signoff/internal/signoff"
)

// notifyEvery is how often the embedded engine's notifier runs until the
// lifecycle scheduler (issue 12) calls Service.Notify on its own tick.
const notifyEvery = 5 * time.Second

// runNotifier runs svc's notifier every interval until ctx ends: the
// outbox fills from the audit log and its messages are delivered. A failed
// run is logged and the next one tries again (the cursor only moves with a
// committed run, so nothing is lost).
func runNotifier(ctx context.Context, svc *signoff.Service, every time.Duration, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		// A run is not cut short by shutdown: an interrupted write
		// transaction would take the engine's write connection with it.
		runCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
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
