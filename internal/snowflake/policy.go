package snowflake

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/signoff/signoff/internal/signoff"
)

// The chain policy's administration on Snowflake (signoff/policy.go): a
// save is one CALL of SET_CHAIN_POLICY in the admin's own caller's-rights
// session, which checks SIGNOFF_ADMIN there and the rules again.

var _ signoff.PolicyStore = (*Store)(nil)

// SavePolicy replaces the chain policy: SET_CHAIN_POLICY in the admin's
// session, the rules as a JSON array. A save forgets this process's
// catalog cache (products carry the policy), so the admin's next page
// shows it; other instances show it when their cache expires.
func (s *Store) SavePolicy(ctx context.Context, actor signoff.Identity, c signoff.SavePolicyCall) (signoff.Outcome, error) {
	rules := c.Rules
	if rules == nil {
		rules = []signoff.DefinitionStep{}
	}
	b, err := json.Marshal(rules)
	if err != nil {
		return signoff.Outcome{}, fmt.Errorf("save chain policy: encode rules: %w", err)
	}
	o, err := s.call(ctx, "save chain policy", actor, s.api.policy, string(b), ids(c.EventIDs), c.DryRun)
	if err == nil && o.Code == signoff.CodeOK {
		s.reads.ForgetCatalog()
	}
	return o, err
}
