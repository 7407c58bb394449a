package view

import (
	"testing"
	"time"
)

func TestAgeAndAgo(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		before   time.Duration
		age, ago string
	}{
		{-time.Minute, "< 1 min", "just now"}, // a clock a little ahead
		{0, "< 1 min", "just now"},
		{59 * time.Second, "< 1 min", "just now"},
		{time.Minute, "1 min", "1 min ago"},
		{59 * time.Minute, "59 min", "59 min ago"},
		{time.Hour, "1 h", "1 h ago"},
		{47 * time.Hour, "47 h", "47 h ago"},
		{48 * time.Hour, "2 d", "2 d ago"},
		{400 * 24 * time.Hour, "400 d", "400 d ago"},
	} {
		then := now.Add(-tc.before)
		if got := Age(then, now); got != tc.age {
			t.Errorf("Age(now-%v) = %q, want %q", tc.before, got, tc.age)
		}
		if got := Ago(then, now); got != tc.ago {
			t.Errorf("Ago(now-%v) = %q, want %q", tc.before, got, tc.ago)
		}
	}
}

func TestWhen(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		from time.Duration
		want string
	}{
		{5 * 24 * time.Hour, "in 5 d"},
		{3 * time.Hour, "in 3 h"},
		{10 * time.Minute, "in 10 min"},
		{30 * time.Second, "just now"},
		{-3 * time.Hour, "3 h ago"},
	} {
		if got := When(now.Add(tc.from), now); got != tc.want {
			t.Errorf("When(now%+v) = %q, want %q", tc.from, got, tc.want)
		}
	}
}
