package sqlite

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// checkpointer copies the write-ahead log into the database file in the
// background, so that no decision waits for it. Left to SQLite, the commit
// that crosses the WAL's size threshold runs the checkpoint itself, holding
// this process's write turn for tens to hundreds of milliseconds; here a
// goroutine runs PRAGMA wal_checkpoint(PASSIVE) soon after commits, on the
// other core, while writers carry on (a passive checkpoint never blocks
// them). SQLite's own automatic checkpoint stays as a backstop at a much
// larger size, for when this process is not the one writing.
type checkpointer struct {
	kick chan struct{} // a commit happened; buffered, never blocks
	stop chan struct{}
	done chan struct{}
	runs atomic.Int64 // checkpoints run, for tests
	once sync.Once
	// ctx ends when the checkpointer is closed, interrupting a checkpoint
	// in progress so that Close does not wait for it.
	ctx    context.Context
	cancel context.CancelFunc
}

// checkpointPause is the least time between two checkpoints: commits in
// between are copied by the next one.
const checkpointPause = 100 * time.Millisecond

func (s *Store) startCheckpointer() {
	ctx, cancel := context.WithCancel(context.Background())
	c := &checkpointer{kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}),
		ctx: ctx, cancel: cancel}
	s.checkpoints = c
	go func() {
		defer close(c.done)
		for {
			select {
			case <-c.stop:
				return
			case <-c.kick:
			}
			ctx, cancel := context.WithTimeout(c.ctx, time.Minute)
			// Errors are harmless here: the next commit kicks another try, and
			// SQLite's automatic checkpoint remains the backstop.
			_, _ = s.db.ExecContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`)
			cancel()
			c.runs.Add(1)
			select {
			case <-c.stop:
				return
			case <-time.After(checkpointPause):
			}
		}
	}()
}

// committed tells the checkpointer that a transaction committed.
func (c *checkpointer) committed() {
	if c == nil {
		return
	}
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// close stops the checkpointer and waits for it; closing twice is harmless.
func (c *checkpointer) close() {
	if c == nil {
		return
	}
	c.once.Do(func() { close(c.stop); c.cancel() })
	<-c.done
}
