package sqlstore

import (
	"fmt"
	"strings"

	"github.com/signoff/signoff/internal/signoff"
)

// The chain policy's administration (signoff/policy.go): the checks and
// writes of a policy save, one text for both engines, as products.go's.
// A save is: LockSubmissions (saves take turns with submissions, which copy
// the policy), CheckSavePolicy, DeletePolicy and one InsertPolicyStep per
// rule, and the POLICY_SAVED event (AppendEvent, with no request and no
// product) whose details are SelectPolicyDetails: the hash of the rows it
// wrote, which the verifier compares with the rows as they are.

// CheckSavePolicy decides whether :actor may save a policy needing
// :policy_approvals approvals in all: an admin (:is_admin, from the
// caller's session), and no product whose own rules with the policy's would
// need more than signoff.MaxChainSteps (CHAIN_TOO_LONG, naming the first
// such product).
var CheckSavePolicy = `
WITH t AS (SELECT p.product_id, MAX(p.name) AS name, COALESCE(SUM(COALESCE(c.quorum, 1)), 0) AS n
           FROM main.data_product p LEFT JOIN main.approval_chain c ON c.product_id = p.product_id
           GROUP BY p.product_id),
     too_long AS (SELECT MIN(product_id) AS product_id FROM t WHERE t.n + :policy_approvals > ` + fmt.Sprint(signoff.MaxChainSteps) + `)
SELECT CASE
           ` + identityUnavailable + `
           WHEN NOT :is_admin THEN 'NOT_ADMIN'
           WHEN too_long.product_id IS NOT NULL THEN 'CHAIN_TOO_LONG'
           ELSE 'OK'
       END AS code,
       :actor AS actor, too_long.product_id AS product_id,
       (SELECT MAX(name) FROM t WHERE t.product_id = too_long.product_id) AS product_name
FROM too_long`

// DeletePolicy removes the policy's rules before the new ones are written.
// Requests keep their copies (request_step).
const DeletePolicy = `DELETE FROM main.chain_policy`

// InsertPolicyStep writes rule :step_no of the policy; it affects one row.
const InsertPolicyStep = `
INSERT INTO main.chain_policy (step_order, approver_role, step_label, deadline_hours, fallback_role, step_kind,
                               when_tag, quorum)
SELECT :step_no, :approver_role, :step_label, NULLIF(:deadline_hours, 0), NULLIF(:step_fallback_role, ''),
       :step_kind, NULLIF(:when_tag, ''), :quorum`

// PolicyFingerprint is SQL yielding one row, fingerprint: the policy's
// rules as one text, each value length-prefixed as CatalogFingerprint's,
// one position at a time up to signoff.MaxChainSteps, after the number of
// rows. A save's event records its hash (SelectPolicyDetails); the verifier
// recomputes it, so a rule changed behind the app's back is reported.
// prefix is "main." for the procedures' tables, "" for the verifier.
func PolicyFingerprint(prefix string) string {
	lp := func(expr string) string {
		return "CAST(LENGTH(" + expr + ") AS VARCHAR) || ':' || " + expr
	}
	var rules []string
	for k := 1; k <= signoff.MaxChainSteps; k++ {
		rule := []string{"c.approver_role", "c.step_label", "CAST(COALESCE(c.deadline_hours, 0) AS VARCHAR)",
			"COALESCE(c.fallback_role, '')", "c.step_kind", "COALESCE(c.when_tag, '')", "CAST(c.quorum AS VARCHAR)"}
		var ps []string
		for _, f := range rule {
			ps = append(ps, lp(f))
		}
		rules = append(rules, fmt.Sprintf("COALESCE(MAX(CASE WHEN c.step_order = %d THEN %s END), '')", k, strings.Join(ps, " || ")))
	}
	return `SELECT CAST(COUNT(*) AS VARCHAR) || '|' ||
       ` + strings.Join(rules, " ||\n       ") + ` AS fingerprint
FROM ` + prefix + `chain_policy c`
}

// PolicyDetails is SQL for a POLICY_SAVED event's details over a
// PolicyFingerprint row pf.
const PolicyDetails = `'policy=' || SHA2(pf.fingerprint, 256)`

// SelectPolicyDetails is the details of the POLICY_SAVED event of the rows
// a save just wrote.
var SelectPolicyDetails = `SELECT ` + PolicyDetails + ` AS details FROM (` + PolicyFingerprint("main.") + `) pf`

// PolicyApprovals is how many approvals rules need in all, which
// CheckSavePolicy binds as :policy_approvals.
func PolicyApprovals(rules []signoff.DefinitionStep) int {
	n := 0
	for _, st := range rules {
		n += max(st.Quorum, 1)
	}
	return n
}
