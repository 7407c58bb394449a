package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/signoff/signoff/internal/signoff"
)

// The audit ledger's SQL (signoff/ledger.go): appending an event at the head
// of the one chain over the whole log, the chain snapshot a submission
// records, and the verifier. Like the actions' statements they are one
// text for both engines: the embedded engine runs them on SQLite, the
// Snowflake procedures embed the writers, and sql/snowflake/05_verify_audit.sql
// is the verifier with Snowflake's digest source. The store contract suite
// and the tampering tests therefore test what Snowflake runs.

// LockAudit serializes appends to the audit log: every action takes this
// row's lock before it reads the ledger's head (LedgerHead), and holds it
// until its transaction ends, so two actions never link to the same head.
// It is taken last, after the action's other writes, so locks are always
// taken in the same order and cannot deadlock. On Snowflake an UPDATE holds
// its lock until the transaction ends (DOCS/sql-reference/transactions,
// "Resource locking"); SQLite has one writer anyway.
const LockAudit = `UPDATE main.audit_lock SET locked_at = :now_ts WHERE lock_id = 1`

// LedgerHead is the last link of the whole audit log (seq 0 and an empty
// hash before the first event), read under the audit lock.
const LedgerHead = `
SELECT COALESCE((SELECT MAX(seq) FROM main.audit_log), 0) AS ev_seq,
       COALESCE((SELECT hash FROM main.audit_log ORDER BY seq DESC LIMIT 1), '') AS ev_prev_hash`

// AppendEvent appends one audit event at the head of the ledger: :ev_seq is
// the head's seq plus one and :ev_hash the event's hash over :ev_prev_hash
// (the engine computes it: signoff.Event.ComputeHash, or Snowflake's
// AUDIT_HASH). It inserts nothing if the head moved on, so the ledger never
// forks, or if :event_id is taken (standard tables do not enforce keys, and
// callers of the API choose the IDs); the statement must affect exactly one
// row. Empty strings and step 0 are stored as NULL, as the hash reads them:
// a directory change belongs to no request (request_id NULL).
const AppendEvent = `
INSERT INTO main.audit_log (event_id, event_time, request_id, product_id, actor, actor_role, event_type,
                            step_order, decision, comment, details, seq, prev_hash, hash)
SELECT :event_id, :now_ts, NULLIF(:request_id, ''), NULLIF(:product_id, ''), :actor, NULLIF(:actor_role, ''), :event_type,
       NULLIF(:ev_step, 0), NULLIF(:ev_decision, ''), NULLIF(:ev_comment, ''), NULLIF(:ev_details, ''),
       :ev_seq, :ev_prev_hash, :ev_hash
WHERE NOT EXISTS (SELECT 1 FROM main.audit_log WHERE seq >= :ev_seq)
  AND NOT EXISTS (SELECT 1 FROM main.audit_log WHERE event_id = :event_id)`

// StepsSnapshot is SQL for signoff.ChainSnapshot of the rows it aggregates,
// which have the columns step_order, approver_role and step_label: one
// position at a time, up to signoff.MaxChainSteps, so that it needs neither
// recursion nor string aggregation, which the two dialects spell
// differently. LENGTH counts characters in both, and a length cast to text
// is its digits (DOCS/sql-reference/functions/length,
// DOCS/sql-reference/data-type-conversion). A submission records it
// (ChainSnapshot), the verifier recomputes it, and Snowflake's PREFLIGHT
// runs it over signoff.SnapshotSample: one text, so the preflight checks
// what submissions run.
func StepsSnapshot() string {
	var parts []string
	for k := 1; k <= signoff.MaxChainSteps; k++ {
		parts = append(parts, fmt.Sprintf(`COALESCE(MAX(CASE WHEN step_order = %d THEN
                CAST(LENGTH(approver_role) AS VARCHAR) || ':' || approver_role ||
                CAST(LENGTH(step_label) AS VARCHAR) || ':' || step_label END), '')`, k))
	}
	return strings.Join(parts, " ||\n       ")
}

// StepsPolicy is SQL for the escalation policy of the steps it aggregates
// (columns step_order, deadline_hours, fallback_role, approver_user), one
// position at a time as StepsSnapshot: "<deadline hours>:<fallback role>;"
// per step, and for a manager step "@<len>:<manager>;" after it
// (signoff.StepPolicy). A submission records it with the chain
// (signoff.SubmissionDetails), so that a step's deadline, fallback role and
// manager, which decide who may decide it later, are in the hash chain too.
// A step without a manager writes what it wrote before manager steps
// existed, so older submissions verify as they did.
func StepsPolicy() string {
	var parts []string
	for k := 1; k <= signoff.MaxChainSteps; k++ {
		parts = append(parts, fmt.Sprintf(`COALESCE(MAX(CASE WHEN step_order = %d THEN
                CAST(COALESCE(deadline_hours, 0) AS VARCHAR) || ':' || COALESCE(fallback_role, '') || ';' ||
                COALESCE('@' || CAST(LENGTH(approver_user) AS VARCHAR) || ':' || approver_user || ';', '') END), '')`, k))
	}
	return strings.Join(parts, " ||\n       ")
}

// ChainSnapshot is the chain the request :request_id was submitted with, as
// its REQUEST_SUBMITTED event records it (signoff.ChainSnapshot), and the
// steps' escalation policy (StepsPolicy), read from the steps the
// submission just copied.
var ChainSnapshot = `
SELECT ` + StepsSnapshot() + ` AS snapshot,
       ` + StepsPolicy() + ` AS policy
FROM main.request_step WHERE request_id = :request_id`

// SelectLedgerHead reads the head of the audit log, for digests.
const SelectLedgerHead = `
SELECT COALESCE(MAX(seq), 0), COALESCE((SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1), '') FROM audit_log`

// SelectLedgerHash reads the hash of the event at a position, to check the
// newest digest quickly.
const SelectLedgerHash = `SELECT hash FROM audit_log WHERE seq = ?`

