package main

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/signoff/signoff/internal/signoff"
)

// digestIdle is how often the digester takes a digest even when the app
// has not acted: someone may have written with SQL past the app (on
// Snowflake, by CALLing the procedures), and such events should be anchored
// too. Between, a tick after no action costs nothing, which on Snowflake
// keeps an idle warehouse asleep.
const digestIdle = time.Hour

// runDigests takes a digest of the audit log at start, every `every` while
// the app acts, at least every digestIdle, and once more when ctx ends (the
// service stops). A log that no longer matches its newest digest is logged
// as an error every time it is seen: that is tampering, or damage, to look
// at now.
func runDigests(ctx context.Context, svc *signoff.Service, every time.Duration, log *slog.Logger) {
	take := func(ctx context.Context) {
		d, taken, err := svc.TakeDigest(ctx)
		switch {
		case errors.Is(err, signoff.ErrLedgerRewritten):
			log.Error("audit log tampering: the log no longer matches its newest digest; run the verification",
				"err", err)
		case err != nil:
			log.Warn("audit digest not taken", "err", err)
		case taken:
			log.Info("audit digest taken", "seq", d.Seq, "hash", d.Hash)
		}
	}
	take(ctx)
	t := time.NewTicker(every)
	defer t.Stop()
	last := time.Now()
	for {
		select {
		case <-ctx.Done():
			final, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			take(final)
			cancel()
			return
		case <-t.C:
		}
		if svc.ActedSince(last) || time.Since(last) >= digestIdle {
			last = time.Now()
			take(ctx)
		}
	}
}
