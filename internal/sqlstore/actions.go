package sqlstore

import (
	"strconv"
	"strings"

	"github.com/signoff/signoff/internal/signoff"
)

// The actions' SQL: every check and every write of Submit, Decide, Withdraw,
// RetryGrant and Revoke, as one text that both engines run. The embedded
// engine runs them in a SQLite transaction (internal/sqlite/actions.go); the
// Snowflake API procedures embed the same texts (sql/snowflake/03_api.sql is
// generated from them), so the rules live in one place and the store
// contract suite, run on SQLite, tests the statements Snowflake runs.
//
// Conventions that make one text valid in both:
//   - Tables are named main.<table>. In SQLite "main" is the database
//     itself; on Snowflake it is the schema SIGNOFF.MAIN, resolved in the
//     procedures' own database.
//   - Values are named parameters, :name. SQLite binds them by name
//     (sql.Named); in Snowflake Scripting :name is the procedure's argument
//     or variable of that name. The names avoid words Snowflake reserves or
//     uses as functions (hence comment_text, now_ts, step_no).
//   - Checks aggregate, so they always return exactly one row (Snowflake's
//     SELECT ... INTO needs one), and they name their columns after the
//     keys of signoff.Outcome, so that a Snowflake procedure can return
//     OBJECT_CONSTRUCT(*) of the row as its envelope's data.
//   - Only portable SQL: CASE, COALESCE, NULLIF, CAST(x AS VARCHAR), RTRIM,
//     REPLACE, ||, EXISTS, scalar subqueries. The caller's identity and
//     roles are parameters: :actor (who the engine says is calling) and
//     flags such as :holds_step_role, which the engine computes from the
//     caller's own session (Snowflake: SYS_CONTEXT('SNOWFLAKE$SESSION',
//     'IS_ROLE_ACTIVATED', role); embedded: the local account).

// Trim is SQL that trims expr as Go's strings.TrimSpace does in ASCII: space,
// tab, newline, vertical tab, form feed and carriage return (Snowflake's
// TRIM removes only spaces by default). The Service trims before calling an
// engine; the Snowflake procedures, which anyone may call with SQL, trim
// again with this.
func Trim(expr string) string {
	return "TRIM(" + expr + ", ' ' || CHAR(9) || CHAR(10) || CHAR(11) || CHAR(12) || CHAR(13))"
}

// requestFacts is the request an action is about, its product and its
// current step, as one row whatever the data: n is the number of rows with
// the request's ID (0: none; more than 1: corrupt data, which standard
// tables do not prevent).
const requestFacts = `
SELECT (SELECT COUNT(*) FROM main.access_request WHERE request_id = :request_id) AS n,
       MAX(r.status) AS status, MAX(r.requester) AS requester, MAX(r.product_id) AS product_id,
       MAX(p.name) AS product_name, MAX(p.access_role) AS access_role, MAX(p.owner_role) AS owner_role,
       MAX(r.current_step) AS current_step, MAX(r.step_count) AS step_count,
       MAX(cur.step_label) AS step_label, MAX(cur.approver_role) AS step_role,
       COALESCE(MAX(cur.escalated_to), '') AS escalated_to, COALESCE(MAX(cur.approver_user), '') AS step_user, MAX(r.duration_days) AS duration_days,
       MAX(r.expires_at) AS expires_at, COALESCE(MAX(x.status), '') AS extends_status
FROM main.access_request r
LEFT JOIN main.data_product p ON p.product_id = r.product_id
LEFT JOIN main.request_step cur ON cur.request_id = r.request_id AND cur.step_order = r.current_step
LEFT JOIN main.access_request x ON x.request_id = r.extends_request_id
WHERE r.request_id = :request_id`

// LoadRequest reads the roles the engine must look up in the caller's
// session before the check: step_role (the current step's approver role),
// escalated_to (its fallback role, once the step escalated) and owner_role
// (the product's owner role); and step_user, the one user who may decide a
// manager step with its role (docs/design.md, "Manager steps"): for anyone
// else the engine counts the step's role as not held.
const LoadRequest = requestFacts

// identityUnavailable opens every check: no caller, no action.
const identityUnavailable = `WHEN COALESCE(:actor, '') = '' THEN 'IDENTITY_UNAVAILABLE'`

// requestColumns are the facts every request check returns with its code.
const requestColumns = `:actor AS actor, :request_id AS request_id, r.product_id, r.product_name, r.requester,
       r.access_role, r.owner_role, r.status, r.current_step, r.step_count, r.step_label, r.step_role,
       r.duration_days, r.step_user`

// LockSubmissions serializes submissions: it is the first statement of the
// submit transaction, and an UPDATE holds its lock until the transaction
// ends, so that two concurrent submissions for the same product and person
// run their "no open request" check one after the other. An INSERT ...
// WHERE NOT EXISTS alone does not: INSERTs do not lock against each other on
// Snowflake (DOCS/sql-reference/transactions, "Resource locking").
const LockSubmissions = `UPDATE main.submit_lock SET locked_at = :now_ts WHERE lock_id = 1`

