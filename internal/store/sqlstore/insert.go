package sqlstore

import (
	"strings"

	"gorm.io/gorm"
)

// execRaw runs q (? placeholders) in tx and returns the rows it changed:
// on the transaction's connection itself (jobConn), as queryRow does,
// without gorm's statement building. Its errors are translated as gorm's
// are (a duplicate is gorm.ErrDuplicatedKey, which wrap makes
// ErrConflict).
func execRaw(tx *gorm.DB, q string, args ...any) (int64, error) {
	if tx.Dialector.Name() == "postgres" {
		q = numberPlaceholders(q)
	}
	conn, err := jobConn(tx)
	if err != nil {
		return 0, err
	}
	res, err := conn.ExecContext(tx.Statement.Context, q, args...)
	if err != nil {
		if t, ok := tx.Dialector.(gorm.ErrorTranslator); ok {
			err = t.Translate(err)
		}
		return 0, err
	}
	return res.RowsAffected()
}

// insertChunk is how many rows one of insertRows's INSERTs holds.
const insertChunk = 200

// insertRows inserts n rows into table, with the values row(i, args)
// appends for the columns cols, in multi-row INSERTs of up to insertChunk
// rows (execRaw). It is what gorm's CreateInBatches sends, without the
// reflection and the statement it builds for every call: the end of
// every batch stores its log entries, hashes, statements and events this
// way.
func insertRows(tx *gorm.DB, table string, cols []string, n int, row func(i int, args []any) []any) error {
	args := make([]any, 0, min(n, insertChunk)*len(cols))
	for lo := 0; lo < n; lo += insertChunk {
		hi := min(lo+insertChunk, n)
		args = args[:0]
		for i := lo; i < hi; i++ {
			args = row(i, args)
		}
		if _, err := execRaw(tx, insertSQL(table, cols, hi-lo), args...); err != nil {
			return err
		}
	}
	return nil
}

// insertSQL is the INSERT of rows rows into table's columns cols.
func insertSQL(table string, cols []string, rows int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO ")
	b.WriteString(table)
	b.WriteString(" (")
	b.WriteString(strings.Join(cols, ", "))
	b.WriteString(") VALUES ")
	one := "(" + strings.Repeat("?, ", len(cols)-1) + "?)"
	for i := range rows {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(one)
	}
	return b.String()
}
