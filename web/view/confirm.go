package view

import (
	"strconv"

	"github.com/signoff/signoff/internal/signoff"
)

// Confirm is the confirmation step of an action that cannot be undone
// (withdraw, reject, revoke): what the action will do, asked once before it
// is done, without JavaScript. Its form posts the action's values again,
// with confirm=1; asking changed nothing.
type Confirm struct {
	Request signoff.Request
	Product signoff.Product
	// Heading asks the question; Question says what the action will do.
	Heading, Question string
	// Quote is what the viewer typed, shown back (the rejection's comment,
	// the revocation's reason), under QuoteLabel; "" shows nothing.
	Quote, QuoteLabel string
	// Action is the form's target; Fields are the values it carries.
	Action string
	Fields []Field
	// Button names the action's button, ButtonID its id.
	Button, ButtonID string
	// KeepOnCancel makes Cancel post the fields back with confirm=cancel, so
	// that the request page shows what was typed again; otherwise Cancel is
	// a link to the request page.
	KeepOnCancel bool
}

// Field is a form value a confirmation carries.
type Field struct{ Name, Value string }

// ConfirmWithdraw asks the requester to confirm withdrawing their request.
func ConfirmWithdraw(rp signoff.RequestPage) Confirm {
	return Confirm{Request: rp.Request, Product: rp.Product,
		Heading: "Withdraw your request?",
		Question: "Withdraw your request for " + rp.Product.Name + "? Approvers will no longer see it, " +
			"and to ask for this access again you would make a new request.",
		Action: RequestURL(rp.Request.ID) + "/withdraw", Button: "Withdraw request", ButtonID: "confirm-withdraw"}
}

// ConfirmReject asks an approver to confirm rejecting the step they saw,
// carrying their comment, the step (the current one, if the form named
// none, so that a decision made meanwhile is caught) and their acting-as
// choice.
func ConfirmReject(rp signoff.RequestPage, in signoff.DecisionInput) Confirm {
	r := rp.Request
	step, ok := r.Step(in.Step)
	if !ok {
		step = currentStep(r)
	}
	fields := []Field{{"decision", "reject"}, {"comment", in.Comment}, {"step", strconv.Itoa(step.Order)}}
	if in.ActingAs != "" {
		fields = append(fields, Field{"acting_as", in.ActingAs})
	}
	return Confirm{Request: r, Product: rp.Product,
		Heading: "Reject this request?",
		Question: "Reject " + r.Requester + "'s request for " + rp.Product.Name + " at the " + step.Label +
			" step (step " + strconv.Itoa(step.Order) + " of " + strconv.Itoa(r.StepCount) + ")? The request ends here: " +
			"no later step is asked, and " + r.Requester + " would have to make a new request.",
		Quote: in.Comment, QuoteLabel: "Your comment, which " + r.Requester + " will read:",
		Action: RequestURL(r.ID) + "/decision", Fields: fields, Button: "Reject request", ButtonID: "confirm-reject",
		KeepOnCancel: true}
}

// ConfirmRevoke asks an admin or owner to confirm revoking granted access,
// carrying their reason.
func ConfirmRevoke(rp signoff.RequestPage, reason string) Confirm {
	r := rp.Request
	return Confirm{Request: r, Product: rp.Product,
		Heading: "Revoke this access?",
		Question: "Revoke " + r.Requester + "'s access to " + rp.Product.Name + "? Signoff takes the role " +
			rp.Product.AccessRole + " back from " + r.Requester + " at once, unless another granted request of theirs " +
			"still needs it. To have the access again, " + r.Requester + " would make a new request.",
		Quote: reason, QuoteLabel: "Your reason, which the history will keep:",
		Action: RequestURL(r.ID) + "/revoke", Fields: []Field{{"reason", reason}},
		Button: "Revoke access", ButtonID: "confirm-revoke", KeepOnCancel: true}
}