// CheckSubmit decides whether :actor may request :product_id. With
// :extends_id, the request extends the actor's GRANTED time-bound request
// :extends_id for the same product, which does not count as an open request
// here. step_count says how many steps the submission copies
// (resolvedChain); NO_CHAIN when no step applies to the product;
// CHAIN_TOO_LONG when its steps and the policy's need more approvals than
// a submission can record (signoff.MaxChainSteps); NO_MANAGER when a
// manager step applies and the directory has no manager for :actor (or
// names :actor, or, corrupt data, more than one row).
var CheckSubmit = `
WITH p AS (SELECT COUNT(*) AS n, MAX(name) AS product_name, MAX(durations) AS durations,
                  MAX(extension_steps) AS extension_steps
           FROM main.data_product WHERE product_id = :product_id),
     c AS (SELECT COUNT(*) AS n, COUNT(rc.approver_user) AS managed,
                  SUM(CASE WHEN rc.approver_user = '' OR rc.approver_user = :actor THEN 1 ELSE 0 END) AS unmanaged
           FROM (` + resolvedChain + `) rc),
     mg AS (SELECT COUNT(*) AS n FROM main.user_manager WHERE user_name = :actor),
     o AS (SELECT MIN(request_id) AS open_request_id FROM main.access_request
           WHERE product_id = :product_id AND requester = :actor AND request_id <> :extends_id
             AND status IN ('PENDING', 'CHANGES_REQUESTED', 'APPROVED', 'GRANTED', 'GRANT_FAILED')),
     e AS (SELECT COUNT(*) AS n, MAX(status) AS status, MAX(product_id) AS product_id, MAX(requester) AS requester,
                  COUNT(expires_at) AS timed, MAX(duration_days) AS duration_days
           FROM main.access_request WHERE request_id = :extends_id),
     d AS (SELECT COUNT(*) AS n FROM main.access_request WHERE request_id = :request_id)
SELECT CASE
           ` + identityUnavailable + `
           WHEN p.n = 0 THEN 'PRODUCT_NOT_FOUND'
           WHEN c.n = 0 THEN 'NO_CHAIN'
           WHEN c.n > ` + strconv.Itoa(signoff.MaxChainSteps) + ` THEN 'CHAIN_TOO_LONG'
           WHEN c.managed > 0 AND (c.unmanaged > 0 OR mg.n <> 1) THEN 'NO_MANAGER'
           WHEN ',' || p.durations || ',' NOT LIKE '%,' || CAST(:duration_days AS VARCHAR) || ',%' THEN 'DURATION_NOT_OFFERED'
           WHEN :extends_id <> '' AND (e.n <> 1 OR e.requester <> :actor OR e.product_id <> :product_id
                                       OR e.status <> 'GRANTED' OR e.timed = 0) THEN 'NOT_EXTENDABLE'
           WHEN :extends_id <> '' AND (:duration_days = 0 OR :duration_days > e.duration_days) THEN 'DURATION_LONGER'
           WHEN o.open_request_id IS NOT NULL THEN 'OPEN_REQUEST_EXISTS'
           WHEN d.n > 0 THEN 'DUPLICATE_ID'
           ELSE 'OK'
       END AS code,
       :actor AS actor, :request_id AS request_id, :product_id AS product_id, p.product_name,
       :actor AS requester,
       c.n AS step_count,
       o.open_request_id, :duration_days AS duration_days
FROM p CROSS JOIN c CROSS JOIN o CROSS JOIN e CROSS JOIN d CROSS JOIN mg`

// InsertRequest inserts the new request, PENDING at step 1, with as many
// steps as the check counted (:step_count), for the duration asked, linked
// to the request it extends, if any. It affects exactly one row.
const InsertRequest = `
INSERT INTO main.access_request (request_id, product_id, requester, business_reason, status,
                                 current_step, step_count, created_at, updated_at, asked_days, duration_days,
                                 extends_request_id)
SELECT :request_id, :product_id, :actor, TRIM(:reason, ' ' || CHAR(9) || CHAR(10) || CHAR(11) || CHAR(12) || CHAR(13)), 'PENDING', 1,
       :step_count, :now_ts, :now_ts, :duration_days, :duration_days, NULLIF(:extends_id, '')`

