package sqlstore

import (
	"context"
	"database/sql"
	"strconv"
	"strings"

	"github.com/signoff/signoff/internal/signoff"
)

// The notifier's SQL (docs/design.md, "Notifications"): the audit log past
// a cursor becomes one outbox row per event and recipient
// (signoff.NoticeRules, rendered into SQL here), digests gather the notices
// of approvers who asked for one, and the outbox is read. One text for both
// engines, like the actions': the embedded engine runs it in a SQLite
// transaction (internal/sqlite/notify.go), Snowflake's SEND_NOTIFICATIONS
// procedure embeds it (sql/snowflake/03_api.sql), and the tests in
// internal/sqlite hold it to signoff.NoticesFor.
//
// Exactly once per event and recipient, however many notifiers run: each
// run takes NOTIFY_STATE's row lock first (an UPDATE, held to the end of
// the transaction, as the audit lock is), reads the cursor under it, inserts
// only notices not there yet, and moves the cursor on compare-and-set.
// Who holds a role comes from main.role_holder: the local account on the
// embedded engine, SNOWFLAKE.ACCOUNT_USAGE's grants views on Snowflake
// (up to two hours behind: docs/snowflake.md).

// NotifyBatch bounds the audit events one run reads past the cursor, so a
// run's transaction stays short after a long pause; the next run goes on.
const NotifyBatch = 1000

// LockNotify serializes the notifier's runs: the first statement of a run.
const LockNotify = `UPDATE main.notify_state SET locked_at = :now_ts WHERE state_id = 1`

// NotifyWindow is the run's window of the audit log, read under the lock:
// the events after from_seq up to upto_seq, at most NotifyBatch of them.
var NotifyWindow = `
SELECT s.last_seq AS from_seq,
       CASE WHEN h.head_seq > s.last_seq + ` + strconv.Itoa(NotifyBatch) + ` THEN s.last_seq + ` + strconv.Itoa(NotifyBatch) + `
            ELSE h.head_seq END AS upto_seq
FROM main.notify_state s CROSS JOIN (SELECT COALESCE(MAX(seq), 0) AS head_seq FROM main.audit_log) h
WHERE s.state_id = 1`

// AdvanceNotify moves the cursor past the window; it affects one row unless
// another run moved it first (then this run's inserts found their notices
// there already).
const AdvanceNotify = `
UPDATE main.notify_state SET last_seq = :upto_seq WHERE state_id = 1 AND last_seq = :from_seq`

// noticeText renders a rule's text as SQL: literals and the fields'
// expressions joined with ||, newlines as CHAR(10) (both dialects have it).
func noticeText(text string, fields map[string]string) string {
	var parts []string
	lit := func(s string) {
		for i, line := range strings.Split(s, "\n") {
			if i > 0 {
				parts = append(parts, "CHAR(10)")
			}
			if line != "" {
				parts = append(parts, "'"+strings.ReplaceAll(line, "'", "''")+"'")
			}
		}
	}
	for text != "" {
		open := strings.IndexByte(text, '{')
		if open < 0 {
			lit(text)
			break
		}
		end := strings.IndexByte(text[open:], '}')
		name := ""
		if end > 0 {
			name = text[open+1 : open+end]
		}
		expr, ok := fields[name]
		if !ok {
			lit(text[:open+1])
			text = text[open+1:]
			continue
		}
		lit(text[:open])
		parts = append(parts, "COALESCE("+expr+", '')")
		text = text[open+end+1:]
	}
	return strings.Join(parts, " || ")
}

// noticeFields are the SQL of each signoff.NoticeFields field, over the
// enqueue statement's x (the event and recipient), r, p and s.
var noticeFields = map[string]string{
	"product": "COALESCE(p.name, r.product_id)", "request": "x.request_id", "step": "CAST(x.step_no AS VARCHAR)",
	"label": "s.step_label", "actor": "x.actor", "requester": "r.requester", "comment": "x.comment_text",
}

// quoted lists the event types as SQL string literals.
func quoted(types []signoff.EventType) string {
	var out []string
	for _, t := range types {
		out = append(out, "'"+string(t)+"'")
	}
	return strings.Join(out, ", ")
}

