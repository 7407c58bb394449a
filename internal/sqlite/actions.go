package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/signoff/signoff/internal/signoff"
	"github.com/signoff/signoff/internal/sqlstore"
)

// The embedded engine's actions: the same statements, in the same order, as
// the Snowflake API procedures (sql/snowflake/03_api.sql), run here in a
// SQLite transaction. What is the engine's own is small: the caller's roles
// come from the local account (the Identity the server established for this
// request), the GRANT and REVOKE are the local account's, and the audit hash
// is computed in Go (signoff.Event.ComputeHash) where Snowflake calls
// AUDIT_HASH.

// vars are an action's named values, as the variables of the Snowflake
// procedure that runs the same statements. Every statement is given all of
// them; SQLite binds the names a statement uses and ignores the rest.
type vars map[string]any

// paramPattern is a named parameter's start, ":name".
var paramPattern = regexp.MustCompile(`:[A-Za-z_]`)

// args binds v's values by name for query; a statement without parameters
// gets none, as database/sql requires (a ':' in a text literal, as in the
// fingerprints' length prefixes, is no parameter).
func (v vars) args(query string) []any {
	if !paramPattern.MatchString(query) {
		return nil
	}
	out := make([]any, 0, len(v))
	for name, value := range v {
		out = append(out, sql.Named(name, value))
	}
	return out
}

// errRefused rolls back an action that the check refused. Nothing was
// written but the submit lock, so rolling back changes nothing; it keeps
// the transaction's shape the same as a Snowflake procedure's.
var errRefused = errors.New("refused")

// action is one action's transaction.
type action struct {
	ctx   context.Context
	tx    txQuerier
	v     vars
	actor string
	at    time.Time
}

func (s *Store) newAction(ctx context.Context, tx *sql.Tx, actor signoff.Identity, at time.Time) *action {
	if at.IsZero() {
		at = time.Now()
	}
	at = at.UTC().Truncate(time.Microsecond) // the precision both engines keep and hash
	return &action{ctx: ctx, tx: s.prep.in(tx), actor: actor.User, at: at,
		v: vars{"actor": actor.User, "now_ts": at, "acting_as": "", "step_no": 0, "duration_days": 0,
			"approve_days": 0, "escalated_to": "", "is_system": false, "extends_id": "", "step_count": 0, "holds_escalated_to": false,
			"holds_step_role": false, "holds_acting_as": false, "step_user": "", "is_admin": false, "holds_owner_role": false}}
}