// resolvedChain is the chain a submission of :product_id copies
// (signoff.ResolveChain mirrors it for the product page): the product's
// own chain steps, then the account's chain policy, each that applies to
// the product (HAS_TAG: always, or when the product carries the step's
// tag or classification), in order, each as many request steps as
// approvals it needs (its quorum: distinct deciders, because one person
// decides one step of a request), numbered from 1, with its fallback role
// (the step's own, else the product's) and, for a MANAGER step,
// approver_user: :actor's manager in main.user_manager, the empty string
// when there is none (CheckSubmit refuses it: NO_MANAGER), NULL for other
// kinds. The directory is read as one aggregated row, so that duplicate
// rows (standard tables enforce no key) cannot multiply steps. An
// extension (:extends_id) of a product whose extensions take the last step
// only copies the last step that applies, alone. The running SUM numbers
// the expanded steps without recursion, which the two dialects spell
// differently (DOCS/sql-reference/functions-analytic, window frames).
var resolvedChain = `
SELECT CASE WHEN a.last_only = 1 THEN 0 ELSE a.base END + q.k AS step_order,
       CASE WHEN a.quorum > 1 THEN a.step_label || ' (' || CAST(q.k AS VARCHAR) || ' of ' || CAST(a.quorum AS VARCHAR) || ')'
            ELSE a.step_label END AS step_label,
       a.approver_role, a.deadline_hours, a.fallback_role, a.approver_user
FROM (SELECT r.step_label, r.approver_role, r.deadline_hours, COALESCE(r.fallback_role, p.fallback_role) AS fallback_role,
             r.quorum, CASE WHEN r.step_kind = 'MANAGER' THEN COALESCE(m.manager_name, '') END AS approver_user,
             SUM(r.quorum) OVER (ORDER BY r.src, r.step_order ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
                 - r.quorum AS base,
             ROW_NUMBER() OVER (ORDER BY r.src, r.step_order) AS pos, COUNT(*) OVER () AS rules,
             CASE WHEN :extends_id <> '' AND p.extension_steps = 'LAST' THEN 1 ELSE 0 END AS last_only
      FROM (SELECT 0 AS src, step_order, step_label, approver_role, deadline_hours, fallback_role, when_tag, step_kind,
                   ` + quorumOf + ` AS quorum
            FROM main.approval_chain WHERE product_id = :product_id
            UNION ALL
            SELECT 1, step_order, step_label, approver_role, deadline_hours, fallback_role, when_tag, step_kind,
                   ` + quorumOf + `
            FROM main.chain_policy) r
      JOIN main.data_product p ON p.product_id = :product_id
      LEFT JOIN (SELECT MAX(manager_name) AS manager_name FROM main.user_manager WHERE user_name = :actor) m
             ON r.step_kind = 'MANAGER'
      WHERE HAS_TAG(p.tags, p.classification, r.when_tag)) a
JOIN (` + quorumPositions() + `) q ON q.k <= a.quorum
WHERE a.last_only = 0 OR a.pos = a.rules`

// quorumOf is a rule's quorum as resolvedChain counts it: 1 to
// signoff.MaxQuorum whatever the row says (signoff.ChainStep.Approvals).
var quorumOf = "CASE WHEN COALESCE(quorum, 1) < 1 THEN 1 WHEN quorum > " + strconv.Itoa(signoff.MaxQuorum) +
	" THEN " + strconv.Itoa(signoff.MaxQuorum) + " ELSE quorum END"

// quorumPositions is SQL yielding k = 1 … signoff.MaxQuorum, one row each.
func quorumPositions() string {
	var parts []string
	for k := 1; k <= signoff.MaxQuorum; k++ {
		parts = append(parts, "SELECT "+strconv.Itoa(k)+" AS k")
	}
	return strings.Join(parts, " UNION ALL ")
}

// InsertSteps copies the resolved chain (resolvedChain) into the request's
// steps, each with its deadline, its fallback role and, for a manager step,
// the manager who alone decides it: later changes to the chain or the
// directory never move a request in flight. It affects as many rows as the
// check counted steps (:step_count).
var InsertSteps = `
INSERT INTO main.request_step (request_id, step_order, step_label, approver_role, deadline_hours, fallback_role,
                               approver_user)
SELECT :request_id, rc.step_order, rc.step_label, rc.approver_role, rc.deadline_hours, rc.fallback_role,
       NULLIF(rc.approver_user, '')
FROM (` + resolvedChain + `) rc`

