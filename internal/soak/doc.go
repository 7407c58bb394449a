// Package soak holds Signoff's multi-instance soak test (soak_test.go): two
// "signoff serve" processes share one embedded database file while many
// approvers race each other through both, and the database is then checked
// against promises 3 and 4 of docs/design.md (every step decided exactly once,
// every change audited exactly once, every final approval granted).
//
// The package has no code of its own. Its size is set by environment
// variables (see soak_test.go): "make test" runs it small, "make soak" large.
package soak