// row runs a check (one row, named columns) and returns its columns by name.
func (a *action) row(query string) (map[string]any, error) {
	rows, err := a.tx.QueryContext(a.ctx, query, a.v.args(query)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("%w: a check returned no row", sql.ErrNoRows)
	}
	values := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range values {
		ptrs[i] = &values[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return nil, err
	}
	out := make(map[string]any, len(cols))
	for i, c := range cols {
		if b, ok := values[i].([]byte); ok {
			values[i] = string(b)
		}
		out[c] = values[i]
	}
	return out, rows.Err()
}

// exec runs a write and returns the rows it affected.
func (a *action) exec(query string) (int64, error) {
	res, err := a.tx.ExecContext(a.ctx, query, a.v.args(query)...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// must runs a write that must affect want rows; otherwise someone changed
// the request between the check and the write: a conflict.
func (a *action) must(query string, want int64) (bool, error) {
	n, err := a.exec(query)
	if err != nil {
		return false, err
	}
	return n == want, nil
}

// outcome reads a check's row as the Outcome it reports, through JSON, as
// the Snowflake engine reads a procedure's envelope.
func outcome(row map[string]any) (signoff.Outcome, error) {
	b, err := json.Marshal(row)
	if err != nil {
		return signoff.Outcome{}, err
	}
	var o signoff.Outcome
	err = json.Unmarshal(b, &o)
	return o, err
}

func text(row map[string]any, col string) string {
	s, _ := row[col].(string)
	return s
}

func number(row map[string]any, col string) int64 {
	n, _ := row[col].(int64)
	return n
}

// check runs a check and returns its outcome; refused is true unless the
// code is OK.
func (a *action) check(query string) (signoff.Outcome, map[string]any, error) {
	row, err := a.row(query)
	if err != nil {
		return signoff.Outcome{}, nil, err
	}
	o, err := outcome(row)
	if err == nil && !o.OK() {
		o = o.Refusal()
	}
	return o, row, err
}

// result reads where the request stands now (SelectOutcome).
func (a *action) result() (signoff.Outcome, error) {
	o, _, err := a.check(sqlstore.SelectOutcome)
	return o, err
}

// appendEvent appends one event at the head of the request's audit chain.
func (a *action) appendEvent(id, actorRole string, typ signoff.EventType, step int, d signoff.Decision, comment, details string) error {
	if ok, err := a.must(sqlstore.LockAudit, 1); err != nil || !ok {
		return errors.Join(err, errNoRow("audit_lock", ok))
	}
	head, err := a.row(sqlstore.LedgerHead)
	if err != nil {
		return err
	}
	e := signoff.Event{ID: id, Time: a.at, RequestID: text(a.v, "request_id"), ProductID: text(a.v, "product_id"),
		Actor: a.actor, ActorRole: actorRole, Type: typ, Step: step, Decision: d, Comment: comment, Details: details,
		Seq: int(number(head, "ev_seq")) + 1, PrevHash: text(head, "ev_prev_hash")}
	e.Hash = e.ComputeHash()
	a.v["event_id"], a.v["actor_role"], a.v["event_type"] = e.ID, e.ActorRole, string(e.Type)
	a.v["ev_step"], a.v["ev_decision"], a.v["ev_comment"], a.v["ev_details"] = e.Step, string(e.Decision), e.Comment, e.Details
	a.v["ev_seq"], a.v["ev_prev_hash"], a.v["ev_hash"] = e.Seq, e.PrevHash, e.Hash
	ok, err := a.must(sqlstore.AppendEvent, 1)
	if err != nil {
		return fmt.Errorf("audit %s: %w", typ, err)
	}
	if !ok {
		return fmt.Errorf("audit %s: %w: the audit log moved on meanwhile", typ, signoff.ErrConflict)
	}
	return nil
}

// act runs fn as one action in a write transaction. fn returns the outcome;
// a refusal (any code but OK) or a dry run rolls back.
func (s *Store) act(ctx context.Context, name, requestID string, actor signoff.Identity, at time.Time,
	fn func(a *action) (signoff.Outcome, error)) (signoff.Outcome, error) {
	var out signoff.Outcome
	err := s.tx(ctx, func(tx *sql.Tx) error {
		a := s.newAction(ctx, tx, actor, at)
		a.v["request_id"] = requestID
		o, err := fn(a)
		if err != nil {
			return err
		}
		out = o
		if o.Code != signoff.CodeOK {
			return errRefused
		}
		return nil
	})
	if errors.Is(err, errRefused) {
		return out, nil
	}
	if err != nil {
		return signoff.Outcome{}, fmt.Errorf("sqlite: %s %s: %w", name, requestID, err)
	}
	return out, nil
}

// conflict is the answer when a write found the request changed since its
// check: within one SQLite transaction that cannot happen, but the code
// path is the Snowflake procedures', where READ COMMITTED allows it.
func conflict(requestID string) signoff.Outcome {
	return signoff.Outcome{Code: signoff.CodeConflict, RequestID: requestID}
}

// Submit files a request (SUBMIT_REQUEST).
func (s *Store) Submit(ctx context.Context, actor signoff.Identity, c signoff.SubmitCall) (signoff.Outcome, error) {
	return s.act(ctx, "submit", c.RequestID, actor, c.At, func(a *action) (signoff.Outcome, error) {
		a.v["product_id"], a.v["reason"], a.v["duration_days"], a.v["extends_id"] = c.ProductID, c.Reason, c.Days, c.Extends
		if ok, err := a.must(sqlstore.LockSubmissions, 1); err != nil || !ok {
			return signoff.Outcome{}, errors.Join(err, errNoRow("submit_lock", ok))
		}
		o, _, err := a.check(sqlstore.CheckSubmit)
		if err != nil || o.Code != signoff.CodeOK {
			return o, err
		}
		if c.DryRun {
			o.Code = signoff.CodeDryRun
			return o, nil
		}
		a.v["step_count"] = o.StepCount
		if ok, err := a.must(sqlstore.InsertRequest, 1); err != nil || !ok {
			return conflict(c.RequestID), err
		}
		if ok, err := a.must(sqlstore.InsertSteps, int64(o.StepCount)); err != nil || !ok {
			return conflict(c.RequestID), err // the chain changed between the check and the copy
		}
		snapshot, err := a.row(sqlstore.ChainSnapshot)
		if err != nil {
			return signoff.Outcome{}, err
		}
		if err := a.appendEvent(eventID(c.EventIDs, 0), "", signoff.EventRequestSubmitted, 0, "", c.Reason,
			signoff.SubmissionDetails(c.Days, c.Extends, text(snapshot, "policy"), text(snapshot, "snapshot"))); err != nil {
			return signoff.Outcome{}, err
		}
		return a.result()
	})
}

// errNoRow explains a missing lock row (a database not migrated).
func errNoRow(table string, ok bool) error {
	if ok {
		return nil
	}
	return fmt.Errorf("the %s row is missing", table)
}

// eventID returns the i-th of the IDs the Service prepared for an action.
func eventID(ids []string, i int) string {
	if i < len(ids) {
		return ids[i]
	}
	return ""
}

// Decide records a decision (DECIDE_STEP); the final approval commits and
// then runs the grant, as the procedure does.
func (s *Store) Decide(ctx context.Context, actor signoff.Identity, c signoff.DecideCall) (signoff.Outcome, error) {
	var step int    // the step decided
	var role string // its role, which the decision was made with
	out, err := s.act(ctx, "decide", c.RequestID, actor, c.At, func(a *action) (signoff.Outcome, error) {
		a.v["step_no"], a.v["decision"], a.v["comment_text"], a.v["acting_as"] = c.Step, string(c.Decision), c.Comment, c.ActingAs
		a.v["approve_days"] = c.Days
		facts, err := a.row(sqlstore.LoadRequest)
		if err != nil {
			return signoff.Outcome{}, err
		}
		// The roles looked up are the roles the decision is made with:
		// CheckDecide answers CONFLICT if the current step's are others.
		stepRole, escalatedTo, stepUser := text(facts, "step_role"), text(facts, "escalated_to"), text(facts, "step_user")
		a.v["step_role"], a.v["escalated_to"], a.v["step_user"] = stepRole, escalatedTo, stepUser
		// A manager step's role counts only for its manager (step_user):
		// anyone else decides it, once it escalated, with the fallback role.
		holdsStep := actor.HasRole(stepRole) && (stepUser == "" || stepUser == actor.User)
		a.v["holds_step_role"] = holdsStep
		a.v["holds_escalated_to"] = escalatedTo != "" && actor.HasRole(escalatedTo)
		a.v["holds_acting_as"] = c.ActingAs != "" && actor.HasRole(c.ActingAs)
		o, row, err := a.check(sqlstore.CheckDecide)
		if err != nil || o.Code != signoff.CodeOK {
			return o, err
		}
		if c.DryRun {
			o.Code = signoff.CodeDryRun
			return o, nil
		}
		step, role = o.CurrentStep, signoff.DecidingRole(stepRole, escalatedTo, c.ActingAs, func(string) bool { return holdsStep })
		a.v["cur_step"], a.v["actor_role"], a.v["product_id"] = step, role, text(row, "product_id")
		if ok, err := a.must(sqlstore.AdvanceRequest, 1); err != nil || !ok {
			return conflict(c.RequestID), err
		}
		typ, decision, details := signoff.DecisionEvent(c.Decision, c.Days)
		if c.Decision != signoff.DecisionChanges {
			if ok, err := a.must(sqlstore.RecordDecision, 1); err != nil || !ok {
				return conflict(c.RequestID), err
			}
		}
		if err := a.appendEvent(eventID(c.EventIDs, 0), role, typ, step, decision, c.Comment, details); err != nil {
			return signoff.Outcome{}, err
		}
		now, err := a.result()
		if err != nil {
			return signoff.Outcome{}, err
		}
		if now.Status == signoff.StatusApproved {
			if err := a.appendEvent(eventID(c.EventIDs, 1), role, signoff.EventRequestApproved, step, "", "", ""); err != nil {
				return signoff.Outcome{}, err
			}
		}
		return now, nil
	})
	if err != nil || out.Code != signoff.CodeOK || out.Status != signoff.StatusApproved {
		return out, err
	}
	granted, err := s.act(ctx, "grant", c.RequestID, actor, c.At, func(a *action) (signoff.Outcome, error) {
		return a.grant(eventID(c.EventIDs, 2), role)
	})
	switch {
	case err != nil: // the approval is committed; the request stays visibly APPROVED
		out.GrantError = err.Error()
	case granted.Code != signoff.CodeOK: // e.g. an admin's retry got there first
		out.GrantError = "the grant answered " + string(granted.Code)
	default:
		return granted, nil
	}
	return out, nil
}

// grant is the grant path (promise 1): re-verify the decision record,
// grant the product's access role to the requester in the local account,
// and record GRANTED or GRANT_FAILED with its audit event.
func (a *action) grant(eventID, actorRole string) (signoff.Outcome, error) {
	o, row, err := a.check(sqlstore.CheckGrant)
	if err != nil || o.Code != signoff.CodeOK {
		return o, err
	}
	a.v["product_id"] = o.ProductID
	refusal := text(row, "refusal")
	if refusal == "" {
		err := grantRole(a.ctx, a.tx, o.AccessRole, o.Requester, a.actor, a.at)
		if msg, ok := isGrantRefusal(err); ok {
			refusal = msg
		} else if err != nil {
			return signoff.Outcome{}, err
		}
	}
	mark, typ, details := sqlstore.MarkGranted, signoff.EventAccessGranted, text(row, "grant_statement")
	if refusal != "" {
		mark, typ, details = sqlstore.MarkGrantFailed, signoff.EventGrantFailed, refusal
	}
	if ok, err := a.must(mark, 1); err != nil || !ok {
		return conflict(o.RequestID), err
	}
	if err := a.appendEvent(eventID, actorRole, typ, 0, "", "", details); err != nil {
		return signoff.Outcome{}, err
	}
	return a.result()
}

// Withdraw withdraws a pending request (WITHDRAW_REQUEST).
func (s *Store) Withdraw(ctx context.Context, actor signoff.Identity, c signoff.WithdrawCall) (signoff.Outcome, error) {
	return s.act(ctx, "withdraw", c.RequestID, actor, c.At, func(a *action) (signoff.Outcome, error) {
		o, _, err := a.check(sqlstore.CheckWithdraw)
		if err != nil || o.Code != signoff.CodeOK {
			return o, err
		}
		if c.DryRun {
			o.Code = signoff.CodeDryRun
			return o, nil
		}
		a.v["product_id"] = o.ProductID
		if ok, err := a.must(sqlstore.WithdrawRequest, 1); err != nil || !ok {
			return conflict(c.RequestID), err
		}
		if err := a.appendEvent(eventID(c.EventIDs, 0), "", signoff.EventRequestWithdrawn, o.CurrentStep, "", "", ""); err != nil {
			return signoff.Outcome{}, err
		}
		return a.result()
	})
}

// RetryGrant runs a failed or never-run grant again (RETRY_GRANT): admins only.
func (s *Store) RetryGrant(ctx context.Context, actor signoff.Identity, c signoff.RetryCall) (signoff.Outcome, error) {
	return s.act(ctx, "retry grant", c.RequestID, actor, c.At, func(a *action) (signoff.Outcome, error) {
		a.v["is_admin"] = actor.Admin()
		o, _, err := a.check(sqlstore.CheckRetry)
		if err != nil || o.Code != signoff.CodeOK {
			return o, err
		}
		if c.DryRun {
			o.Code = signoff.CodeDryRun
			return o, nil
		}
		return a.grant(eventID(c.EventIDs, 0), signoff.RoleAdmin)
	})
}

// Revoke takes granted access back (REVOKE_ACCESS): admins and the
// product's owners. The role stays while another of the requester's GRANTED
// requests (for a product with the same access role) still justifies it.
func (s *Store) Revoke(ctx context.Context, actor signoff.Identity, c signoff.RevokeCall) (signoff.Outcome, error) {
	return s.act(ctx, "revoke", c.RequestID, actor, c.At, func(a *action) (signoff.Outcome, error) {
		facts, err := a.row(sqlstore.LoadRequest)
		if err != nil {
			return signoff.Outcome{}, err
		}
		ownerRole := text(facts, "owner_role")
		holdsOwner := ownerRole != "" && actor.HasRole(ownerRole)
		a.v["is_admin"], a.v["holds_owner_role"] = actor.Admin(), holdsOwner
		actorRole := signoff.RoleAdmin
		if holdsOwner {
			actorRole = ownerRole
		}
		return a.endAccess(c.RequestID, eventID(c.EventIDs, 0), actorRole, signoff.EventAccessRevoked, c.Reason, c.DryRun)
	})
}

// endAccess is the guarded revoke path that a revocation and the expiry of
// time-bound access share (CheckRevoke): check, mark REVOKED or EXPIRED
// with its event, and take the role back unless another of the requester's
// grants still justifies it.
func (a *action) endAccess(requestID, eventID, actorRole string, typ signoff.EventType, reason string, dryRun bool) (signoff.Outcome, error) {
	o, row, err := a.check(sqlstore.CheckRevoke)
	if err != nil || o.Code != signoff.CodeOK {
		return o, err
	}
	if dryRun {
		o.Code = signoff.CodeDryRun
		return o, nil
	}
	a.v["product_id"] = o.ProductID
	if ok, err := a.must(sqlstore.MarkRevoked, 1); err != nil || !ok {
		return conflict(requestID), err
	}
	if err := a.appendEvent(eventID, actorRole, typ, 0, "", reason, text(row, "revoke_statement")); err != nil {
		return signoff.Outcome{}, err
	}
	still, err := a.row(sqlstore.StillJustified)
	if err != nil {
		return signoff.Outcome{}, err
	}
	if number(still, "justified_by") == 0 {
		if _, err := a.tx.ExecContext(a.ctx, revokeRole, o.Requester, o.AccessRole); err != nil {
			return signoff.Outcome{}, err
		}
	}
	return a.result()
}

// Resubmit answers an approver's question (RESUBMIT_REQUEST).
func (s *Store) Resubmit(ctx context.Context, actor signoff.Identity, c signoff.ResubmitCall) (signoff.Outcome, error) {
	return s.act(ctx, "resubmit", c.RequestID, actor, c.At, func(a *action) (signoff.Outcome, error) {
		a.v["reason"] = c.Reason
		o, _, err := a.check(sqlstore.CheckResubmit)
		if err != nil || o.Code != signoff.CodeOK {
			return o, err
		}
		if c.DryRun {
			o.Code = signoff.CodeDryRun
			return o, nil
		}
		a.v["product_id"] = o.ProductID
		if ok, err := a.must(sqlstore.ResubmitRequest, 1); err != nil || !ok {
			return conflict(c.RequestID), err
		}
		if err := a.appendEvent(eventID(c.EventIDs, 0), "", signoff.EventRequestResubmitted, o.CurrentStep, "",
			c.Answer, strings.TrimSpace(c.Reason)); err != nil {
			return signoff.Outcome{}, err
		}
		return a.result()
	})
}

// Due lists the scheduler's work at at (sqlstore.DueWork).
func (s *Store) Due(ctx context.Context, at time.Time) ([]signoff.Due, error) {
	rows, err := s.db.QueryContext(ctx, sqlstore.DueWork, sql.Named("now_ts", at.UTC().Truncate(time.Microsecond)))
	if err != nil {
		return nil, fmt.Errorf("sqlite: due work: %w", translate(err))
	}
	defer rows.Close()
	var out []signoff.Due
	for rows.Next() {
		var d signoff.Due
		if err := rows.Scan(&d.Kind, &d.RequestID, &d.Why); err != nil {
			return nil, fmt.Errorf("sqlite: due work: %w", err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: due work: %w", translate(err))
	}
	return out, nil
}

// RunDue does one piece of the scheduler's work as the system, in one
// transaction, if it is still due: the statements RUN_SCHEDULE runs.
func (s *Store) RunDue(ctx context.Context, d signoff.Due, c signoff.SystemCall) (signoff.Outcome, error) {
	system := signoff.Identity{User: signoff.SystemActor}
	return s.act(ctx, "scheduled "+strings.ToLower(string(d.Kind)), d.RequestID, system, c.At, func(a *action) (signoff.Outcome, error) {
		a.v["kind"], a.v["why"], a.v["is_system"] = string(d.Kind), d.Why, true
		id := eventID(c.EventIDs, 0)
		if d.Kind == signoff.DueExpireAccess {
			return a.endAccess(d.RequestID, id, "", signoff.EventAccessExpired, "", false)
		}
		if d.Kind == signoff.DueOpenReview { // d.RequestID is the product's; the ID prepared names the review
			a.v["request_id"], a.v["product_id"], a.v["review_id"] = "", d.RequestID, id
			return a.startReview(false)
		}
		if d.Kind == signoff.DueRemindExpiry || d.Kind == signoff.DueRemindStep {
			// A reminder writes only its event: its check runs under the
			// audit lock, so that two schedulers remind once.
			if ok, err := a.must(sqlstore.LockAudit, 1); err != nil || !ok {
				return signoff.Outcome{}, errors.Join(err, errNoRow("audit_lock", ok))
			}
		}
		o, row, err := a.check(sqlstore.CheckSystem)
		if err != nil || o.Code != signoff.CodeOK {
			return o, err
		}
		a.v["product_id"], a.v["cur_step"] = o.ProductID, o.CurrentStep
		var typ signoff.EventType
		var step int
		var comment, details string
		switch d.Kind {
		case signoff.DueRemindExpiry:
			typ = signoff.EventExpiryReminded
		case signoff.DueRemindStep:
			typ, step = signoff.EventStepReminded, o.CurrentStep
		case signoff.DueExpireRequest:
			typ = signoff.EventRequestExpired
			if ok, err := a.must(sqlstore.ExpireRequest, 1); err != nil || !ok {
				return conflict(d.RequestID), err
			}
		case signoff.DueEscalateStep:
			typ, step, comment, details = signoff.EventStepEscalated, o.CurrentStep, signoff.EscalationWhy(d.Why), text(row, "fallback_role")
			if ok, err := a.must(sqlstore.EscalateStep, 1); err != nil || !ok {
				return conflict(d.RequestID), err
			}
		default:
			return signoff.Outcome{}, fmt.Errorf("unknown scheduled work %q", d.Kind)
		}
		if err := a.appendEvent(id, "", typ, step, "", comment, details); err != nil {
			return signoff.Outcome{}, err
		}
		return a.result()
	})
}

// revokeRole is the local REVOKE ROLE ... FROM USER.
const revokeRole = `DELETE FROM local_user_role WHERE user_name = ? AND role_name = ?`