// CheckDecide decides whether :actor may decide the current step of
// :request_id, in the order of signoff.DecideRole (promise 2): the
// requester never decides, one person decides at most one step, and the
// step's role (or, once the step escalated, its fallback role,
// :holds_escalated_to) must be in the caller's session. :decision is
// APPROVED, REJECTED or CHANGES_REQUESTED (a question for the requester,
// which decides nothing); an approval may shorten the duration
// (:approve_days, 0 to keep it) but never lengthen it. :step_no is the step the
// caller saw (0: the current one). :step_role is the role the engine looked
// up in the caller's session (LoadRequest's step_role, read before this
// statement): if another decision moved the request on in between, the
// current step's role is another one, whose possession nobody checked, and
// the answer is CONFLICT; likewise :step_user (LoadRequest's). A manager
// step (step_user set) is decided by that user only, unless it escalated
// and the caller decides it with the fallback role: NOT_STEP_APPROVER.
const CheckDecide = `
WITH r AS (` + requestFacts + `),
     seen AS (SELECT MAX(step_label) AS seen_label, MAX(decided_by) AS seen_decided_by,
                     MAX(decision) AS seen_decision
              FROM main.request_step WHERE request_id = :request_id AND step_order = :step_no),
     mine AS (SELECT COUNT(*) AS n FROM main.request_step WHERE request_id = :request_id AND decided_by = :actor)
SELECT CASE
           ` + identityUnavailable + `
           WHEN r.n = 0 THEN 'NOT_FOUND'
           WHEN r.n > 1 THEN 'DUPLICATE_ID'
           WHEN :step_no > 0 AND (r.status <> 'PENDING' OR :step_no <> r.current_step) THEN 'STALE_STEP'
           WHEN r.status <> 'PENDING' THEN 'WRONG_STATUS'
           WHEN COALESCE(r.step_role, '') <> COALESCE(:step_role, '') THEN 'CONFLICT'
           WHEN r.escalated_to <> COALESCE(:escalated_to, '') THEN 'CONFLICT'
           WHEN r.step_user <> COALESCE(:step_user, '') THEN 'CONFLICT'
           WHEN :actor = r.requester THEN 'OWN_REQUEST'
           WHEN :decision = 'APPROVED' AND r.extends_status = 'REVOKED' THEN 'NOT_EXTENDABLE'
           WHEN mine.n > 0 THEN 'DECIDED_ANOTHER_STEP'
           WHEN r.step_user <> '' AND :actor <> r.step_user
                AND NOT (r.escalated_to <> '' AND :holds_escalated_to
                         AND (COALESCE(:acting_as, '') = '' OR :acting_as = r.escalated_to)) THEN 'NOT_STEP_APPROVER'
           WHEN :acting_as <> '' AND NOT :holds_acting_as THEN 'ACTING_AS_NOT_HELD'
           WHEN :acting_as <> '' AND :acting_as <> r.step_role
                AND (r.escalated_to = '' OR :acting_as <> r.escalated_to) THEN 'ACTING_AS_WRONG_ROLE'
           WHEN NOT :holds_step_role AND NOT (r.escalated_to <> '' AND :holds_escalated_to) THEN 'ROLE_NOT_HELD'
           WHEN :decision = 'APPROVED' AND :approve_days > 0 AND r.duration_days > 0 AND :approve_days > r.duration_days
                THEN 'DURATION_LONGER'
           ELSE 'OK'
       END AS code,
       ` + requestColumns + `,
       :step_no AS seen_step, seen.seen_label, seen.seen_decided_by, seen.seen_decision, :acting_as AS acting_as
FROM r CROSS JOIN seen CROSS JOIN mine`

// AdvanceRequest is the compare-and-set at the heart of promise 3: it moves
// the request on only if it is still PENDING at :cur_step (the current step,
// as checked; not :step_no, which is the caller's argument and may be 0),
// the decider is not the requester and decided no other step, and
// :actor_role keys the undecided step (its approver role, or the fallback
// role it escalated to; a manager step's approver role only for its
// approver_user). Of two racing deciders exactly one affects a row.
// The next status follows from the decision: REJECTED, CHANGES_REQUESTED
// (at the same step), APPROVED after the last step, or PENDING at the next
// one. An approval with :approve_days shortens the duration.
const AdvanceRequest = `
UPDATE main.access_request
SET status = CASE WHEN :decision = 'REJECTED' THEN 'REJECTED'
                  WHEN :decision = 'CHANGES_REQUESTED' THEN 'CHANGES_REQUESTED'
                  WHEN current_step = step_count THEN 'APPROVED'
                  ELSE 'PENDING' END,
    current_step = CASE WHEN :decision = 'APPROVED' AND current_step < step_count THEN current_step + 1
                        ELSE current_step END,
    duration_days = CASE WHEN :decision = 'APPROVED' AND :approve_days > 0 THEN :approve_days
                         ELSE duration_days END,
    updated_at = :now_ts
WHERE request_id = :request_id AND status = 'PENDING' AND current_step = :cur_step AND requester <> :actor
  AND NOT EXISTS (SELECT 1 FROM main.request_step WHERE request_id = :request_id AND decided_by = :actor)
  AND EXISTS (SELECT 1 FROM main.request_step WHERE request_id = :request_id AND step_order = :cur_step
                                                AND (approver_role = :actor_role AND COALESCE(approver_user, :actor) = :actor
                                                     OR escalated_to = :actor_role)
                                                AND decision IS NULL)`

// RecordDecision writes an approval or a rejection onto its step, once (a
// request for changes decides nothing: the step stays open).
const RecordDecision = `
UPDATE main.request_step
SET decision = :decision, decided_by = :actor, acting_role = :actor_role,
    comment = NULLIF(TRIM(:comment_text, ' ' || CHAR(9) || CHAR(10) || CHAR(11) || CHAR(12) || CHAR(13)), ''),
    decided_at = :now_ts,
    approved_days = CASE WHEN :decision = 'APPROVED' AND :approve_days > 0 THEN :approve_days END
WHERE request_id = :request_id AND step_order = :cur_step AND decision IS NULL`

