// Package storetest is the contract suite that every engine must pass: its
// reads (signoff.Reads) and its actions (signoff.Engine). It drives the
// workflow through signoff.Service, as the app does, and calls the engine's
// actions directly where the engine's own checks are what keep the promises
// (docs/design.md): the Service checks only the shape of what people type,
// and a caller of the Snowflake API procedures never passes through it at
// all. Each file holds the tests of one behaviour; fixture.go the shared
// set-up.
//
// An engine's tests call Run with a function that opens a fresh, empty
// engine:
//
//	storetest.Run(t, func(t *testing.T) storetest.Harness {
//		st := openEmptyStore(t)
//		return storetest.Harness{Reads: st.Reads(), Engine: st, Account: st}
//	})
package storetest

import (
	"context"
	"testing"

	"github.com/signoff/signoff/internal/demo"
	"github.com/signoff/signoff/internal/signoff"
)

// Account is the engine's local account, as the suite sets it up: what
// the demo loads with (users, roles, role hierarchy, products, identity),
// and DropRole. The embedded engine's *sqlite.Store implements it.
type Account interface {
	demo.Account
	// DropRole removes a role and every grant of it (DROP ROLE).
	DropRole(ctx context.Context, role string) error
}

// Harness is one engine under test, fresh and empty: its reads, its
// actions, and the Account its grants land in.
type Harness struct {
	Reads   signoff.Reads
	Engine  signoff.Engine
	Account Account
	// Products is the engine's catalog administration (SaveProduct and
	// the versions).
	Products signoff.ProductStore
	// Managers is the engine's directory of managers (manager steps).
	Managers signoff.Managers
	// Policies is the engine's chain policy administration.
	Policies signoff.PolicyStore
}

// Run runs the contract suite as subtests of t. open is called once per
// subtest and must return a fresh, empty harness, registering its own
// cleanup with t.Cleanup. Some subtests race goroutines against each other,
// so an engine should also be run on a real file to exercise its locking.
func Run(t *testing.T, open func(t *testing.T) Harness) {
	tests := []struct {
		name string
		fn   func(t *testing.T, f *fixture)
	}{
		{"Catalog", testCatalog},
		{"Account", testAccount},
		{"Submit", testSubmit},
		{"Requests", testRequests},
		{"WalkChainToGrant", testWalkChainToGrant},
		{"SeparationOfDuties", testSeparationOfDuties},
		{"Reject", testReject},
		{"ActionRules", testActionRules},
		{"ConcurrentDecisions", testConcurrentDecisions},
		{"ConcurrentSubmissions", testConcurrentSubmissions},
		{"GrantFailureAndRetry", testGrantFailureAndRetry},
		{"GrantGuard", testGrantGuard},
		{"Withdraw", testWithdraw},
		{"Revoke", testRevoke},
		{"Events", testEvents},
		{"Queue", testQueue},
		{"QueuePages", testQueuePages},
		{"BadInputChangesNothing", testBadInputChangesNothing},
		{"UserNames", testUserNames},
		{"TimeBoundAccess", testTimeBoundAccess},
		{"ExpiryKeepsAJustifiedRole", testExpiryKeepsAJustifiedRole},
		{"RequestChanges", testRequestChanges},
		{"Escalation", testEscalation},
		{"PendingExpiry", testPendingExpiry},
		{"SchedulersRunOnce", testSchedulersRunOnce},
		{"Extensions", testExtensions},
		{"ChainRules", testChainRules},
		{"ChainTooLong", testChainTooLong},
		{"Reviews", testReviews},
		{"ScheduledReviews", testScheduledReviews},
		{"ConcurrentReviews", testConcurrentReviews},
		{"Grants", testGrants},
		{"AllRequests", testAllRequests},
		{"ProductAdmin", testProductAdmin},
		{"ProductSaveWithPolicy", testProductSaveWithPolicy},
		{"ProductReviewSettings", testProductReviewSettings},
		{"PolicyAdmin", testPolicyAdmin},
		{"Directory", testDirectory},
		{"ManagerSteps", testManagerSteps},
		{"ManagerStepEscalates", testManagerStepEscalates},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fn(t, setup(t, open(t)))
		})
	}
}