// SelectLedgerSize counts what a verification covers.
const SelectLedgerSize = `SELECT (SELECT COUNT(*) FROM access_request), (SELECT COUNT(*) FROM audit_log)`

// VerifyLedger is the verifier: one statement that reports every problem as
// a row (request_id, seq, event_id, problem, field, stored, expected) in the
// shape of signoff.LedgerProblem; no rows means the log verifies. digests is
// a subquery yielding the digests to check against as rows (seq, hash).
//
// What it checks, on the whole log:
//   - the ledger: every event's hash recomputes (AUDIT_HASH), positions run
//     1, 2, … without gaps or repeats, and each event links to the one
//     before it;
//   - the digests: each one's event is still there, with its hash;
//   - requests and events: every request has events and one row, every
//     event and every step row a request;
//   - the workflow's rules, replayed: each request's events start with its
//     submission and follow the lifecycle, decisions come step by step, by
//     someone other than the requester, one step per person, each with its
//     step's role;
//   - the state, derived from the events: the request row (requester,
//     product, reason, status, current step, step count, times) and every
//     step row (its place in the chain as the submission recorded it, and
//     its decision, decider, role, comment and time) must be what the events
//     say.
//
// sub and expect are SELECT DISTINCT, though their rows are distinct
// already (one per request): SQLite would otherwise inline them into each of
// the checks that join them, recomputing ev for every one, which made the
// verification grow with the square of the log (110 s for 44k events, 3 s
// with DISTINCT). SQLite does not flatten a DISTINCT subquery into a join
// and computes it once; Snowflake plans either the same way.
//
// Read through the API views on Snowflake and the tables on SQLite, by the
// same unqualified names. AUDIT_HASH is Snowflake's function
// (03_api.sql), and on the embedded engine a Go function registered on
// every connection (internal/sqlite).
func VerifyLedger(digests string) string {
	var checks []string
	add := func(s string) { checks = append(checks, strings.TrimSpace(s)) }

	// The ledger.
	add(`SELECT request_id, seq, event_id, 'edited', 'hash', hash, recomputed FROM ev
 WHERE hash IS NULL OR hash <> recomputed`)
	add(`SELECT request_id, seq, event_id, 'missing', 'seq', CAST(seq AS VARCHAR), CAST(COALESCE(prev_seq, 0) + 1 AS VARCHAR)
  FROM ev WHERE seq > COALESCE(prev_seq, 0) + 1`)
	add(`SELECT request_id, seq, event_id, 'reordered', 'seq', CAST(seq AS VARCHAR), CAST(COALESCE(prev_seq, 0) + 1 AS VARCHAR)
  FROM ev WHERE seq IS NULL OR seq <= COALESCE(prev_seq, 0)`)
	add(`SELECT request_id, seq, event_id, 'reordered', 'prev_hash', COALESCE(prev_hash, ''), COALESCE(prev_row_hash, '')
  FROM ev WHERE seq = COALESCE(prev_seq, 0) + 1 AND COALESCE(prev_hash, '') <> COALESCE(prev_row_hash, '')`)

	// The digests.
	add(`SELECT e.request_id, d.seq, e.event_id, 'digest', CASE WHEN e.seq IS NULL THEN 'event' ELSE 'hash' END,
       COALESCE(e.hash, ''), d.hash
  FROM dg d LEFT JOIN ev e ON e.seq = d.seq
 WHERE e.seq IS NULL OR e.hash <> d.hash`)

	// Requests and events.
	add(`SELECT r.request_id, 0, '', 'missing', 'events', '', ''
  FROM access_request r LEFT JOIN per p ON p.request_id = r.request_id WHERE p.request_id IS NULL`)
	add(`SELECT e.request_id, MIN(e.seq), MIN(e.event_id), 'orphan', 'request', COALESCE(e.request_id, ''), ''
  FROM ev e LEFT JOIN access_request r ON r.request_id = e.request_id
 WHERE r.request_id IS NULL AND e.request_id IS NOT NULL GROUP BY e.request_id`)
	// Directory changes and product saves, and only they, belong to no
	// request. A directory change is an admin's, about one user (comment),
	// never naming them their own manager (details).
	add(`SELECT COALESCE(e.request_id, ''), e.seq, e.event_id, 'illegal', 'event_type', e.event_type,
       CASE WHEN e.request_id IS NULL THEN 'an event of a request' ELSE 'an event of no request' END
  FROM ev e WHERE (e.request_id IS NULL) <> (e.event_type IN ('` + string(signoff.EventDirectoryChanged) + `', '` +
		string(signoff.EventProductSaved) + `', '` + string(signoff.EventPolicySaved) + `'))`)
	add(`SELECT '', e.seq, e.event_id, 'illegal', 'actor_role', COALESCE(e.actor_role, ''), '` + signoff.RoleAdmin + `'
  FROM ev e WHERE e.event_type = '` + string(signoff.EventDirectoryChanged) + `'
   AND (COALESCE(e.actor_role, '') <> '` + signoff.RoleAdmin + `' OR COALESCE(e.comment, '') = '' OR e.details = e.comment)`)

	// Product saves (signoff/products.go) belong to no request: each
	// PRODUCT_SAVED event and its product's version row vouch for each
	// other (its details are the version and the definition's hash), and
	// the hash must be the definition's. So a version row edited, added or
	// removed on its own, or an event without its version, is reported.
	add(`SELECT e.request_id, e.seq, e.event_id, 'illegal', 'request_id', e.request_id, ''
  FROM ev e WHERE e.event_type = 'PRODUCT_SAVED' AND COALESCE(e.request_id, '') <> ''`)
	add(`SELECT e.request_id, e.seq, e.event_id, 'missing', 'product_version', '',
       COALESCE(e.product_id, '') || ' ' || COALESCE(e.details, '')
  FROM ev e LEFT JOIN pv ON pv.product_id = e.product_id AND pv.details = e.details
 WHERE e.event_type = 'PRODUCT_SAVED' AND pv.product_id IS NULL`)
	add(`SELECT '', 0, '', 'orphan', 'product_version', pv.product_id || ' ' || COALESCE(pv.details, ''), ''
  FROM pv LEFT JOIN ev e ON e.event_type = 'PRODUCT_SAVED' AND e.product_id = pv.product_id AND e.details = pv.details
 WHERE e.event_id IS NULL`)
	add(`SELECT '', 0, '', 'edited', 'product_version ' || pv.product_id || ' ' || CAST(pv.version AS VARCHAR) || ' definition',
       COALESCE(pv.definition_hash, ''), COALESCE(SHA2(pv.definition, 256), '')
  FROM pv WHERE COALESCE(pv.definition_hash, '') <> COALESCE(SHA2(pv.definition, 256), '-')`)
	add(`SELECT e.request_id, e.seq, e.event_id, 'inconsistent', 'product_version ' || pv.product_id || ' ' || CAST(pv.version AS VARCHAR) || ' saved',
       COALESCE(pv.saved_by, '') || ' at ' || COALESCE(CAST(pv.saved_at AS VARCHAR), ''),
       e.actor || ' at ' || CAST(e.event_time AS VARCHAR)
  FROM pv JOIN ev e ON e.event_type = 'PRODUCT_SAVED' AND e.product_id = pv.product_id AND e.details = pv.details
 WHERE COALESCE(pv.saved_by, '') <> e.actor
    OR CASE WHEN pv.saved_at = e.event_time THEN 0 ELSE 1 END = 1`)
	add(`SELECT '', 0, '', 'inconsistent', 'product_version rows', product_id || ' ' || CAST(version AS VARCHAR), '1'
  FROM pv GROUP BY product_id, version HAVING COUNT(*) > 1`)
	// The catalog row and rules of a product saved through Signoff are
	// what its latest save wrote: their fingerprint's hash is the one the
	// version (and so its event) recorded.
	add(`SELECT '', 0, '', 'inconsistent', 'catalog ' || pv.product_id, COALESCE(SHA2(cf.fingerprint, 256), ''),
       COALESCE(pv.catalog_hash, '')
  FROM pv JOIN (SELECT product_id, MAX(version) AS version FROM pv GROUP BY product_id) lv
         ON lv.product_id = pv.product_id AND lv.version = pv.version
  LEFT JOIN (` + CatalogFingerprint("") + `) cf ON cf.product_id = pv.product_id
 WHERE COALESCE(SHA2(cf.fingerprint, 256), '') <> COALESCE(pv.catalog_hash, '-')`)
	// Policy saves (signoff/policy.go) are an admin's, of no product, and
	// the chain policy's rows are what the latest one wrote: their
	// fingerprint's hash is the one its details recorded. Before the first
	// save (a policy installed otherwise) there is nothing to compare.
	add(`SELECT '', e.seq, e.event_id, 'illegal', 'actor_role', COALESCE(e.actor_role, '') || ' ' || COALESCE(e.product_id, ''), '` + signoff.RoleAdmin + `'
  FROM ev e WHERE e.event_type = '` + string(signoff.EventPolicySaved) + `'
   AND (COALESCE(e.actor_role, '') <> '` + signoff.RoleAdmin + `' OR e.product_id IS NOT NULL)`)
	add(`SELECT '', e.seq, e.event_id, 'inconsistent', 'chain_policy', COALESCE(` + PolicyDetails + `, ''), COALESCE(e.details, '')
  FROM ev e CROSS JOIN (` + PolicyFingerprint("") + `) pf
 WHERE e.event_type = '` + string(signoff.EventPolicySaved) + `'
   AND e.seq = (SELECT MAX(x.seq) FROM ev x WHERE x.event_type = '` + string(signoff.EventPolicySaved) + `')
   AND COALESCE(` + PolicyDetails + `, '') <> COALESCE(e.details, '-')`)
	// Step rows need a request too: the checks below start from requests,
	// so steps of none would be checked by nothing.
	add(`SELECT st.request_id, 0, '', 'orphan', 'steps', st.request_id, ''
  FROM request_step st LEFT JOIN access_request r ON r.request_id = st.request_id
 WHERE r.request_id IS NULL GROUP BY st.request_id`)
	// A request is one row: a copy of it (Snowflake enforces no key) would
	// agree with the events as well as the original does.
	add(`SELECT request_id, 0, '', 'inconsistent', 'rows', CAST(COUNT(*) AS VARCHAR), '1'
  FROM access_request GROUP BY request_id HAVING COUNT(*) > 1`)

	// The rules, replayed event by event (on events of existing requests).
	// Transitions follow the one before; the scheduler's messages (which
	// change no status) must come while the request is in the state they
	// are about (st is the transition that set it).
	add(`SELECT e.request_id, e.seq, e.event_id, 'illegal', 'event_type', COALESCE(e.prev_type, ''), e.event_type
  FROM ev e JOIN access_request r ON r.request_id = e.request_id
 WHERE e.msg = 0 AND NOT (
       (e.event_type = 'REQUEST_SUBMITTED' AND COALESCE(e.prev_type, '') = '')
    OR (e.event_type IN ('STEP_APPROVED', 'STEP_REJECTED', 'CHANGES_REQUESTED')
        AND COALESCE(e.prev_type, '') IN ('REQUEST_SUBMITTED', 'STEP_APPROVED', 'REQUEST_RESUBMITTED')
        AND e.approvals_before < r.step_count)
    OR (e.event_type IN ('REQUEST_WITHDRAWN', 'REQUEST_EXPIRED')
        AND COALESCE(e.prev_type, '') IN ('REQUEST_SUBMITTED', 'STEP_APPROVED', 'REQUEST_RESUBMITTED', 'CHANGES_REQUESTED')
        AND e.approvals_before < r.step_count)
    OR (e.event_type = 'REQUEST_RESUBMITTED' AND COALESCE(e.prev_type, '') = 'CHANGES_REQUESTED')
    OR (e.event_type = 'REQUEST_APPROVED' AND COALESCE(e.prev_type, '') = 'STEP_APPROVED' AND e.approvals_before = r.step_count)
    OR (e.event_type IN ('ACCESS_GRANTED', 'GRANT_FAILED') AND COALESCE(e.prev_type, '') IN ('REQUEST_APPROVED', 'GRANT_FAILED'))
    OR (e.event_type IN ('ACCESS_REVOKED', 'ACCESS_EXPIRED') AND COALESCE(e.prev_type, '') = 'ACCESS_GRANTED'))`)
	add(`SELECT m.request_id, m.seq, m.event_id, 'illegal', 'event_type', COALESCE(t.event_type, ''), m.event_type
  FROM ev m LEFT JOIN ev t ON t.request_id = m.request_id AND t.msg = 0 AND t.tn = m.tn
 WHERE m.msg = 1 AND NOT (
       (m.event_type IN ('STEP_REMINDED', 'STEP_ESCALATED')
        AND COALESCE(t.event_type, '') IN ('REQUEST_SUBMITTED', 'STEP_APPROVED', 'REQUEST_RESUBMITTED')
        AND COALESCE(m.step_order, 0) = t.approvals_before + CASE WHEN t.event_type = 'STEP_APPROVED' THEN 2 ELSE 1 END)
    OR (m.event_type IN ('EXPIRY_REMINDED', 'REVIEW_KEPT') AND COALESCE(t.event_type, '') = 'ACCESS_GRANTED'))`)
	// The scheduler's events are due when they happen: an escalation goes
	// to the step's fallback role (which the submission recorded), once,
	// and for a deadline only after twice it passed; a step's reminder
	// after its deadline; access expires at its end, and is reminded of
	// once. (An escalation because nobody could decide depends on who held
	// the roles then, which no event records.)
	add(`SELECT m.request_id, m.seq, m.event_id, 'illegal', 'details', COALESCE(m.details, ''), COALESCE(st.fallback_role, '')
  FROM ev m LEFT JOIN request_step st ON st.request_id = m.request_id AND st.step_order = m.step_order
 WHERE m.event_type = 'STEP_ESCALATED' AND COALESCE(m.details, '') <> COALESCE(st.fallback_role, '-')`)
	add(`SELECT m.request_id, m.seq, m.event_id, 'illegal', 'event_type', 'STEP_ESCALATED', 'once per step'
  FROM ev m WHERE m.event_type = 'STEP_ESCALATED' AND m.nth > 1`)
	add(`SELECT m.request_id, m.seq, m.event_id, 'illegal', 'event_time', CAST(m.event_time AS VARCHAR),
       'after ' || CAST(CASE WHEN m.event_type = 'STEP_REMINDED' THEN 1 ELSE 2 END AS VARCHAR) || ' times the step''s deadline'
  FROM ev m JOIN ev t ON t.request_id = m.request_id AND t.msg = 0 AND t.tn = m.tn
  LEFT JOIN request_step st ON st.request_id = m.request_id AND st.step_order = m.step_order
 WHERE (m.event_type = 'STEP_REMINDED' OR m.event_type = 'STEP_ESCALATED' AND m.comment = ` + sqlString(signoff.EscalationWhy("deadline")) + `)
   AND CASE WHEN st.deadline_hours > 0
             AND m.event_time >= ADD_HOURS(t.event_time, CASE WHEN m.event_type = 'STEP_REMINDED' THEN 1 ELSE 2 END * st.deadline_hours)
            THEN 0 ELSE 1 END = 1`)
	add(`SELECT e.request_id, e.seq, e.event_id, 'illegal', 'event_time', CAST(e.event_time AS VARCHAR), 'at or after the access''s end'
  FROM ev e JOIN access_request r ON r.request_id = e.request_id
 WHERE e.event_type = 'ACCESS_EXPIRED' AND CASE WHEN e.event_time >= r.expires_at THEN 0 ELSE 1 END = 1`)
	add(`SELECT e.request_id, e.seq, e.event_id, 'illegal', 'event_type', 'EXPIRY_REMINDED', 'once'
  FROM ev e WHERE e.event_type = 'EXPIRY_REMINDED' AND e.nth > 1`)
	// The scheduler's events are the system's, and only they are.
	add(`SELECT e.request_id, e.seq, e.event_id, 'illegal', 'actor', e.actor,
       CASE WHEN e.event_type IN (` + systemEvents + `) THEN '` + signoff.SystemActor + `' ELSE 'a person' END
  FROM ev e
 WHERE (e.event_type IN (` + systemEvents + `)) <> (e.actor = '` + signoff.SystemActor + `')`)
	add(`SELECT e.request_id, e.seq, e.event_id, 'illegal', 'product_id', COALESCE(e.product_id, ''), r.product_id
  FROM ev e JOIN access_request r ON r.request_id = e.request_id
 WHERE COALESCE(e.product_id, '') <> r.product_id`)
	add(`SELECT e.request_id, e.seq, e.event_id, 'illegal', 'step_order', CAST(COALESCE(e.step_order, 0) AS VARCHAR),
       CAST(e.approvals_before + 1 AS VARCHAR)
  FROM ev e WHERE e.event_type IN ('STEP_APPROVED', 'STEP_REJECTED', 'CHANGES_REQUESTED', 'REQUEST_RESUBMITTED')
   AND COALESCE(e.step_order, 0) <> e.approvals_before + 1`)
	add(`SELECT e.request_id, e.seq, e.event_id, 'illegal', 'actor', e.actor, 'they made the request'
  FROM ev e JOIN sub s ON s.request_id = e.request_id
 WHERE e.event_type IN ('STEP_APPROVED', 'STEP_REJECTED', 'CHANGES_REQUESTED') AND e.actor = s.requester`)
	add(`SELECT e.request_id, e.seq, e.event_id, 'illegal', 'actor', e.actor, 'only the requester can answer'
  FROM ev e JOIN sub s ON s.request_id = e.request_id
 WHERE e.event_type = 'REQUEST_RESUBMITTED' AND e.actor <> s.requester`)
	add(`SELECT e.request_id, e.seq, e.event_id, 'illegal', 'actor', e.actor, 'they decided another step of this request'
  FROM ev e WHERE e.event_type IN ('STEP_APPROVED', 'STEP_REJECTED') AND e.decisions_by_actor > 1`)
	// A manager step is its manager's (recorded at submit, which the
	// submission's policy pins) to decide, or, once escalated, the
	// fallback role's.
	add(`SELECT e.request_id, e.seq, e.event_id, 'illegal', 'actor', e.actor,
       'the step is for ' || st.approver_user || ', the requester''s manager, to decide'
  FROM ev e JOIN request_step st ON st.request_id = e.request_id AND st.step_order = e.step_order
 WHERE e.event_type IN ('STEP_APPROVED', 'STEP_REJECTED', 'CHANGES_REQUESTED')
   AND st.approver_user IS NOT NULL AND e.actor <> st.approver_user
   AND NOT EXISTS (SELECT 1 FROM esc x WHERE x.request_id = e.request_id AND x.step_order = e.step_order
                     AND x.seq < e.seq AND x.details = e.actor_role)`)
	add(`SELECT e.request_id, e.seq, e.event_id, 'illegal', 'actor', e.actor, 'only the requester can withdraw'
  FROM ev e JOIN sub s ON s.request_id = e.request_id
 WHERE e.event_type = 'REQUEST_WITHDRAWN' AND e.actor <> s.requester`)
	// A decision is made with the step's role, or with the fallback role
	// the step escalated to before it (the escalation's event names it).
	add(`SELECT e.request_id, e.seq, e.event_id, 'illegal', 'actor_role', COALESCE(e.actor_role, ''), COALESCE(st.approver_role, '')
  FROM ev e LEFT JOIN request_step st ON st.request_id = e.request_id AND st.step_order = e.step_order
 WHERE e.event_type IN ('STEP_APPROVED', 'STEP_REJECTED', 'CHANGES_REQUESTED')
   AND COALESCE(e.actor_role, '') <> COALESCE(st.approver_role, '')
   AND NOT EXISTS (SELECT 1 FROM esc x WHERE x.request_id = e.request_id AND x.step_order = e.step_order
                     AND x.seq < e.seq AND x.details = e.actor_role)`)
	add(`SELECT e.request_id, e.seq, e.event_id, 'illegal', 'comment', '', 'a question for the requester'
  FROM ev e WHERE e.event_type = 'CHANGES_REQUESTED' AND COALESCE(TRIM(e.comment), '') = ''`)
	add(`SELECT e.request_id, e.seq, e.event_id, 'illegal', 'decision', COALESCE(e.decision, ''),
       CASE e.event_type WHEN 'STEP_APPROVED' THEN 'APPROVED' ELSE 'REJECTED' END
  FROM ev e WHERE e.event_type IN ('STEP_APPROVED', 'STEP_REJECTED')
   AND COALESCE(e.decision, '') <> CASE e.event_type WHEN 'STEP_APPROVED' THEN 'APPROVED' ELSE 'REJECTED' END`)
	add(`SELECT e.request_id, e.seq, e.event_id, 'illegal', 'comment', '', 'a reason for the rejection'
  FROM ev e WHERE e.event_type = 'STEP_REJECTED' AND COALESCE(TRIM(e.comment), '') = ''`)

	// Access reviews (reviews.go): what the reviews' rows say was decided
	// and the events must agree.
	for _, c := range reviewChecks() {
		add(c)
	}

	// The request row, derived from the events. The submission records the
	// duration asked, the request extended, the steps' policy and the
	// chain (signoff.SubmissionDetails).
	submission := "'days=' || CAST(r.asked_days AS VARCHAR) || ';' || COALESCE('extends=' || r.extends_request_id || ';', '') || " +
		"'steps=' || COALESCE(k.policy, '') || '|' || COALESCE(k.snapshot, '')"
	derived := []struct{ field, stored, expected, differ string }{
		{"requester", "r.requester", "s.requester", "r.requester <> s.requester"},
		{"product_id", "r.product_id", "s.product_id", "r.product_id <> COALESCE(s.product_id, '')"},
		{"business_reason", "r.business_reason", "COALESCE(x.reason, s.reason, '')", "r.business_reason <> COALESCE(x.reason, s.reason, '')"},
		{"status", "r.status", "x.status", "r.status <> COALESCE(x.status, '')"},
		{"current_step", "CAST(r.current_step AS VARCHAR)", "CAST(x.current_step AS VARCHAR)", "r.current_step <> x.current_step"},
		{"step_count", "CAST(r.step_count AS VARCHAR)", "CAST(COALESCE(k.n, 0) AS VARCHAR)", "r.step_count <> COALESCE(k.n, 0)"},
		{"created_at", "CAST(r.created_at AS VARCHAR)", "CAST(s.created_at AS VARCHAR)", "r.created_at <> s.created_at"},
		{"updated_at", "CAST(r.updated_at AS VARCHAR)", "CAST(x.last_time AS VARCHAR)", "r.updated_at <> x.last_time"},
		// The submission records the duration asked, then the chain.
		{"steps", submission, "COALESCE(s.snapshot, '')", submission + " <> COALESCE(s.snapshot, '') " +
			// Submissions from before durations existed recorded the
			// chain alone, and were for permanent access, with no
			// deadlines, fallback roles or extension.
			"AND NOT (r.asked_days = 0 AND COALESCE(k.snapshot, '') = COALESCE(s.snapshot, '') " +
			"AND r.extends_request_id IS NULL AND COALESCE(k.policy, '') = " + legacyPolicy + ")"},
		// An approval for a shorter duration records it; the last one holds.
		{"duration_days", "'days=' || CAST(r.duration_days AS VARCHAR) || ';'",
			"COALESCE(x.days, 'days=' || CAST(r.asked_days AS VARCHAR) || ';')",
			"'days=' || CAST(r.duration_days AS VARCHAR) || ';' <> COALESCE(x.days, 'days=' || CAST(r.asked_days AS VARCHAR) || ';') " +
				// Compared as text above, so a number stored as other than a
				// number (SQLite keeps a BLOB '0' where 0 was) is caught here.
				"OR r.duration_days <> CAST(CAST(r.duration_days AS VARCHAR) AS INTEGER) " +
				"OR r.asked_days <> CAST(CAST(r.asked_days AS VARCHAR) AS INTEGER)"},
		// Time-bound access ends its duration after the grant.
		{"expires_at", "COALESCE(CAST(r.expires_at AS VARCHAR), '')",
			"COALESCE(CAST(ADD_HOURS(x.granted_at, 24 * r.duration_days) AS VARCHAR), '')",
			"CASE WHEN x.granted_at IS NULL OR r.duration_days = 0 THEN CASE WHEN r.expires_at IS NULL THEN 0 ELSE 1 END " +
				"WHEN r.expires_at = ADD_HOURS(x.granted_at, 24 * r.duration_days) THEN 0 ELSE 1 END = 1"},
		{"step_order", "CAST(COALESCE(k.lo, 0) AS VARCHAR) || ' to ' || CAST(COALESCE(k.hi, 0) AS VARCHAR) || ', ' || CAST(COALESCE(k.orders, 0) AS VARCHAR) || ' distinct'",
			"'1 to ' || CAST(COALESCE(k.n, 0) AS VARCHAR) || ', each once'",
			"COALESCE(k.n, 0) > 0 AND (k.lo <> 1 OR k.hi <> k.n OR k.orders <> k.n)"},
	}
	for _, d := range derived {
		add(fmt.Sprintf(`SELECT r.request_id, 0, '', 'inconsistent', '%s', %s, %s
  FROM access_request r JOIN sub s ON s.request_id = r.request_id JOIN expect x ON x.request_id = r.request_id
  LEFT JOIN steps k ON k.request_id = r.request_id
 WHERE %s`, d.field, d.stored, d.expected, d.differ))
	}

	// A step's role and label are text. On SQLite a BLOB of the same bytes
	// builds the same snapshot, yet matches no role: a pending step would
	// leave every approver's queue unseen. (Snowflake's VARCHAR holds
	// nothing else; there these never report.)
	for _, c := range []string{"approver_role", "step_label", "fallback_role", "escalated_to", "approver_user"} {
		add(fmt.Sprintf(`SELECT st.request_id, 0, '', 'inconsistent', 'step ' || CAST(st.step_order AS VARCHAR) || ' %[1]s',
       'binary', 'text'
  FROM request_step st WHERE st.%[1]s <> CAST(st.%[1]s AS VARCHAR)`, c))
	}
	add(`SELECT r.request_id, 0, '', 'inconsistent', 'extends_request_id', 'binary', 'text'
  FROM access_request r WHERE r.extends_request_id <> CAST(r.extends_request_id AS VARCHAR)`)
	// Likewise a step's numbers, which the verifier compares as text: a
	// BLOB '48' reads as 48 there, yet is no number.
	for _, c := range []string{"deadline_hours", "approved_days"} {
		add(fmt.Sprintf(`SELECT st.request_id, 0, '', 'inconsistent', 'step ' || CAST(st.step_order AS VARCHAR) || ' %[1]s',
       'not a number', 'a number'
  FROM request_step st WHERE st.%[1]s <> CAST(CAST(st.%[1]s AS VARCHAR) AS INTEGER)`, c))
	}

	// Every step row's decision, derived from its decision event (or none).
	stepFields := []struct{ field, stored, expected string }{
		{"decision", "COALESCE(st.decision, '')",
			"COALESCE(CASE d.event_type WHEN 'STEP_APPROVED' THEN 'APPROVED' WHEN 'STEP_REJECTED' THEN 'REJECTED' END, '')"},
		{"decided_by", "COALESCE(st.decided_by, '')", "COALESCE(d.actor, '')"},
		{"acting_role", "COALESCE(st.acting_role, '')", "COALESCE(d.actor_role, '')"},
		{"comment", "COALESCE(st.comment, '')", "COALESCE(d.comment, '')"},
		{"decided_at", "COALESCE(CAST(st.decided_at AS VARCHAR), '')", "COALESCE(CAST(d.event_time AS VARCHAR), '')"},
		{"approved_days", "COALESCE('days=' || CAST(st.approved_days AS VARCHAR) || ';', '')", "COALESCE(d.details, '')"},
		{"escalated_to", "COALESCE(st.escalated_to, '') || CASE WHEN st.escalated_to <> COALESCE(st.fallback_role, '') THEN ' (not its fallback role)' ELSE '' END",
			"COALESCE(x.details, '')"},
	}
	for _, f := range stepFields {
		differ := f.stored + " <> " + f.expected
		if f.field == "decided_at" { // compared as times, shown as text
			differ = "CASE WHEN st.decided_at IS NULL AND d.event_time IS NULL THEN 0 WHEN st.decided_at = d.event_time THEN 0 ELSE 1 END = 1"
		}
		add(fmt.Sprintf(`SELECT st.request_id, COALESCE(d.seq, 0), COALESCE(d.event_id, ''), 'inconsistent',
       'step ' || CAST(st.step_order AS VARCHAR) || ' %s', %s, %s
  FROM request_step st JOIN sub s ON s.request_id = st.request_id
  LEFT JOIN ev d ON d.request_id = st.request_id AND d.step_order = st.step_order
                AND d.event_type IN ('STEP_APPROVED', 'STEP_REJECTED')
  LEFT JOIN esc x ON x.request_id = st.request_id AND x.step_order = st.step_order
 WHERE %s`, f.field, f.stored, f.expected, differ))
	}

	// The directory, derived from its events: each user's row is what
	// their last DIRECTORY_CHANGED says (no row once it removed the
	// manager), and one row per user.
	add(`SELECT '', COALESCE(d.seq, 0), '', 'inconsistent', 'manager of ' || u.user_name, u.manager_name,
       COALESCE(d.manager_name, '')
  FROM user_manager u LEFT JOIN lastdir d ON d.user_name = u.user_name
 WHERE u.manager_name <> COALESCE(d.manager_name, '')`)
	add(`SELECT '', d.seq, '', 'inconsistent', 'manager of ' || d.user_name, '', d.manager_name
  FROM lastdir d
 WHERE d.manager_name IS NOT NULL AND NOT EXISTS (SELECT 1 FROM user_manager u WHERE u.user_name = d.user_name)`)
	add(`SELECT '', 0, '', 'inconsistent', 'directory rows of ' || user_name, CAST(COUNT(*) AS VARCHAR), '1'
  FROM user_manager GROUP BY user_name HAVING COUNT(*) > 1`)

	return `
WITH ev AS (
    SELECT e.event_id, e.event_time, e.request_id, e.product_id, e.actor, e.actor_role, e.event_type,
           e.step_order, e.decision, e.comment, e.details, e.seq, e.prev_hash, e.hash, e.msg,
           AUDIT_HASH(e.prev_hash, e.event_id, e.event_time, e.request_id, e.product_id, e.actor, e.actor_role,
                      e.event_type, e.step_order, e.decision, e.comment, e.details, e.seq) AS recomputed,
           LAG(e.seq) OVER (ORDER BY e.seq, e.event_id) AS prev_seq,
           LAG(e.hash) OVER (ORDER BY e.seq, e.event_id) AS prev_row_hash,
           -- pos, rpos, prev_type and approvals_before count transitions
           -- and messages apart (msg): a message changes no status, so a
           -- transition follows the transition before it.
           ROW_NUMBER() OVER (PARTITION BY e.request_id, e.msg ORDER BY e.seq, e.event_id) AS pos,
           ROW_NUMBER() OVER (PARTITION BY e.request_id, e.msg ORDER BY e.seq DESC, e.event_id DESC) AS rpos,
           LAG(e.event_type) OVER (PARTITION BY e.request_id, e.msg ORDER BY e.seq, e.event_id) AS prev_type,
           COALESCE(SUM(CASE WHEN e.event_type = 'STEP_APPROVED' THEN 1 ELSE 0 END) OVER (
               PARTITION BY e.request_id, e.msg ORDER BY e.seq, e.event_id
               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS approvals_before,
           -- tn: how many transitions the request had by this event.
           SUM(1 - e.msg) OVER (PARTITION BY e.request_id ORDER BY e.seq, e.event_id
                                ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS tn,
           COUNT(CASE WHEN e.event_type IN ('STEP_APPROVED', 'STEP_REJECTED') THEN 1 END)
               OVER (PARTITION BY e.request_id, e.actor) AS decisions_by_actor,
           -- nth: the event's place among its request's events of its type
           -- and step (the scheduler's once-only events).
           ROW_NUMBER() OVER (PARTITION BY e.request_id, e.event_type, COALESCE(e.step_order, 0)
                              ORDER BY e.seq, e.event_id) AS nth
    FROM (SELECT a.*, CASE WHEN a.event_type IN ('STEP_REMINDED', 'STEP_ESCALATED', 'EXPIRY_REMINDED', 'REVIEW_KEPT')
                           THEN 1 ELSE 0 END AS msg
          FROM audit_log a) e
),
dg AS (` + digests + `),
pv AS (
    SELECT product_id, version, saved_at, saved_by, definition, definition_hash, catalog_hash,
           ` + VersionDetails + ` AS details
    FROM product_version
),
lastd AS (
    -- Per request, the last answer that replaced the reason and the last
    -- approval that shortened the duration (their details).
    SELECT DISTINCT request_id, event_type, details FROM (
        SELECT request_id, event_type, details,
               ROW_NUMBER() OVER (PARTITION BY request_id, event_type ORDER BY seq DESC, event_id DESC) AS last
        FROM ev WHERE event_type IN ('REQUEST_RESUBMITTED', 'STEP_APPROVED') AND COALESCE(details, '') <> '') d
    WHERE last = 1
),
per AS (
    SELECT request_id, SUM(CASE WHEN event_type = 'STEP_APPROVED' THEN 1 ELSE 0 END) AS approvals
    FROM ev GROUP BY request_id
),
sub AS (
    SELECT DISTINCT request_id, actor AS requester, product_id, comment AS reason, event_time AS created_at, details AS snapshot
    FROM ev WHERE pos = 1 AND msg = 0 AND event_type = 'REQUEST_SUBMITTED'
),
expect AS (
    SELECT DISTINCT l.request_id, l.event_time AS last_time,
           CASE l.event_type
               WHEN 'REQUEST_SUBMITTED' THEN 'PENDING' WHEN 'STEP_APPROVED' THEN 'PENDING'
               WHEN 'STEP_REJECTED' THEN 'REJECTED' WHEN 'REQUEST_WITHDRAWN' THEN 'WITHDRAWN'
               WHEN 'REQUEST_APPROVED' THEN 'APPROVED' WHEN 'ACCESS_GRANTED' THEN 'GRANTED'
               WHEN 'GRANT_FAILED' THEN 'GRANT_FAILED' WHEN 'ACCESS_REVOKED' THEN 'REVOKED'
               WHEN 'CHANGES_REQUESTED' THEN 'CHANGES_REQUESTED' WHEN 'REQUEST_RESUBMITTED' THEN 'PENDING'
               WHEN 'REQUEST_EXPIRED' THEN 'EXPIRED' WHEN 'ACCESS_EXPIRED' THEN 'EXPIRED'
           END AS status,
           CASE WHEN p.approvals + 1 > r.step_count THEN r.step_count ELSE p.approvals + 1 END AS current_step,
           rs.details AS reason, ad.details AS days, gr.granted_at
    FROM ev l JOIN per p ON p.request_id = l.request_id JOIN access_request r ON r.request_id = l.request_id
    LEFT JOIN (SELECT request_id, details FROM lastd WHERE event_type = 'REQUEST_RESUBMITTED') rs ON rs.request_id = l.request_id
    LEFT JOIN (SELECT request_id, details FROM lastd WHERE event_type = 'STEP_APPROVED') ad ON ad.request_id = l.request_id
    LEFT JOIN (SELECT request_id, MAX(event_time) AS granted_at FROM ev WHERE event_type = 'ACCESS_GRANTED'
               GROUP BY request_id) gr ON gr.request_id = l.request_id
    WHERE l.rpos = 1 AND l.msg = 0
),
esc AS (
    SELECT DISTINCT request_id, step_order, details, seq FROM ev WHERE event_type = 'STEP_ESCALATED' AND nth = 1
),
lastdir AS (
    SELECT DISTINCT user_name, manager_name, seq FROM (
        SELECT comment AS user_name, details AS manager_name, seq,
               ROW_NUMBER() OVER (PARTITION BY comment ORDER BY seq DESC, event_id DESC) AS lastn
        FROM ev WHERE event_type = '` + string(signoff.EventDirectoryChanged) + `' AND request_id IS NULL) d
    WHERE lastn = 1
),
steps AS (
    SELECT request_id, COUNT(*) AS n, COUNT(DISTINCT step_order) AS orders, MIN(step_order) AS lo,
           MAX(step_order) AS hi,
       ` + StepsSnapshot() + ` AS snapshot,
       ` + StepsPolicy() + ` AS policy
    FROM request_step GROUP BY request_id
)
` + strings.Join(checks, "\nUNION ALL\n") + `
ORDER BY 2, 1, 4, 5`
}