// CheckResubmit decides whether :actor may answer the approver's question
// on :request_id and send it back to the same step: its requester, while
// CHANGES_REQUESTED. A new business reason is refused once a step was
// approved (REASON_APPROVED): its approvers approved the reason as it was.
const CheckResubmit = `
WITH r AS (` + requestFacts + `)
SELECT CASE
           ` + identityUnavailable + `
           WHEN r.n = 0 THEN 'NOT_FOUND'
           WHEN r.n > 1 THEN 'DUPLICATE_ID'
           WHEN :actor <> r.requester THEN 'NOT_REQUESTER'
           WHEN r.status <> 'CHANGES_REQUESTED' THEN 'WRONG_STATUS'
           WHEN r.current_step > 1
                AND TRIM(COALESCE(:reason, ''), ' ' || CHAR(9) || CHAR(10) || CHAR(11) || CHAR(12) || CHAR(13)) <> ''
                THEN 'REASON_APPROVED'
           ELSE 'OK'
       END AS code,
       ` + requestColumns + `
FROM r`

// ResubmitRequest sends the request back to its current step, PENDING, with
// the new business reason if the requester gave one.
const ResubmitRequest = `
UPDATE main.access_request
SET status = 'PENDING',
    business_reason = COALESCE(NULLIF(TRIM(:reason, ' ' || CHAR(9) || CHAR(10) || CHAR(11) || CHAR(12) || CHAR(13)), ''),
                               business_reason),
    updated_at = :now_ts
WHERE request_id = :request_id AND status = 'CHANGES_REQUESTED' AND requester = :actor`

// CheckWithdraw decides whether :actor may withdraw :request_id.
const CheckWithdraw = `
WITH r AS (` + requestFacts + `)
SELECT CASE
           ` + identityUnavailable + `
           WHEN r.n = 0 THEN 'NOT_FOUND'
           WHEN r.n > 1 THEN 'DUPLICATE_ID'
           WHEN :actor <> r.requester THEN 'NOT_REQUESTER'
           WHEN r.status NOT IN ('PENDING', 'CHANGES_REQUESTED') THEN 'WRONG_STATUS'
           ELSE 'OK'
       END AS code,
       ` + requestColumns + `
FROM r`

// WithdrawRequest moves a pending request (or one waiting on its
// requester's changes) to WITHDRAWN, for its requester.
const WithdrawRequest = `
UPDATE main.access_request SET status = 'WITHDRAWN', updated_at = :now_ts
WHERE request_id = :request_id AND status IN ('PENDING', 'CHANGES_REQUESTED') AND requester = :actor`

// CheckRetry decides whether :actor may run :request_id's grant again.
const CheckRetry = `
WITH r AS (` + requestFacts + `)
SELECT CASE
           ` + identityUnavailable + `
           WHEN r.n = 0 THEN 'NOT_FOUND'
           WHEN r.n > 1 THEN 'DUPLICATE_ID'
           WHEN NOT :is_admin THEN 'NOT_ADMIN'
           WHEN r.status NOT IN ('APPROVED', 'GRANT_FAILED') THEN 'WRONG_STATUS'
           ELSE 'OK'
       END AS code,
       ` + requestColumns + `
FROM r`

