// Package loadtest measures Koinon at scale: it seeds communities and
// ballots directly in the store (batched inserts), drives vote casting
// over HTTP against the real server from a small bounded client, compares
// it with plain gorm inserts into the same database, times the close of a
// large ballot with its peak memory, times page loads, and writes the
// generated part of docs/benchmarks.md.
//
// It only ever sends traffic to loopback addresses. It imports store,
// auth, web and closing; nothing imports it except cmd/koinon.
package loadtest