// legacyPolicy is SQL for the steps' policy of a request from before
// deadlines and fallback roles: "0:;" for each of its steps.
var legacyPolicy = "SUBSTR('" + strings.Repeat("0:;", signoff.MaxChainSteps) + "', 1, 3 * COALESCE(k.n, 0))"

// sqlString quotes s as an SQL string literal.
func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// systemEvents are the event types only the scheduler writes.
var systemEvents = "'" + strings.Join([]string{string(signoff.EventStepReminded), string(signoff.EventStepEscalated),
	string(signoff.EventRequestExpired), string(signoff.EventExpiryReminded), string(signoff.EventAccessExpired)}, "', '") + "'"

// LedgerHead reads the head of the audit log.
func (s *Store) LedgerHead(ctx context.Context) (signoff.LedgerHead, error) {
	var h signoff.LedgerHead
	if err := scanOne(ctx, s.q, SelectLedgerHead, nil, &h.Seq, &h.Hash); err != nil {
		return h, s.errorf(err, "ledger head")
	}
	return h, nil
}

// LedgerHash returns the hash of the event at position seq, and false if
// the log has no such event.
func (s *Store) LedgerHash(ctx context.Context, seq int) (string, bool, error) {
	var hash sql.NullString
	err := scanOne(ctx, s.q, SelectLedgerHash, []any{seq}, &hash)
	if err == sql.ErrNoRows {
		return "", false, nil
	}
	if err != nil {
		return "", false, s.errorf(err, "ledger hash %d", seq)
	}
	return hash.String, true, nil
}

