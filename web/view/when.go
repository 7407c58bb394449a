package view

import (
	"context"
	"strconv"
	"time"
)

// nowKey is the context key of the time a page is rendered at.
type nowKey struct{}

// WithNow returns ctx carrying now, the time relative times on a page are
// counted from; the server sets its clock's time, so tests can fix it.
func WithNow(ctx context.Context, now time.Time) context.Context {
	return context.WithValue(ctx, nowKey{}, now)
}

// nowOf is the time a page is rendered at: the one WithNow set, else the
// wall clock.
func nowOf(ctx context.Context) time.Time {
	if t, ok := ctx.Value(nowKey{}).(time.Time); ok {
		return t
	}
	return time.Now()
}

// Age says how long before now t was, in the largest unit that fits, as a
// queue shows it: "< 1 min", "12 min", "5 h", "3 d". A time after now (a
// clock a little ahead) counts as now.
func Age(t, now time.Time) string {
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "< 1 min"
	case d < time.Hour:
		return strconv.Itoa(int(d/time.Minute)) + " min"
	case d < 48*time.Hour:
		return strconv.Itoa(int(d/time.Hour)) + " h"
	}
	return strconv.Itoa(int(d/(24*time.Hour))) + " d"
}

// Ago says how long before now t was, as a sentence reads it: "just now",
// "12 min ago", "5 h ago", "3 d ago".
func Ago(t, now time.Time) string {
	if now.Sub(t) < time.Minute {
		return "just now"
	}
	return Age(t, now) + " ago"
}

// When says how far t is from now either way, as a sentence reads it: "in
// 5 h", "in 3 d" for a time to come (an expiry, a deadline), else as Ago
// does. Ago alone would read a time to come as "just now".
func When(t, now time.Time) string {
	if t.Sub(now) < time.Minute {
		return Ago(t, now)
	}
	return "in " + Age(now, t)
}
