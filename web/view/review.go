package view

import (
	"net/url"
	"strconv"
	"time"

	"github.com/signoff/signoff/internal/signoff"
)

// ReviewURL is a review's page.
func ReviewURL(id string) string { return "/reviews/" + url.PathEscape(id) }

// ProductReviewsURL is a product's reviews page.
func ProductReviewsURL(productID string) string { return ProductURL(productID) + "/reviews" }

// ReviewItemURL is where a grant of a review is decided.
func ReviewItemURL(reviewID, requestID string) string {
	return ReviewURL(reviewID) + "/items/" + url.PathEscape(requestID)
}

// IdleForm is ReviewForm.RequestID for the form that revokes every idle
// grant at once.
const IdleForm = "idle"

// RevokeIdleURL is where every idle grant of a review is revoked at once.
func RevokeIdleURL(reviewID string) string { return ReviewURL(reviewID) + "/revoke-idle" }

// ReviewForm is what was typed on a review page, kept when a decision is
// refused: the grant it was for, the note, and the problems by field.
type ReviewForm struct {
	RequestID string
	Note      string
	Problems  signoff.Problems
}

// reviewStatusLabel names a review's state for people.
func reviewStatusLabel(s signoff.ReviewStatus) string {
	if s == signoff.ReviewComplete {
		return "Complete"
	}
	return "Open"
}

// reviewDecisionLabel says what became of a grant in a review.
func reviewDecisionLabel(d signoff.ReviewDecision) string {
	switch d {
	case signoff.ReviewKeep:
		return "Kept"
	case signoff.ReviewRevoke:
		return "Revoked"
	case signoff.ReviewEnded:
		return "Access had ended"
	}
	return "To decide"
}

// queriesLabel says how many queries a grant ran lately: "12 queries in 30
// days, 40 in 90 days".
func queriesLabel(it signoff.ReviewItem) string {
	return countNoun(it.Queries30, "query", "queries") + " in the last 30 days, " + strconv.Itoa(it.Queries90) +
		" in the last 90"
}

func countNoun(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// idleDaysLabel is the product's idle threshold in words.
func idleDaysLabel(p signoff.ReviewPolicy) string {
	s := countNoun(p.Idle(), "day", "days")
	if p.IdleDays == 0 {
		s += " (the default)"
	}
	return s
}

// suggestRevoke says whether the page suggests revoking a grant
// (signoff.ReviewPage.SuggestRevoke).
func suggestRevoke(p signoff.ReviewPage, it signoff.ReviewItem) bool { return p.SuggestRevoke(it) }

// progressLabel is "7 of 9 decided".
func progressLabel(p signoff.ReviewPage) string {
	return strconv.Itoa(len(p.Items)-p.Undecided()) + " of " + strconv.Itoa(len(p.Items)) + " decided"
}

// usageLatencyLabel is how far behind Snowflake's access history may be.
func usageLatencyLabel() string {
	return strconv.Itoa(int(signoff.UsageLatency/time.Hour)) + " hours"
}

// reviewProgress is a review's "3 of 5 decided".
func reviewProgress(v signoff.Review) string {
	return strconv.Itoa(v.Decided) + " of " + strconv.Itoa(v.Items) + " decided"
}
