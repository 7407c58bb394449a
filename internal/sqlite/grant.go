package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/signoff/signoff/internal/signoff"
	"github.com/signoff/signoff/internal/sqlstore"
)

// The local grant path: the embedded engine's stand-in for the owner's-rights
// procedures GRANT_PRODUCT_ACCESS and REVOKE_PRODUCT_ACCESS in
// sql/snowflake/02_rbac_and_grant.sql, with the same guards (promise 1). The
// role and grantee come from the request and its product, never from the
// caller.

const selectGrantSubject = `
SELECT r.status, r.requester, r.step_count, r.product_id, p.access_role
FROM access_request r JOIN data_product p ON p.product_id = r.product_id
WHERE r.request_id = ?`

const selectDecisionRecord = `
SELECT step_order, COALESCE(decision, ''), COALESCE(decided_by, '')
FROM request_step WHERE request_id = ? ORDER BY step_order`

const markGranted = `
UPDATE access_request SET status = 'GRANTED', updated_at = ?
WHERE request_id = ? AND status IN ('APPROVED', 'GRANT_FAILED')`

const markGrantFailed = `
UPDATE access_request SET status = 'GRANT_FAILED', updated_at = ?
WHERE request_id = ? AND status IN ('APPROVED', 'GRANT_FAILED')`

type grantSubject struct {
	status     signoff.Status
	requester  string
	steps      int
	productID  string
	accessRole string
}

func loadSubject(ctx context.Context, tx txQuerier, id string) (grantSubject, error) {
	var g grantSubject
	err := tx.QueryRowContext(ctx, selectGrantSubject, id).Scan(&g.status, &g.requester, &g.steps, &g.productID, &g.accessRole)
	if errors.Is(err, sql.ErrNoRows) {
		return g, signoff.Errorf(signoff.ErrNotFound, "There is no request %s.", id)
	}
	return g, err
}

// Grant grants an APPROVED (or GRANT_FAILED) request's access role to its
// requester after re-verifying the decision record.
func (s *Store) Grant(ctx context.Context, c signoff.GrantCall) (signoff.Status, error) {
	var outcome signoff.Status
	err := s.tx(ctx, func(sqlTx *sql.Tx) error {
		tx := s.prep.in(sqlTx)
		g, err := loadSubject(ctx, tx, c.RequestID)
		if err != nil {
			return err
		}
		if g.status != signoff.StatusApproved && g.status != signoff.StatusGrantFailed {
			return fmt.Errorf("%w: request is %s, not APPROVED", signoff.ErrConflict, g.status)
		}
		ev := signoff.Event{ID: c.EventID, Time: c.At.UTC(), RequestID: c.RequestID, ProductID: g.productID,
			Actor: c.Actor, ActorRole: c.ActorRole}
		head, err := chainHead(ctx, tx, c.RequestID)
		if err != nil {
			return err
		}
		refusal, err := verifyAndGrant(ctx, tx, c, g)
		if err != nil {
			return err
		}
		if refusal != "" {
			outcome, ev.Type, ev.Details = signoff.StatusGrantFailed, signoff.EventGrantFailed, refusal
			if _, err := tx.ExecContext(ctx, markGrantFailed, c.At.UTC(), c.RequestID); err != nil {
				return err
			}
		} else {
			outcome, ev.Type = signoff.StatusGranted, signoff.EventAccessGranted
			ev.Details = fmt.Sprintf("GRANT ROLE %s TO USER %s", g.accessRole, g.requester)
			res, err := tx.ExecContext(ctx, markGranted, c.At.UTC(), c.RequestID)
			if err := oneRow(res, err, "request left APPROVED meanwhile"); err != nil {
				return err
			}
		}
		evs := []signoff.Event{ev}
		signoff.Link(head, evs)
		return writeEvents(ctx, tx, evs...)
	})
	if err != nil {
		return "", fmt.Errorf("sqlite: grant %s: %w", c.RequestID, err)
	}
	return outcome, nil
}