// EnqueueNotices writes the notices of the window's events (NoticeRules):
// to the requester, and to every approver of the step an event opened,
// through the step's role or a fallback role the step was escalated to by
// then, while the step is still the request's pending step; never to the
// requester as an approver, nor to who decided another step. Each event
// and recipient get one row: a notice already there is not inserted again.
// Approvers who asked for a daily digest get theirs as DIGEST.
var EnqueueNotices = enqueueNotices()

func enqueueNotices() string {
	var toRequester, toApprovers []signoff.EventType
	var subject, body []string
	for _, rule := range signoff.NoticeRules {
		if rule.To == signoff.ToRequester {
			if rule.Event != signoff.EventStepApproved {
				toRequester = append(toRequester, rule.Event)
			}
		} else {
			toApprovers = append(toApprovers, rule.Event)
		}
		when := "WHEN x.event_type = '" + string(rule.Event) + "' AND x.audience = '" + string(rule.To) + "' THEN "
		subject = append(subject, when+noticeText(rule.Subject, noticeFields))
		body = append(body, when+noticeText(rule.Body, noticeFields))
	}
	return `
INSERT INTO main.notification (notice_id, event_id, seq, request_id, recipient, kind, subject, body, delivery,
                               created_at, attempts)
SELECT x.event_id || ':' || x.recipient, x.event_id, x.seq, x.request_id, x.recipient, x.event_type,
       CASE ` + strings.Join(subject, "\n            ") + ` END,
       CASE ` + strings.Join(body, "\n            ") + ` END,
       CASE WHEN x.audience = 'APPROVERS' AND EXISTS (SELECT 1 FROM main.notify_preference np
                                                       WHERE np.user_name = x.recipient AND np.daily_digest = 1)
            THEN 'DIGEST' ELSE 'NOW' END,
       :now_ts, 0
FROM (
    SELECT e.event_id, e.seq, e.request_id, e.event_type, e.actor, e.comment AS comment_text,
           'REQUESTER' AS audience, q.requester AS recipient, COALESCE(e.step_order, 0) AS step_no
    FROM main.audit_log e JOIN main.access_request q ON q.request_id = e.request_id
    WHERE e.seq > :from_seq AND e.seq <= :upto_seq
      AND (e.event_type IN (` + quoted(toRequester) + `)
           OR (e.event_type = 'STEP_APPROVED' AND e.step_order < q.step_count))
    UNION
    SELECT o.event_id, o.seq, o.request_id, o.event_type, o.actor, o.comment_text,
           'APPROVERS', h.user_name, o.step_no
    FROM (SELECT e.event_id, e.seq, e.request_id, e.event_type, e.actor, e.comment AS comment_text,
                 CASE WHEN e.event_type = 'REQUEST_SUBMITTED' THEN 1
                      WHEN e.event_type = 'STEP_APPROVED' THEN
                          CASE WHEN e.step_order < q.step_count THEN e.step_order + 1 ELSE 0 END
                      ELSE COALESCE(NULLIF(e.step_order, 0), q.current_step) END AS step_no
          FROM main.audit_log e JOIN main.access_request q ON q.request_id = e.request_id
          WHERE e.seq > :from_seq AND e.seq <= :upto_seq
            AND e.event_type IN (` + quoted(toApprovers) + `)) o
    JOIN main.access_request q ON q.request_id = o.request_id
    JOIN (SELECT st.request_id, st.step_order, st.approver_role AS role_name, 0 AS since_seq,
                 st.approver_user AS only_user
          FROM main.request_step st
          UNION ALL
          SELECT esc.request_id, esc.step_order, esc.details, esc.seq, NULL
          FROM main.audit_log esc WHERE esc.event_type = 'STEP_ESCALATED') k
      ON k.request_id = o.request_id AND k.step_order = o.step_no AND k.since_seq <= o.seq
    JOIN main.role_holder h ON h.role_name = k.role_name AND COALESCE(k.only_user, h.user_name) = h.user_name
    WHERE q.status = 'PENDING' AND q.current_step = o.step_no AND h.user_name <> q.requester
      AND NOT EXISTS (SELECT 1 FROM main.request_step d WHERE d.request_id = o.request_id AND d.decided_by = h.user_name)
) x
JOIN main.access_request r ON r.request_id = x.request_id
LEFT JOIN main.data_product p ON p.product_id = r.product_id
LEFT JOIN main.request_step s ON s.request_id = x.request_id AND s.step_order = x.step_no
WHERE NOT EXISTS (SELECT 1 FROM main.notification n WHERE n.event_id = x.event_id AND n.recipient = x.recipient)`
}

