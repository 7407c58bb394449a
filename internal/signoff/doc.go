// Package signoff holds Signoff's domain: data products, approval chains,
// access requests, their lifecycle and the rules that govern who may do what.
//
// It knows nothing of HTTP or SQL. The Service applies the rules and calls a
// Store, which each engine (the embedded SQLite engine, Snowflake) implements.
// The promises in DESIGN.md are enforced twice: here, to give a clear message,
// and again in the store's compare-and-set statements, so that a race between
// two instances can never break them.
package signoff
