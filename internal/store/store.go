// Package store owns Koinon's stored records and what callers share about
// them: the row types (gorm tags are plain struct tags, no import), states,
// kinds, errors (ErrNotFound, ErrConflict) and pure helpers such as
// ParseScopeKey and CheckLog. It holds no SQL and opens no database, so
// web and the other callers can name records without linking a database
// driver. It imports domain and statement for shared types, and
// must not import gorm, database drivers, web, closing or any HTTP package;
// store/sqlstore implements the queries.
package store

import "errors"

// Errors callers branch on with errors.Is.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("conflict")
)
