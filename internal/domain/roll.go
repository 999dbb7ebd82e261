package domain

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// RollLine is one valid line of a roll file: a citizen, by handle, with
// the role and weight they should have. Email and DisplayName are used
// only when the handle is new (the citizen is then created and invited).
type RollLine struct {
	Line        int
	Handle      string
	Email       string
	DisplayName string
	Role        string
	Weight      int64
}

// LineError is why one line of a roll file was refused. Line 0 is the
// file as a whole.
type LineError struct {
	Line    int    `json:"line"`
	Handle  string `json:"handle,omitempty"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

func (e LineError) Error() string {
	if e.Line == 0 {
		return e.Message
	}
	return fmt.Sprintf("line %d: %s", e.Line, e.Message)
}

// MaxRollLines bounds a roll file.
const MaxRollLines = 200_000

var rollColumns = []string{"handle", "email", "display_name", "role", "weight"}

// ParseRoll reads a roll file: CSV with the columns handle, email,
// display_name, role, weight. A first line naming the columns is a header
// (then columns may come in any order and all but handle may be left
// out); without one the columns are in that order and trailing ones may
// be left out. Role defaults to member and weight to 1. Every bad line is
// reported, with its number; good lines are returned either way, but a
// caller must apply nothing while errs is not empty.
func ParseRoll(r io.Reader) (lines []RollLine, errs []LineError) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, []LineError{{Message: "the file could not be read: " + err.Error()}}
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = true
	cols := map[string]int{}
	for i, c := range rollColumns {
		cols[c] = i
	}
	seen := map[string]int{}
	first := true
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			errs = append(errs, LineError{Line: pe.StartLine, Message: "not valid CSV: " + pe.Err.Error()})
			if len(errs) > 1000 {
				break
			}
			continue
		}
		if err != nil {
			errs = append(errs, LineError{Message: err.Error()})
			break
		}
		line, _ := cr.FieldPos(0)
		if first {
			first = false
			if isRollHeader(rec) {
				cols, err = headerColumns(rec)
				if err != nil {
					return nil, []LineError{{Line: line, Message: err.Error()}}
				}
				continue
			}
		}
		if len(lines)+len(errs) >= MaxRollLines {
			errs = append(errs, LineError{Line: line, Message: fmt.Sprintf("the file has more than %d lines", MaxRollLines)})
			break
		}
		l, lerr := parseRollRecord(line, rec, cols)
		if lerr != nil {
			errs = append(errs, *lerr)
			continue
		}
		if prev, dup := seen[l.Handle]; dup {
			errs = append(errs, LineError{Line: line, Handle: l.Handle, Field: "handle", Message: fmt.Sprintf("handle %s is already on line %d", l.Handle, prev)})
			continue
		}
		seen[l.Handle] = line
		lines = append(lines, l)
	}
	if len(lines) == 0 && len(errs) == 0 {
		errs = append(errs, LineError{Message: "the file has no roll lines"})
	}
	return lines, errs
}

// isRollHeader: a first line with a field "handle" is a header (a
// citizen's handle is never the word itself in a roll's first line).
func isRollHeader(rec []string) bool {
	for _, f := range rec {
		if strings.EqualFold(strings.TrimSpace(f), "handle") {
			return true
		}
	}
	return false
}

func slicesContains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func headerColumns(rec []string) (map[string]int, error) {
	cols := map[string]int{}
	for i, h := range rec {
		name := strings.ToLower(strings.TrimSpace(h))
		if !slicesContains(rollColumns, name) {
			return nil, fmt.Errorf("unknown column %s in the header: use %s", Quote(h), strings.Join(rollColumns, ","))
		}
		if _, dup := cols[name]; dup {
			return nil, fmt.Errorf("column %s appears twice in the header", Quote(name))
		}
		cols[name] = i
	}
	if _, ok := cols["handle"]; !ok {
		return nil, errors.New("the header has no handle column")
	}
	return cols, nil
}

func parseRollRecord(line int, rec []string, cols map[string]int) (RollLine, *LineError) {
	get := func(name string) string {
		i, ok := cols[name]
		if !ok || i >= len(rec) {
			return ""
		}
		return strings.TrimSpace(rec[i])
	}
	width := 0
	for _, i := range cols {
		width = max(width, i+1)
	}
	if len(rec) > width {
		return RollLine{}, &LineError{Line: line, Message: fmt.Sprintf("%d columns, at most %d expected (%s)", len(rec), width, strings.Join(rollColumns, ","))}
	}
	l := RollLine{Line: line, Handle: NormalizeHandle(get("handle")), Email: NormalizeEmail(get("email")),
		DisplayName: get("display_name"), Role: strings.ToLower(get("role")), Weight: 1}
	fail := func(err error) *LineError {
		le := &LineError{Line: line, Handle: l.Handle, Message: err.Error()}
		var inv *Invalid
		if errors.As(err, &inv) {
			le.Field = inv.Field
		}
		return le
	}
	if err := CheckHandle(l.Handle); err != nil {
		return l, fail(err)
	}
	if err := CheckEmail("email", l.Email, false); err != nil {
		return l, fail(err)
	}
	if err := CheckLine("display_name", l.DisplayName, false, MaxDisplayName); err != nil {
		return l, fail(err)
	}
	if l.Role == "" {
		l.Role = RoleMember
	} else if !ValidRole(l.Role) {
		return l, fail(Refuse("role", "role_named", Quote(l.Role)))
	}
	if w := get("weight"); w != "" {
		n, err := strconv.ParseInt(w, 10, 64)
		if err != nil {
			return l, fail(Refuse("weight", "weight_number", Quote(w)))
		}
		if err := CheckWeight("weight", n); err != nil {
			return l, fail(err)
		}
		l.Weight = n
	}
	return l, nil
}

// FormatRoll writes lines as a roll file with a header (the inverse of
// ParseRoll).
func FormatRoll(w io.Writer, lines []RollLine) error {
	cw := csv.NewWriter(w)
	cw.Write(rollColumns)
	for _, l := range lines {
		cw.Write([]string{l.Handle, l.Email, l.DisplayName, l.Role, strconv.FormatInt(l.Weight, 10)})
	}
	cw.Flush()
	return cw.Error()
}
