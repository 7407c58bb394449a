package view

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/signoff/signoff/internal/signoff"
)

func TestReasonExcerpt(t *testing.T) {
	long := "Quarterly churn model for the growth squad: we need lifetime value, support history and " +
		"renewal dates per customer to find the accounts at risk before the renewal window closes."
	for _, tc := range []struct {
		name, in, want string
		cut            bool
	}{
		{"short, whole", "Need it for the board pack.", "Need it for the board pack.", false},
		{"blanks and line breaks become one space", "  Board pack\r\n\n\tfor  Q3 \u00a0 numbers  ", "Board pack for Q3 numbers", false},
		{"exactly the limit", strings.Repeat("a", 140), strings.Repeat("a", 140), false},
		{"cut at the last word within the limit", long,
			"Quarterly churn model for the growth squad: we need lifetime value, support history and renewal dates per customer to find the accounts at…", true},
		{"a word longer than half the limit is cut inside", "Short " + strings.Repeat("x", 200),
			"Short " + strings.Repeat("x", 134) + "…", true},
		{"trailing punctuation before the cut goes", strings.Repeat("word ", 27) + "end, and more words after the limit",
			strings.Repeat("word ", 27) + "end…", true},
		{"invisible characters are not counted", strings.Repeat("a\u200b", 140), strings.Repeat("a\u200b", 140), false},
		{"emoji sequences stay whole", "Team 👩‍💻 dashboard", "Team 👩‍💻 dashboard", false},
		{"empty", "", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, cut := ReasonExcerpt(tc.in, ReasonExcerptLength)
			if got != tc.want || cut != tc.cut {
				t.Errorf("ReasonExcerpt(%q) = %q, %v; want %q, %v", tc.in, got, cut, tc.want, tc.cut)
			}
			if n := utf8.RuneCountInString(strings.ReplaceAll(strings.TrimSuffix(got, "…"), "\u200b", "")); n > ReasonExcerptLength {
				t.Errorf("excerpt of %d visible characters", n)
			}
		})
	}
}

func TestQueueURLs(t *testing.T) {
	in := signoff.QueueInput{ActingAs: "DATA_OWNER_SALES", ProductID: "customer-360", Classification: "PII",
		Sort: signoff.QueueNewest, After: "CURSOR"}
	for _, tc := range []struct{ got, want string }{
		{QueueURL(signoff.QueueInput{}), "/queue"},
		{QueueURL(signoff.QueueInput{Sort: signoff.QueueOldest}), "/queue"},
		{QueueURL(in), "/queue?after=CURSOR&as=DATA_OWNER_SALES&classification=PII&product=customer-360&sort=newest"},
		{QueueURL(signoff.QueueInput{Next: true}), "/queue?next=1"},
		{QueueContext(in), "after=CURSOR&classification=PII&product=customer-360&sort=newest"},
		{QueueRequestURL("01ARZ3NDEKTSV4RRFFQ69G5FAV", signoff.QueueInput{}), "/requests/01ARZ3NDEKTSV4RRFFQ69G5FAV"},
		{QueueRequestURL("01ARZ3NDEKTSV4RRFFQ69G5FAV", signoff.QueueInput{ActingAs: "DPO", Sort: signoff.QueueOldest}),
			"/requests/01ARZ3NDEKTSV4RRFFQ69G5FAV?as=DPO"},
		{QueueRequestURL("01ARZ3NDEKTSV4RRFFQ69G5FAV", in),
			"/requests/01ARZ3NDEKTSV4RRFFQ69G5FAV?as=DATA_OWNER_SALES&queue=classification%3DPII%26product%3Dcustomer-360%26sort%3Dnewest"},
		{clearFiltersURL(in), "/queue?as=DATA_OWNER_SALES&sort=newest"},
		{firstPageURL(in), "/queue?as=DATA_OWNER_SALES&classification=PII&product=customer-360&sort=newest"},
		{nextPageURL(in, "NEXT"), "/queue?after=NEXT&as=DATA_OWNER_SALES&classification=PII&product=customer-360&sort=newest"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %s, want %s", tc.got, tc.want)
		}
	}
}