// MakeDigests writes one digest for each approver whose DIGEST notices wait
// and who had no digest since :digest_since (a day before the run): at most
// one a day each. :run_id makes the digests' IDs.
var MakeDigests = `
INSERT INTO main.notification (notice_id, event_id, seq, request_id, recipient, kind, subject, body, delivery,
                               created_at, attempts)
SELECT 'digest:' || :run_id || ':' || w.recipient, NULL, NULL, NULL, w.recipient, 'DIGEST',
       ` + noticeText(signoff.DigestSubject, nil) + `,
       ` + noticeText(signoff.DigestBody, map[string]string{"count": "CAST(w.n AS VARCHAR)"}) + `,
       'NOW', :now_ts, 0
FROM (SELECT recipient, COUNT(*) AS n FROM main.notification
      WHERE delivery = 'DIGEST' AND digest_id IS NULL GROUP BY recipient) w
WHERE NOT EXISTS (SELECT 1 FROM main.notification d
                  WHERE d.recipient = w.recipient AND d.kind = 'DIGEST' AND d.created_at > :digest_since)`

// MarkDigested ties the waiting DIGEST notices to the digest this run made
// for their recipient; they count as sent with it.
const MarkDigested = `
UPDATE main.notification SET digest_id = 'digest:' || :run_id || ':' || recipient, sent_at = :now_ts
WHERE delivery = 'DIGEST' AND digest_id IS NULL
  AND recipient IN (SELECT d.recipient FROM main.notification d
                    WHERE d.kind = 'DIGEST' AND d.notice_id = 'digest:' || :run_id || ':' || d.recipient)`

// MarkDelivered is the embedded engine's delivery: its outbox is the
// mailbox, so a message due now is delivered by being there.
const MarkDelivered = `
UPDATE main.notification SET sent_at = :now_ts, attempts = attempts + 1
WHERE delivery = 'NOW' AND sent_at IS NULL`

// SetDigestPreference records a user's choice of a daily digest (1) or a
// message for each step (0): the row is replaced.
const (
	DeleteDigestPreference = `DELETE FROM main.notify_preference WHERE user_name = :actor`
	InsertDigestPreference = `
INSERT INTO main.notify_preference (user_name, daily_digest, updated_at) VALUES (:actor, :daily_digest, :now_ts)`
)

// SelectOutbox reads the outbox, newest first; the recipient filter is
// appended by Outbox.
func SelectOutbox(all bool, n int) string {
	q := `SELECT notice_id, COALESCE(event_id, ''), COALESCE(seq, 0), COALESCE(request_id, ''), recipient, kind,
       subject, body, delivery, COALESCE(digest_id, ''), created_at, sent_at, attempts, COALESCE(last_error, '')
FROM notification`
	if !all {
		q += ` WHERE recipient = ?`
	}
	return q + ` ORDER BY created_at DESC, notice_id DESC` + limit(n)
}

// Outbox returns the outbox's newest notices for recipient ("" for all).
func (s *Store) Outbox(ctx context.Context, recipient string, n int) ([]signoff.Notice, error) {
	var args []any
	if recipient != "" {
		args = append(args, recipient)
	}
	rows, err := s.q.QueryContext(ctx, SelectOutbox(recipient == "", n), args...)
	if err != nil {
		return nil, s.errorf(err, "outbox")
	}
	defer rows.Close()
	var out []signoff.Notice
	for rows.Next() {
		var no signoff.Notice
		var created, sent sql.NullTime
		if err := rows.Scan(&no.ID, &no.EventID, &no.Seq, &no.RequestID, &no.Recipient, &no.Kind, &no.Subject,
			&no.Body, &no.Delivery, &no.DigestID, &created, &sent, &no.Attempts, &no.LastError); err != nil {
			return nil, s.errorf(err, "outbox")
		}
		no.CreatedAt = created.Time.UTC()
		if sent.Valid {
			no.SentAt = sent.Time.UTC()
		}
		out = append(out, no)
	}
	if err := rows.Err(); err != nil {
		return nil, s.errorf(err, "outbox")
	}
	return out, nil
}

