// Package clog owns a community's append-only log (docs/spec/log.md): the
// bytes of its entries, RFC 6962 hashing and proofs (golang.org/x/mod's
// sumdb/tlog underneath), C2SP tlog-checkpoint signed notes
// (golang.org/x/mod's sumdb/note), the C2SP tlog-tiles read layout, C2SP
// tlog-cosignature cosignatures, and the core of a C2SP tlog-witness.
//
// It is pure: no database, HTTP or clock except through arguments. Hashes
// live behind Storage, so the server can keep them in its database and tests
// in memory. A log has one writer; Log is not safe for concurrent appends.
package clog
