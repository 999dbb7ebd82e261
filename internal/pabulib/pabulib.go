// Package pabulib reads and writes participatory-budgeting files in the
// pabulib .pb format (sections META, PROJECTS and VOTES, fields separated
// by semicolons), as published at pabulib.org. It reads approval ballots
// only, the kind budget.md counts. It imports the standard library only.
package pabulib

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// MaxProjects and MaxVotes bound what Parse accepts.
const (
	MaxProjects = 1000
	MaxVotes    = 10_000_000
)

// File is a parsed .pb file.
type File struct {
	Meta     []Field // in file order
	Projects []Project
	Votes    []Vote
}

// Field is one key;value row of the META section.
type Field struct{ Key, Value string }

// Project is one row of the PROJECTS section. Name is "" when the file has
// no name column.
type Project struct {
	ID   string
	Cost int64
	Name string
}

// Vote is one row of the VOTES section: a voter and the ids of the
// projects it approves, in the order the file lists them.
type Vote struct {
	Voter    string
	Projects []string
}

// Get returns the value of a META key, or "".
func (f *File) Get(key string) string {
	for _, m := range f.Meta {
		if m.Key == key {
			return m.Value
		}
	}
	return ""
}

// Budget returns the META budget as an integer.
func (f *File) Budget() (int64, error) {
	b, err := parseAmount(f.Get("budget"))
	if err != nil {
		return 0, fmt.Errorf("META budget: %w", err)
	}
	return b, nil
}

// Parse reads a .pb file. It refuses a vote_type other than approval, a
// missing or non-integer budget or cost, repeated project or voter ids,
// and votes naming projects the file does not list; errors name the line.
func Parse(r io.Reader) (*File, error) {
	cr := csv.NewReader(r)
	cr.Comma = ';'
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	f := &File{}
	section := ""
	var header []string
	projects := map[string]bool{}
	voters := map[string]bool{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("pabulib: %w", err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) == 1 {
			if s := strings.TrimSpace(rec[0]); s == "META" || s == "PROJECTS" || s == "VOTES" {
				if s == "PROJECTS" && section != "META" || s == "VOTES" && section != "PROJECTS" || s == "META" && section != "" {
					return nil, fmt.Errorf("pabulib: line %d: section %s out of order (want META, PROJECTS, VOTES)", line, s)
				}
				section, header = s, nil
				continue
			}
		}
		if section == "" {
			return nil, fmt.Errorf("pabulib: line %d: want the META section first", line)
		}
		if header == nil {
			header = make([]string, len(rec))
			for i, h := range rec {
				header[i] = strings.TrimSpace(h)
			}
			continue
		}
		if len(rec) != len(header) {
			return nil, fmt.Errorf("pabulib: line %d: %d fields, the %s header has %d", line, len(rec), section, len(header))
		}
		row := func(col string) (string, bool) {
			for i, h := range header {
				if h == col {
					return strings.TrimSpace(rec[i]), true
				}
			}
			return "", false
		}
		switch section {
		case "META":
			if len(rec) != 2 {
				return nil, fmt.Errorf("pabulib: line %d: META rows are key;value", line)
			}
			f.Meta = append(f.Meta, Field{Key: strings.TrimSpace(rec[0]), Value: strings.TrimSpace(rec[1])})
			if f.Meta[len(f.Meta)-1].Key == "vote_type" {
				if vt := f.Meta[len(f.Meta)-1].Value; vt != "approval" {
					return nil, fmt.Errorf("pabulib: line %d: vote_type %q is not supported (only approval ballots can be counted)", line, vt)
				}
			}
		case "PROJECTS":
			id, ok := row("project_id")
			costText, okc := row("cost")
			if !ok || !okc {
				return nil, fmt.Errorf("pabulib: line %d: PROJECTS needs the columns project_id and cost", line)
			}
			if id == "" || projects[id] {
				return nil, fmt.Errorf("pabulib: line %d: project id %q is empty or repeated", line, id)
			}
			cost, err := parseAmount(costText)
			if err != nil || cost < 1 {
				return nil, fmt.Errorf("pabulib: line %d: project %s: cost %q is not a positive integer", line, id, costText)
			}
			if len(f.Projects) == MaxProjects {
				return nil, fmt.Errorf("pabulib: line %d: more than %d projects", line, MaxProjects)
			}
			name, _ := row("name")
			projects[id] = true
			f.Projects = append(f.Projects, Project{ID: id, Cost: cost, Name: name})
		case "VOTES":
			voter, ok := row("voter_id")
			list, okv := row("vote")
			if !ok || !okv {
				return nil, fmt.Errorf("pabulib: line %d: VOTES needs the columns voter_id and vote", line)
			}
			if voter == "" || voters[voter] {
				return nil, fmt.Errorf("pabulib: line %d: voter id %q is empty or repeated", line, voter)
			}
			if len(f.Votes) == MaxVotes {
				return nil, fmt.Errorf("pabulib: line %d: more than %d votes", line, MaxVotes)
			}
			voters[voter] = true
			v := Vote{Voter: voter, Projects: []string{}}
			if list != "" {
				for _, p := range strings.Split(list, ",") {
					p = strings.TrimSpace(p)
					if !projects[p] {
						return nil, fmt.Errorf("pabulib: line %d: voter %s approves %q, which PROJECTS does not list", line, voter, p)
					}
					for _, q := range v.Projects {
						if q == p {
							return nil, fmt.Errorf("pabulib: line %d: voter %s approves %s twice", line, voter, p)
						}
					}
					v.Projects = append(v.Projects, p)
				}
			}
			f.Votes = append(f.Votes, v)
		}
	}
	if section != "VOTES" {
		return nil, fmt.Errorf("pabulib: want the sections META, PROJECTS and VOTES")
	}
	if vt := f.Get("vote_type"); vt != "approval" {
		return nil, fmt.Errorf("pabulib: META vote_type is %q, want approval", vt)
	}
	if _, err := f.Budget(); err != nil {
		return nil, fmt.Errorf("pabulib: %w", err)
	}
	return f, nil
}

// parseAmount reads a non-negative integer amount; a decimal point with
// only zeros after it ("1000.0", as some files write) is accepted.
func parseAmount(s string) (int64, error) {
	if whole, frac, ok := strings.Cut(s, "."); ok && frac != "" && strings.Trim(frac, "0") == "" {
		s = whole
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > 1<<53-1 {
		return 0, fmt.Errorf("%q is not an integer from 0 to 2^53-1", s)
	}
	return n, nil
}

// Write writes f as a .pb file that Parse reads back to an equal File.
// PROJECTS has the columns project_id, cost and name; VOTES voter_id and
// vote.
func Write(w io.Writer, f *File) error {
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	cw.Comma = ';'
	put := func(rec ...string) { _ = cw.Write(rec) }
	put("META")
	put("key", "value")
	for _, m := range f.Meta {
		put(m.Key, m.Value)
	}
	put("PROJECTS")
	put("project_id", "cost", "name")
	for _, p := range f.Projects {
		put(p.ID, strconv.FormatInt(p.Cost, 10), p.Name)
	}
	put("VOTES")
	put("voter_id", "vote")
	for _, v := range f.Votes {
		put(v.Voter, strings.Join(v.Projects, ","))
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("pabulib: write: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}
