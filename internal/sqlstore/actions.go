package sqlstore

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
       MAX(cur.step_label) AS step_label, MAX(cur.approver_role) AS step_role
FROM main.access_request r
LEFT JOIN main.data_product p ON p.product_id = r.product_id
LEFT JOIN main.request_step cur ON cur.request_id = r.request_id AND cur.step_order = r.current_step
WHERE r.request_id = :request_id`

// LoadRequest reads the roles the engine must look up in the caller's
// session before the check: step_role (the current step's approver role)
// and owner_role (the product's owner role).
const LoadRequest = requestFacts

// identityUnavailable opens every check: no caller, no action.
const identityUnavailable = `WHEN COALESCE(:actor, '') = '' THEN 'IDENTITY_UNAVAILABLE'`

// requestColumns are the facts every request check returns with its code.
const requestColumns = `:actor AS actor, :request_id AS request_id, r.product_id, r.product_name, r.requester,
       r.access_role, r.owner_role, r.status, r.current_step, r.step_count, r.step_label, r.step_role`

// LockSubmissions serializes submissions: it is the first statement of the
// submit transaction, and an UPDATE holds its lock until the transaction
// ends, so that two concurrent submissions for the same product and person
// run their "no open request" check one after the other. An INSERT ...
// WHERE NOT EXISTS alone does not: INSERTs do not lock against each other on
// Snowflake (DOCS/sql-reference/transactions, "Resource locking").
const LockSubmissions = `UPDATE main.submit_lock SET locked_at = :now_ts WHERE lock_id = 1`

// CheckSubmit decides whether :actor may request :product_id.
const CheckSubmit = `
WITH p AS (SELECT COUNT(*) AS n, MAX(name) AS product_name FROM main.data_product WHERE product_id = :product_id),
     c AS (SELECT COUNT(*) AS n FROM main.approval_chain WHERE product_id = :product_id),
     o AS (SELECT MIN(request_id) AS open_request_id FROM main.access_request
           WHERE product_id = :product_id AND requester = :actor
             AND status IN ('PENDING', 'APPROVED', 'GRANTED', 'GRANT_FAILED')),
     d AS (SELECT COUNT(*) AS n FROM main.access_request WHERE request_id = :request_id)
SELECT CASE
           ` + identityUnavailable + `
           WHEN p.n = 0 THEN 'PRODUCT_NOT_FOUND'
           WHEN c.n = 0 THEN 'NO_CHAIN'
           WHEN o.open_request_id IS NOT NULL THEN 'OPEN_REQUEST_EXISTS'
           WHEN d.n > 0 THEN 'DUPLICATE_ID'
           ELSE 'OK'
       END AS code,
       :actor AS actor, :request_id AS request_id, :product_id AS product_id, p.product_name,
       :actor AS requester, c.n AS step_count, o.open_request_id
FROM p CROSS JOIN c CROSS JOIN o CROSS JOIN d`

// InsertRequest inserts the new request, PENDING at step 1, with as many
// steps as the product's chain has. It affects exactly one row.
const InsertRequest = `
INSERT INTO main.access_request (request_id, product_id, requester, business_reason, status,
                                 current_step, step_count, created_at, updated_at)
SELECT :request_id, :product_id, :actor, TRIM(:reason, ' ' || CHAR(9) || CHAR(10) || CHAR(11) || CHAR(12) || CHAR(13)), 'PENDING', 1,
       COUNT(*), :now_ts, :now_ts
FROM main.approval_chain WHERE product_id = :product_id`

// InsertSteps copies the product's chain into the request's steps: later
// changes to the chain never move a request in flight. It affects as many
// rows as the check counted steps.
const InsertSteps = `
INSERT INTO main.request_step (request_id, step_order, step_label, approver_role)
SELECT :request_id, step_order, step_label, approver_role
FROM main.approval_chain WHERE product_id = :product_id`

// CheckDecide decides whether :actor may decide the current step of
// :request_id, in the order of signoff.DecideRole (promise 2): the
// requester never decides, one person decides at most one step, and the
// step's role must be in the caller's session. :step_no is the step the
// caller saw (0: the current one). :step_role is the role the engine looked
// up in the caller's session (LoadRequest's step_role, read before this
// statement): if another decision moved the request on in between, the
// current step's role is another one, whose possession nobody checked, and
// the answer is CONFLICT.
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
           WHEN :actor = r.requester THEN 'OWN_REQUEST'
           WHEN mine.n > 0 THEN 'DECIDED_ANOTHER_STEP'
           WHEN :acting_as <> '' AND NOT :holds_acting_as THEN 'ACTING_AS_NOT_HELD'
           WHEN :acting_as <> '' AND :acting_as <> r.step_role THEN 'ACTING_AS_WRONG_ROLE'
           WHEN NOT :holds_step_role THEN 'ROLE_NOT_HELD'
           ELSE 'OK'
       END AS code,
       ` + requestColumns + `,
       :step_no AS seen_step, seen.seen_label, seen.seen_decided_by, seen.seen_decision, :acting_as AS acting_as
FROM r CROSS JOIN seen CROSS JOIN mine`

