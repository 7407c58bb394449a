// Package signoff holds Signoff's domain: data products, approval chains,
// access requests, their lifecycle and the rules that govern who may do
// what, and the sentences people read about them.
//
// It knows nothing of HTTP or SQL. The Service applies the rules, reads
// pages through Reads and applies actions through an Engine, the one thing
// that differs between the embedded SQLite engine and Snowflake. The
// promises in docs/design.md are checked twice: here, to give a clear
// message before anything runs, and again by the engine in the action
// itself, for whoever calls it, so that neither a race between instances
// nor a caller who bypasses the app can break them.
package signoff