// CheckGrant is the grant path's guard (promise 1), run after the final
// approval commits and on every retry: the request must be APPROVED or
// GRANT_FAILED, and its decision record must verify (every step of the
// chain approved, numbered 1 to N once each, each by a distinct user, none
// of them the requester, each with its step's approver role, a manager
// step by its manager unless decided with the role it escalated to) and its
// product name one access role. refusal is
// empty when the grant may run; otherwise the request becomes GRANT_FAILED
// with refusal as the audit event's details. grant_statement is the GRANT
// the engine runs, with both names quoted, so "alice" is alice and not ALICE.
const CheckGrant = `
WITH r AS (SELECT COUNT(*) AS n, MAX(status) AS status, MAX(requester) AS requester,
                  MAX(step_count) AS step_count, MAX(product_id) AS product_id
           FROM main.access_request WHERE request_id = :request_id),
     s AS (SELECT COUNT(*) AS n, COUNT(DISTINCT step_order) AS orders, MIN(step_order) AS lo,
                  MAX(step_order) AS hi,
                  SUM(CASE WHEN decision = 'APPROVED' THEN 0 ELSE 1 END) AS not_approved,
                  COUNT(decided_by) AS decided, COUNT(DISTINCT decided_by) AS deciders,
                  SUM(CASE WHEN acting_role = approver_role OR acting_role = escalated_to AND escalated_to = fallback_role
                           THEN 0 ELSE 1 END) AS other_role,
                  SUM(CASE WHEN approver_user IS NULL OR decided_by = approver_user
                                OR acting_role = escalated_to AND escalated_to = fallback_role
                           THEN 0 ELSE 1 END) AS not_step_user
           FROM main.request_step WHERE request_id = :request_id),
     q AS (SELECT COUNT(*) AS n FROM main.request_step st
           WHERE st.request_id = :request_id
             AND st.decided_by = (SELECT MAX(requester) FROM main.access_request WHERE request_id = :request_id)),
     p AS (SELECT COUNT(DISTINCT access_role) AS n, MAX(access_role) AS access_role
           FROM main.data_product
           WHERE product_id = (SELECT MAX(product_id) FROM main.access_request WHERE request_id = :request_id)),
     v AS (SELECT RTRIM(
                CASE WHEN s.n <> r.step_count
                     THEN CAST(s.n AS VARCHAR) || ' decisions recorded for ' || CAST(r.step_count AS VARCHAR) || ' steps; '
                     ELSE '' END ||
                CASE WHEN s.n > 0 AND (s.orders <> s.n OR s.lo <> 1 OR s.hi <> r.step_count)
                     THEN 'steps are not numbered 1 to ' || CAST(r.step_count AS VARCHAR) || ' once each; '
                     ELSE '' END ||
                CASE WHEN s.not_approved > 0
                     THEN CAST(s.not_approved AS VARCHAR) || ' step(s) not approved; ' ELSE '' END ||
                CASE WHEN q.n > 0 THEN 'a step was decided by the requester; ' ELSE '' END ||
                CASE WHEN s.decided < s.n THEN 'a step has no decider; ' ELSE '' END ||
                CASE WHEN s.deciders < s.decided THEN 'a user decided more than one step; ' ELSE '' END ||
                CASE WHEN s.other_role > 0 THEN 'a step was not decided with its approver or fallback role; ' ELSE '' END ||
                CASE WHEN s.not_step_user > 0 THEN 'a manager step was decided by someone other than the manager; ' ELSE '' END,
                '; ') AS problems
           FROM r CROSS JOIN s CROSS JOIN q)
SELECT CASE
           WHEN r.n = 0 THEN 'NOT_FOUND'
           WHEN r.n > 1 THEN 'DUPLICATE_ID'
           WHEN r.status NOT IN ('APPROVED', 'GRANT_FAILED') THEN 'WRONG_STATUS'
           ELSE 'OK'
       END AS code,
       :request_id AS request_id, r.product_id, r.requester, p.access_role, r.status, r.step_count,
       CASE WHEN v.problems <> '' THEN 'decision record does not verify: ' || v.problems
            WHEN p.n <> 1 OR COALESCE(p.access_role, '') = '' THEN 'the product has no single access role'
            ELSE '' END AS refusal,
       'GRANT ROLE "' || REPLACE(COALESCE(p.access_role, ''), '"', '""') || '" TO USER "' ||
           REPLACE(COALESCE(r.requester, ''), '"', '""') || '"' AS grant_statement
FROM r CROSS JOIN p CROSS JOIN v`

// MarkGranted records a grant that ran, and when time-bound access ends:
// the clock starts at the grant. The compare-and-set makes a second,
// concurrent outcome for the same request affect no row. ADD_HOURS is
// Snowflake's DATEADD(HOUR, …) (03_api.sql) and a Go function on the
// embedded engine.
const MarkGranted = `
UPDATE main.access_request
SET status = 'GRANTED', updated_at = :now_ts,
    expires_at = CASE WHEN duration_days > 0 THEN ADD_HOURS(:now_ts, 24 * duration_days) END
WHERE request_id = :request_id AND status IN ('APPROVED', 'GRANT_FAILED')`

// MarkGrantFailed records a grant that was refused or failed: visible and
// retryable, never a silent APPROVED (promise 4).
const MarkGrantFailed = `
UPDATE main.access_request SET status = 'GRANT_FAILED', updated_at = :now_ts
WHERE request_id = :request_id AND status IN ('APPROVED', 'GRANT_FAILED')`

// CheckRevoke decides whether :actor may revoke :request_id's access:
// admins and members of the product's owner role, for a GRANTED request;
// or the scheduler (:is_system), once the access's time is up. The manual
// revocation and the expiry are one guarded path.
// justified_by counts the requester's other GRANTED requests for products
// with the same access role: while one remains, the role stays, and
// revoke_statement, which the event records, says so instead of naming a
// REVOKE that does not run.
const CheckRevoke = `
WITH r AS (` + requestFacts + `),
     j AS (SELECT COUNT(*) AS n FROM main.access_request o JOIN main.data_product op ON op.product_id = o.product_id
           WHERE o.requester = (SELECT MAX(requester) FROM r) AND op.access_role = (SELECT MAX(access_role) FROM r)
             AND o.status = 'GRANTED' AND o.request_id <> :request_id)
SELECT CASE
           ` + identityUnavailable + `
           WHEN r.n = 0 THEN 'NOT_FOUND'
           WHEN r.n > 1 THEN 'DUPLICATE_ID'
           WHEN NOT :is_admin AND NOT :holds_owner_role AND NOT :is_system THEN 'NOT_ADMIN_OR_OWNER'
           WHEN r.status <> 'GRANTED' THEN 'WRONG_STATUS'
           WHEN :is_system AND (r.expires_at IS NULL OR r.expires_at > :now_ts) THEN 'NOT_DUE'
           ELSE 'OK'
       END AS code,
       ` + requestColumns + `,
       CASE WHEN j.n > 0 THEN 'no REVOKE: another GRANTED request of theirs for ' || COALESCE(r.access_role, '') || ' keeps it'
            ELSE 'REVOKE ROLE "' || REPLACE(COALESCE(r.access_role, ''), '"', '""') || '" FROM USER "' ||
                 REPLACE(COALESCE(r.requester, ''), '"', '""') || '"' END AS revoke_statement,
       j.n AS justified_by
FROM r CROSS JOIN j`