// SelectPendingCount counts the approvals queue's requests for a user with
// n approver roles: the same conditions as SelectQueue's, all pages.
func SelectPendingCount(n int) string {
	return `SELECT COUNT(*) FROM access_request r
JOIN request_step cur ON cur.request_id = r.request_id AND cur.step_order = r.current_step
WHERE r.status = 'PENDING'
  AND (cur.approver_role IN (` + placeholders(n) + `) AND COALESCE(cur.approver_user, ?) = ?
       OR cur.escalated_to IN (` + placeholders(n) + `))
  AND r.requester <> ?
  AND NOT EXISTS (SELECT 1 FROM request_step d WHERE d.request_id = r.request_id AND d.decided_by = ?)`
}

// PendingCountArgs are SelectPendingCount's arguments for user with roles:
// a step's role (a manager step's for its manager only), or the fallback
// role it escalated to; then the requester and decider user is not.
func PendingCountArgs(user string, roles []string) []any {
	var args []any
	for _, r := range roles {
		args = append(args, r)
	}
	args = append(args, user, user)
	for _, r := range roles {
		args = append(args, r)
	}
	return append(args, user, user)
}

// PendingCount counts the pending steps user may decide with roles.
func (s *Store) PendingCount(ctx context.Context, user string, roles []string) (int, error) {
	if len(roles) == 0 {
		return 0, nil
	}
	rows, err := s.q.QueryContext(ctx, SelectPendingCount(len(roles)), PendingCountArgs(user, roles)...)
	if err != nil {
		return 0, s.errorf(err, "pending count for %s", user)
	}
	defer rows.Close()
	var n int
	for rows.Next() {
		if err := rows.Scan(&n); err != nil {
			return 0, s.errorf(err, "pending count for %s", user)
		}
	}
	if err := rows.Err(); err != nil {
		return 0, s.errorf(err, "pending count for %s", user)
	}
	return n, nil
}

// SelectDigestPreference reads whether a user asked for a daily digest.
const SelectDigestPreference = `SELECT COUNT(*) FROM notify_preference WHERE user_name = ? AND daily_digest = 1`

// DigestPreference says whether user asked for a daily digest.
func (s *Store) DigestPreference(ctx context.Context, user string) (bool, error) {
	rows, err := s.q.QueryContext(ctx, SelectDigestPreference, user)
	if err != nil {
		return false, s.errorf(err, "digest preference of %s", user)
	}
	defer rows.Close()
	var n int
	for rows.Next() {
		if err := rows.Scan(&n); err != nil {
			return false, s.errorf(err, "digest preference of %s", user)
		}
	}
	if err := rows.Err(); err != nil {
		return false, s.errorf(err, "digest preference of %s", user)
	}
	return n > 0, nil
}

// SelectRoleHolders reads who holds the roles bound as n parameters, from
// role_holder (the local account, or on Snowflake the API view over
// ACCOUNT_USAGE's grants).
func SelectRoleHolders(n int) string {
	return `SELECT role_name, user_name FROM role_holder WHERE role_name IN (` + placeholders(n) + `)
ORDER BY role_name, user_name`
}

// RoleHolders returns who holds each of roles (signoff.Directory).
func (s *Store) RoleHolders(ctx context.Context, roles []string) (signoff.RoleHolders, error) {
	out := signoff.RoleHolders{}
	if len(roles) == 0 {
		return out, nil
	}
	var args []any
	for _, r := range roles {
		args = append(args, r)
	}
	rows, err := s.q.QueryContext(ctx, SelectRoleHolders(len(roles)), args...)
	if err != nil {
		return nil, s.errorf(err, "role holders")
	}
	defer rows.Close()
	for rows.Next() {
		var role, user string
		if err := rows.Scan(&role, &user); err != nil {
			return nil, s.errorf(err, "role holders")
		}
		out[role] = append(out[role], user)
	}
	if err := rows.Err(); err != nil {
		return nil, s.errorf(err, "role holders")
	}
	return out, nil
}