// verifyAndGrant re-verifies the decision record and runs the local GRANT.
// It returns a non-empty refusal when the grant must not or could not happen
// (recorded as GRANT_FAILED), and an error only for engine failures.
func verifyAndGrant(ctx context.Context, tx txQuerier, c signoff.GrantCall, g grantSubject) (string, error) {
	rows, err := tx.QueryContext(ctx, selectDecisionRecord, c.RequestID)
	if err != nil {
		return "", err
	}
	var problems []string
	deciders := map[string]bool{}
	n := 0
	for rows.Next() {
		var step int
		var decision, by string
		if err := rows.Scan(&step, &decision, &by); err != nil {
			rows.Close()
			return "", err
		}
		n++
		switch {
		case decision != string(signoff.DecisionApprove):
			problems = append(problems, fmt.Sprintf("step %d is not approved", step))
		case by == g.requester:
			problems = append(problems, fmt.Sprintf("step %d was decided by the requester", step))
		case deciders[by]:
			problems = append(problems, fmt.Sprintf("%s decided more than one step", by))
		}
		deciders[by] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return "", err
	}
	if n != g.steps {
		problems = append(problems, fmt.Sprintf("%d decisions recorded for %d steps", n, g.steps))
	}
	if len(problems) > 0 {
		return "decision record does not verify: " + strings.Join(problems, "; "), nil
	}
	if err := grantRole(ctx, tx, g.accessRole, g.requester, c.Actor, c.At.UTC()); err != nil {
		if msg, ok := isGrantRefusal(err); ok {
			return msg, nil
		}
		return "", err
	}
	return "", nil
}

const markRevoked = `
UPDATE access_request SET status = 'REVOKED', updated_at = ?
WHERE request_id = ? AND status = 'GRANTED'`

// revokeRole takes the role back unless another of the user's GRANTED
// requests (for another product with the same access role) still justifies it.
const revokeRole = `
DELETE FROM local_user_role WHERE user_name = ?1 AND role_name = ?2
  AND NOT EXISTS (SELECT 1 FROM access_request r JOIN data_product p ON p.product_id = r.product_id
                  WHERE r.requester = ?1 AND p.access_role = ?2 AND r.status = 'GRANTED')`

// Revoke takes a GRANTED request's access role back from its requester.
func (s *Store) Revoke(ctx context.Context, c signoff.GrantCall) error {
	err := s.tx(ctx, func(sqlTx *sql.Tx) error {
		tx := s.prep.in(sqlTx)
		g, err := loadSubject(ctx, tx, c.RequestID)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, markRevoked, c.At.UTC(), c.RequestID)
		if err := oneRow(res, err, "request is not GRANTED"); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, revokeRole, g.requester, g.accessRole); err != nil {
			return err
		}
		head, err := chainHead(ctx, tx, c.RequestID)
		if err != nil {
			return err
		}
		evs := []signoff.Event{{ID: c.EventID, Time: c.At.UTC(), RequestID: c.RequestID,
			ProductID: g.productID, Actor: c.Actor, ActorRole: c.ActorRole, Type: signoff.EventAccessRevoked,
			Comment: c.Reason, Details: fmt.Sprintf("REVOKE ROLE %s FROM USER %s", g.accessRole, g.requester)}}
		signoff.Link(head, evs)
		return writeEvents(ctx, tx, evs...)
	})
	if err != nil {
		return fmt.Errorf("sqlite: revoke %s: %w", c.RequestID, err)
	}
	return nil
}

// oneRow turns an Exec result into ErrConflict unless exactly one row changed.
func oneRow(res sql.Result, err error, why string) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n != 1 {
		return fmt.Errorf("%w: %s", signoff.ErrConflict, why)
	}
	return nil
}

// writeEvents appends events, already linked into their chain, with the
// shared audit statement (which refuses to fork the chain).
func writeEvents(ctx context.Context, tx txQuerier, events ...signoff.Event) error {
	for _, e := range events {
		st := sqlstore.EventStmt(e)
		res, err := tx.ExecContext(ctx, st.SQL, st.Args...)
		if err := oneRow(res, err, st.Why); err != nil {
			return fmt.Errorf("audit %s: %w", e.Type, err)
		}
	}
	return nil
}

// selectChainHead reads the last link of a request's audit chain.
const selectChainHead = `SELECT seq, hash FROM audit_log WHERE request_id = ? ORDER BY seq DESC LIMIT 1`

func chainHead(ctx context.Context, tx txQuerier, requestID string) (signoff.ChainHead, error) {
	var h signoff.ChainHead
	err := tx.QueryRowContext(ctx, selectChainHead, requestID).Scan(&h.Seq, &h.Hash)
	if errors.Is(err, sql.ErrNoRows) {
		return signoff.ChainHead{}, nil
	}
	return h, err
}