// MarkRevoked records a revocation, once: REVOKED, or EXPIRED when the
// scheduler ends access whose time is up.
const MarkRevoked = `
UPDATE main.access_request SET status = CASE WHEN :is_system THEN 'EXPIRED' ELSE 'REVOKED' END, updated_at = :now_ts
WHERE request_id = :request_id AND status = 'GRANTED'
  AND (NOT :is_system OR expires_at <= :now_ts)`

// StillJustified counts the requester's GRANTED requests (this one is
// REVOKED by now) for products with this request's access role: run after
// a revocation commits, to close the race with a concurrent revocation of
// a sibling request, which could otherwise leave both keeping the role.
const StillJustified = `
SELECT COUNT(*) AS justified_by
FROM main.access_request o JOIN main.data_product op ON op.product_id = o.product_id
WHERE o.requester = (SELECT MAX(requester) FROM main.access_request WHERE request_id = :request_id)
  AND op.access_role = (SELECT MAX(p.access_role) FROM main.access_request r
                        JOIN main.data_product p ON p.product_id = r.product_id WHERE r.request_id = :request_id)
  AND o.status = 'GRANTED'`

// SelectOutcome is where the request stands after an action: the data of
// the OK answer.
const SelectOutcome = `
WITH r AS (` + requestFacts + `)
SELECT 'OK' AS code, ` + requestColumns + `
FROM r`

// The scheduler's work (signoff.Service.Sweep on the embedded engine, the
// RUN_SCHEDULE procedure that a Snowflake TASK calls): what is due at
// :now_ts, and one guarded statement pair per kind. Each kind's check
// answers NOT_DUE unless the work is still due when it runs, and its write
// is a compare-and-set, so that work found by two schedulers at once is
// done once. Reminders write no row, only their event: their check runs
// under the audit lock (taken first), which serializes them.

// reminderHours is signoff.ExpiryReminderHours as SQL text.
var reminderHours = strconv.Itoa(signoff.ExpiryReminderHours)

// DueWork lists the scheduler's work at :now_ts, at most 500 pieces, the
// longest due first (a request's expiry before its escalation, which it
// makes moot): access whose time is up (EXPIRE_ACCESS) or ends within signoff.ExpiryReminderHours
// (REMIND_EXPIRY), requests waiting longer than their product allows
// (EXPIRE_REQUEST), steps past their deadline (REMIND_STEP), past twice
// their deadline or that nobody can decide (ESCALATE_STEP, why says which;
// a manager step only its manager can, with its role), and products whose
// access review is due (OPEN_REVIEW, reviews.go; its request_id column
// carries the product's ID).
// Who can decide comes from main.role_holder: the local account on the
// embedded engine, ACCOUNT_USAGE on Snowflake (docs/snowflake.md).
var DueWork = `
SELECT kind, request_id, why FROM (
    SELECT 'EXPIRE_ACCESS' AS kind, request_id, '' AS why, expires_at AS due_at, 1 AS prio
    FROM main.access_request WHERE status = 'GRANTED' AND expires_at <= :now_ts
    UNION ALL
    SELECT 'REMIND_EXPIRY', r.request_id, '', r.expires_at, 5
    FROM main.access_request r
    WHERE r.status = 'GRANTED' AND r.expires_at > :now_ts AND ADD_HOURS(r.expires_at, -` + reminderHours + `) <= :now_ts
      AND NOT EXISTS (SELECT 1 FROM main.audit_log e WHERE e.request_id = r.request_id AND e.event_type = 'EXPIRY_REMINDED')
    UNION ALL
    SELECT 'EXPIRE_REQUEST', r.request_id, '', r.created_at, 2
    FROM main.access_request r JOIN main.data_product p ON p.product_id = r.product_id
    WHERE r.status IN ('PENDING', 'CHANGES_REQUESTED') AND p.pending_days > 0
      AND ADD_HOURS(r.created_at, 24 * p.pending_days) <= :now_ts
    UNION ALL
    SELECT CASE WHEN ADD_HOURS(r.updated_at, 2 * s.deadline_hours) <= :now_ts AND s.fallback_role IS NOT NULL
                THEN 'ESCALATE_STEP' ELSE 'REMIND_STEP' END,
           r.request_id, 'deadline', r.updated_at, 3
    FROM main.access_request r
    JOIN main.request_step s ON s.request_id = r.request_id AND s.step_order = r.current_step
    WHERE r.status = 'PENDING' AND s.deadline_hours > 0 AND s.escalated_to IS NULL
      AND ADD_HOURS(r.updated_at, s.deadline_hours) <= :now_ts
      AND (ADD_HOURS(r.updated_at, 2 * s.deadline_hours) <= :now_ts AND s.fallback_role IS NOT NULL
           OR NOT EXISTS (SELECT 1 FROM main.audit_log e
                          WHERE e.request_id = r.request_id AND e.event_type = 'STEP_REMINDED'
                            AND e.step_order = r.current_step AND e.event_time >= r.updated_at))
    UNION ALL
    SELECT 'ESCALATE_STEP', r.request_id, 'blocked', r.updated_at, 4
    FROM main.access_request r
    JOIN main.request_step s ON s.request_id = r.request_id AND s.step_order = r.current_step
    WHERE r.status = 'PENDING' AND s.escalated_to IS NULL AND s.fallback_role IS NOT NULL
      AND CASE WHEN s.deadline_hours > 0 AND ADD_HOURS(r.updated_at, 2 * s.deadline_hours) <= :now_ts THEN 1 ELSE 0 END = 0
      AND NOT EXISTS (SELECT 1 FROM main.role_holder h
                      WHERE h.role_name = s.approver_role AND h.user_name <> r.requester
                        AND COALESCE(s.approver_user, h.user_name) = h.user_name
                        AND NOT EXISTS (SELECT 1 FROM main.request_step d
                                        WHERE d.request_id = r.request_id AND d.decided_by = h.user_name))
    UNION ALL
    ` + reviewsDue + `
) due
ORDER BY due_at, request_id, prio
LIMIT 500`