// AdvanceRequest is the compare-and-set at the heart of promise 3: it moves
// the request on only if it is still PENDING at :cur_step (the current step,
// as checked; not :step_no, which is the caller's argument and may be 0),
// the decider is not the requester and decided no other step, and
// :actor_role keys the undecided step. Of two racing deciders exactly
// one affects a row. The next status follows from the decision: REJECTED,
// APPROVED after the last step, or PENDING at the next one.
const AdvanceRequest = `
UPDATE main.access_request
SET status = CASE WHEN :decision = 'REJECTED' THEN 'REJECTED'
                  WHEN current_step = step_count THEN 'APPROVED'
                  ELSE 'PENDING' END,
    current_step = CASE WHEN :decision = 'APPROVED' AND current_step < step_count THEN current_step + 1
                        ELSE current_step END,
    updated_at = :now_ts
WHERE request_id = :request_id AND status = 'PENDING' AND current_step = :cur_step AND requester <> :actor
  AND NOT EXISTS (SELECT 1 FROM main.request_step WHERE request_id = :request_id AND decided_by = :actor)
  AND EXISTS (SELECT 1 FROM main.request_step WHERE request_id = :request_id AND step_order = :cur_step
                                                AND approver_role = :actor_role AND decision IS NULL)`

// RecordDecision writes the decision onto its step, once.
const RecordDecision = `
UPDATE main.request_step
SET decision = :decision, decided_by = :actor, acting_role = :actor_role,
    comment = NULLIF(TRIM(:comment_text, ' ' || CHAR(9) || CHAR(10) || CHAR(11) || CHAR(12) || CHAR(13)), ''),
    decided_at = :now_ts
WHERE request_id = :request_id AND step_order = :cur_step AND decision IS NULL`

// CheckWithdraw decides whether :actor may withdraw :request_id.
const CheckWithdraw = `
WITH r AS (` + requestFacts + `)
SELECT CASE
           ` + identityUnavailable + `
           WHEN r.n = 0 THEN 'NOT_FOUND'
           WHEN r.n > 1 THEN 'DUPLICATE_ID'
           WHEN :actor <> r.requester THEN 'NOT_REQUESTER'
           WHEN r.status <> 'PENDING' THEN 'WRONG_STATUS'
           ELSE 'OK'
       END AS code,
       ` + requestColumns + `
FROM r`

// WithdrawRequest moves a pending request to WITHDRAWN, for its requester.
const WithdrawRequest = `
UPDATE main.access_request SET status = 'WITHDRAWN', updated_at = :now_ts
WHERE request_id = :request_id AND status = 'PENDING' AND requester = :actor`

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
// of them the requester, each with its step's approver role) and its
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
                  SUM(CASE WHEN acting_role = approver_role THEN 0 ELSE 1 END) AS other_role
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
                CASE WHEN s.other_role > 0 THEN 'a step was not decided with its approver role; ' ELSE '' END,
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

// MarkGranted records a grant that ran; the compare-and-set makes a second,
// concurrent outcome for the same request affect no row.
const MarkGranted = `
UPDATE main.access_request SET status = 'GRANTED', updated_at = :now_ts
WHERE request_id = :request_id AND status IN ('APPROVED', 'GRANT_FAILED')`

// MarkGrantFailed records a grant that was refused or failed: visible and
// retryable, never a silent APPROVED (promise 4).
const MarkGrantFailed = `
UPDATE main.access_request SET status = 'GRANT_FAILED', updated_at = :now_ts
WHERE request_id = :request_id AND status IN ('APPROVED', 'GRANT_FAILED')`

// CheckRevoke decides whether :actor may revoke :request_id's access:
// admins and members of the product's owner role, for a GRANTED request.
// justified_by counts the requester's other GRANTED requests for products
// with the same access role: while one remains, the role stays.
const CheckRevoke = `
WITH r AS (` + requestFacts + `)
SELECT CASE
           ` + identityUnavailable + `
           WHEN r.n = 0 THEN 'NOT_FOUND'
           WHEN r.n > 1 THEN 'DUPLICATE_ID'
           WHEN NOT :is_admin AND NOT :holds_owner_role THEN 'NOT_ADMIN_OR_OWNER'
           WHEN r.status <> 'GRANTED' THEN 'WRONG_STATUS'
           ELSE 'OK'
       END AS code,
       ` + requestColumns + `,
       'REVOKE ROLE "' || REPLACE(COALESCE(r.access_role, ''), '"', '""') || '" FROM USER "' ||
           REPLACE(COALESCE(r.requester, ''), '"', '""') || '"' AS revoke_statement,
       (SELECT COUNT(*) FROM main.access_request o JOIN main.data_product op ON op.product_id = o.product_id
        WHERE o.requester = r.requester AND op.access_role = r.access_role AND o.status = 'GRANTED'
          AND o.request_id <> :request_id) AS justified_by
FROM r`

// MarkRevoked records a revocation, once.
const MarkRevoked = `
UPDATE main.access_request SET status = 'REVOKED', updated_at = :now_ts
WHERE request_id = :request_id AND status = 'GRANTED'`

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