// VerifyLedger checks the whole audit log, and the log against digests (see
// VerifyLedger, the statement). It is meant for an auditor's check or the
// verify command, not for every page view.
func (s *Store) VerifyLedger(ctx context.Context, digests []signoff.Digest) (signoff.LedgerReport, error) {
	if s.digestsFromJSON == "" {
		return signoff.LedgerReport{}, fmt.Errorf("%s: verify audit: the store has no digest source", s.name)
	}
	type jsonDigest struct {
		Seq  int    `json:"seq"`
		Hash string `json:"hash"`
	}
	list := make([]jsonDigest, len(digests))
	for i, d := range digests {
		list[i] = jsonDigest{d.Seq, d.Hash}
	}
	raw, err := json.Marshal(list)
	if err != nil {
		return signoff.LedgerReport{}, err
	}
	var rep signoff.LedgerReport
	if err := scanOne(ctx, s.q, SelectLedgerSize, nil, &rep.Requests, &rep.Events); err != nil {
		return rep, s.errorf(err, "verify audit: size")
	}
	rows, err := s.q.QueryContext(ctx, VerifyLedger(s.digestsFromJSON), string(raw))
	if err != nil {
		return rep, s.errorf(err, "verify audit")
	}
	defer rows.Close()
	for rows.Next() {
		var p signoff.LedgerProblem
		// seq is read as text: SQLite keeps whatever was written to an
		// INTEGER column, and a position that is not a number must be
		// reported (at 0), not end the verification in a scan error.
		var req, seq, ev, stored, expected sql.NullString
		if err := rows.Scan(&req, &seq, &ev, &p.Kind, &p.Field, &stored, &expected); err != nil {
			return rep, s.errorf(err, "verify audit")
		}
		p.Seq, _ = strconv.Atoi(seq.String)
		p.RequestID, p.EventID, p.Stored, p.Expected = req.String, ev.String, stored.String, expected.String
		rep.Problems = append(rep.Problems, p)
	}
	if err := rows.Err(); err != nil {
		return rep, s.errorf(err, "verify audit")
	}
	rep.Digests = signoff.CheckDigests(digests, rep.Problems)
	return rep, nil
}

// scanOne runs a query expected to return one row and scans it.
func scanOne(ctx context.Context, q Querier, query string, args []any, dest ...any) error {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return err
		}
		return sql.ErrNoRows
	}
	if err := rows.Scan(dest...); err != nil {
		return err
	}
	return rows.Err()
}