// CheckSystem decides whether the scheduler's :kind of work on
// :request_id is still due at :now_ts: the same conditions as DueWork,
// for one request, read again in the work's own transaction.
var CheckSystem = `
WITH r AS (` + requestFacts + `),
     x AS (SELECT MAX(r2.created_at) AS created_at, MAX(r2.updated_at) AS updated_at,
                  MAX(p.pending_days) AS pending_days, MAX(s.deadline_hours) AS deadline_hours,
                  MAX(s.fallback_role) AS fallback_role, COUNT(s.escalated_to) AS escalated
           FROM main.access_request r2
           JOIN main.data_product p ON p.product_id = r2.product_id
           LEFT JOIN main.request_step s ON s.request_id = r2.request_id AND s.step_order = r2.current_step
           WHERE r2.request_id = :request_id),
     rem AS (SELECT COUNT(*) AS n FROM main.audit_log e, x
             WHERE e.request_id = :request_id
               AND (e.event_type = 'EXPIRY_REMINDED'
                    OR e.event_type = 'STEP_REMINDED' AND e.event_time >= x.updated_at))
SELECT CASE
           WHEN r.n = 0 THEN 'NOT_FOUND'
           WHEN r.n > 1 THEN 'DUPLICATE_ID'
           WHEN :kind = 'REMIND_EXPIRY' AND r.status = 'GRANTED' AND r.expires_at > :now_ts
                AND ADD_HOURS(r.expires_at, -` + reminderHours + `) <= :now_ts AND rem.n = 0 THEN 'OK'
           WHEN :kind = 'EXPIRE_REQUEST' AND r.status IN ('PENDING', 'CHANGES_REQUESTED') AND x.pending_days > 0
                AND ADD_HOURS(x.created_at, 24 * x.pending_days) <= :now_ts THEN 'OK'
           WHEN :kind = 'REMIND_STEP' AND r.status = 'PENDING' AND x.deadline_hours > 0 AND x.escalated = 0
                AND ADD_HOURS(x.updated_at, x.deadline_hours) <= :now_ts AND rem.n = 0 THEN 'OK'
           WHEN :kind = 'ESCALATE_STEP' AND r.status = 'PENDING' AND x.escalated = 0 AND x.fallback_role IS NOT NULL
                AND (:why = 'blocked'
                     OR x.deadline_hours > 0 AND ADD_HOURS(x.updated_at, 2 * x.deadline_hours) <= :now_ts) THEN 'OK'
           ELSE 'NOT_DUE'
       END AS code,
       ` + requestColumns + `, x.fallback_role AS fallback_role
FROM r CROSS JOIN x CROSS JOIN rem`

// ExpireRequest ends a request that waited too long for decisions.
const ExpireRequest = `
UPDATE main.access_request SET status = 'EXPIRED', updated_at = :now_ts
WHERE request_id = :request_id AND status IN ('PENDING', 'CHANGES_REQUESTED')`

// EscalateStep lets the current step's fallback role decide it as well.
const EscalateStep = `
UPDATE main.request_step SET escalated_to = fallback_role
WHERE request_id = :request_id AND step_order = :cur_step AND decision IS NULL
  AND escalated_to IS NULL AND fallback_role IS NOT NULL
  AND EXISTS (SELECT 1 FROM main.access_request
              WHERE request_id = :request_id AND status = 'PENDING' AND current_step = :cur_step)`
