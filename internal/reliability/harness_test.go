package reliability

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"koinon/internal/auth"
	"koinon/internal/domain"
	"koinon/internal/store"
	"koinon/internal/store/sqlstore"
	"koinon/internal/store/storetest"
	"koinon/internal/testbin"
)

// stress reports whether the long forms run (make stress).
var stress = os.Getenv("KOINON_STRESS") == "1"

// size picks the short or the long form of a parameter.
func size[T any](short, long T) T {
	if stress {
		return long
	}
	return short
}

// report collects the summaries written to docs/reliability.md by
// make stress (KOINON_STRESS_REPORT names the file).
var report struct {
	mu    sync.Mutex
	lines []string
}

func summary(t *testing.T, format string, args ...any) {
	line := fmt.Sprintf("| %s | %s |", t.Name(), fmt.Sprintf(format, args...))
	t.Log(line)
	report.mu.Lock()
	report.lines = append(report.lines, line)
	report.mu.Unlock()
}

func TestMain(m *testing.M) {
	code := m.Run()
	testbin.Cleanup()
	if path := os.Getenv("KOINON_STRESS_REPORT"); path != "" && len(report.lines) > 0 {
		if err := writeReport(path); err != nil {
			fmt.Fprintln(os.Stderr, "stress report:", err)
			code = 1
		}
	}
	os.Exit(code)
}

const (
	reportBegin = "<!-- stress-report:begin (written by make stress) -->"
	reportEnd   = "<!-- stress-report:end -->"
)

// writeReport replaces the generated section of the doc at path.
func writeReport(path string) error {
	doc, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	sort.Strings(report.lines)
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\nLast run: %s, `make stress` (KOINON_STRESS=1), database(s): SQLite%s.\n\n",
		reportBegin, time.Now().UTC().Format("2006-01-02 15:04 UTC"), map[bool]string{true: " and PostgreSQL", false: " only"}[os.Getenv("KOINON_TEST_POSTGRES") != ""])
	b.WriteString("| test | outcome |\n| --- | --- |\n")
	for _, l := range report.lines {
		b.WriteString(l + "\n")
	}
	b.WriteString("\n" + reportEnd)
	s := string(doc)
	i, j := strings.Index(s, reportBegin), strings.Index(s, reportEnd)
	if i < 0 || j < i {
		s = strings.TrimRight(s, "\n") + "\n\n" + b.String() + "\n"
	} else {
		s = s[:i] + b.String() + s[j+len(reportEnd):]
	}
	return os.WriteFile(path, []byte(s), 0o644)
}

// koinonBinary builds cmd/koinon once per test run.
func koinonBinary(t *testing.T) string { return testbin.Koinon(t) }

// runKoinon runs a koinon subcommand to completion.
func runKoinon(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(koinonBinary(t), args...)
	cmd.Env = cleanEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("koinon %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "KOINON_") {
			env = append(env, kv)
		}
	}
	return env
}

// logBuffer is a process's stderr, safe to read while it is written.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// server is a running `koinon serve`.
type server struct {
	t    *testing.T
	cmd  *exec.Cmd
	URL  string
	Log  *logBuffer
	done chan struct{}
}

var servingRE = regexp.MustCompile(`url=(http://127\.0\.0\.1:\d+)`)

// startServer runs `koinon serve --addr 127.0.0.1:0 --data dir` and waits
// until it listens. extra adds flags (--database URL).
func startServer(t *testing.T, dir string, extra ...string) *server {
	t.Helper()
	args := append([]string{"serve", "--addr", "127.0.0.1:0", "--data", dir}, extra...)
	cmd := exec.Command(koinonBinary(t), args...)
	cmd.Env = cleanEnv()
	s := &server{t: t, cmd: cmd, Log: &logBuffer{}, done: make(chan struct{})}
	cmd.Stderr, cmd.Stdout = s.Log, s.Log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { cmd.Wait(); close(s.done) }()
	t.Cleanup(func() { s.kill() })
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if m := servingRE.FindStringSubmatch(s.Log.String()); m != nil {
			s.URL = m[1]
			return s
		}
		select {
		case <-s.done:
			t.Fatalf("koinon serve exited early:\n%s", s.Log.String())
		case <-time.After(5 * time.Millisecond):
		}
	}
	t.Fatalf("koinon serve did not start:\n%s", s.Log.String())
	return nil
}

// kill sends SIGKILL and waits for the process to go.
func (s *server) kill() {
	select {
	case <-s.done:
		return
	default:
	}
	s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.done
}

// stop asks for a graceful shutdown (SIGTERM) and waits.
func (s *server) stop() {
	select {
	case <-s.done:
		return
	default:
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(20 * time.Second):
		s.kill()
	}
}

// client is an HTTP client for many concurrent requests to one host.
var client = &http.Client{
	Timeout:       60 * time.Second,
	Transport:     &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 0},
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// do sends one JSON request and returns status and body (status 0: the
// request failed in transport, err says how).
func do(ctx context.Context, method, url, token string, body any) (int, []byte, error) {
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		r = bytes.NewReader(b)
	case string:
		r = strings.NewReader(b)
	default:
		data, _ := json.Marshal(b)
		r = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, r)
	if err != nil {
		return 0, nil, err
	}
	if r != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, nil, err
	}
	return res.StatusCode, data, nil
}

// statusCounts counts responses by status (0: transport error).
type statusCounts struct {
	mu sync.Mutex
	m  map[int]int
}

func (s *statusCounts) add(status int) {
	s.mu.Lock()
	if s.m == nil {
		s.m = map[int]int{}
	}
	s.m[status]++
	s.mu.Unlock()
}

func (s *statusCounts) total() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, v := range s.m {
		n += v
	}
	return n
}

func (s *statusCounts) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([]int, 0, len(s.m))
	for k := range s.m {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	var parts []string
	for _, k := range keys {
		name := fmt.Sprint(k)
		if k == 0 {
			name = "transport error"
		}
		parts = append(parts, fmt.Sprintf("%s: %d", name, s.m[k]))
	}
	return strings.Join(parts, ", ")
}

func (s *statusCounts) serverErrors() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for k, v := range s.m {
		if k >= 500 {
			n += v
		}
	}
	return n
}

// electorate is a seeded community with an open majority ballot.
type electorate struct {
	Community store.Community
	Ballot    store.Ballot
	Board     store.Citizen
	Voters    []store.Citizen // members with weight 1 who vote in the test
	Tokens    map[string]string
}

// seedOptions shape seed.
type seedOptions struct {
	Voters   int
	Silent   int // extra roll members who never vote (a heavier close)
	Delegate bool
	ClosesIn time.Duration
	Secrecy  string
}

// seed builds, directly through the store, a public community "commons"
// with a board member, voters and an open majority ballot, and issues an
// access token per citizen with tokens.
func seed(t testing.TB, st *sqlstore.Store, tokens *auth.Tokens, o seedOptions) *electorate {
	t.Helper()
	ctx := context.Background()
	w := storetest.NewWorld(t, st)
	e := &electorate{Tokens: map[string]string{}}
	e.Community = w.Community("commons")
	e.Board = w.Citizen("board")
	w.Member(e.Community.ID, domain.RoleBoard, 1, "board")
	now := time.Now().UTC()
	var cs []store.Citizen
	for i := range o.Voters + o.Silent {
		h := fmt.Sprintf("v%05d", i)
		cs = append(cs, store.Citizen{Handle: h, DisplayName: h, Email: h + "@example.org", TokenVersion: 1, CreatedAt: now})
	}
	if len(cs) > 0 {
		if err := st.SeedRows(context.Background(), &cs); err != nil {
			t.Fatal(err)
		}
		ms := make([]store.Membership, len(cs))
		for i, c := range cs {
			ms[i] = store.Membership{CommunityID: e.Community.ID, CitizenID: c.ID, Role: domain.RoleMember, Weight: 1, StartedAt: now}
		}
		if err := st.SeedRows(context.Background(), &ms); err != nil {
			t.Fatal(err)
		}
	}
	e.Voters = cs[:o.Voters]
	if o.Delegate {
		// Every fourth voter delegates to the next two voters.
		for i, c := range e.Voters {
			if i%4 == 0 && i+2 < len(e.Voters) {
				if err := st.SetDelegation(ctx, c.ID, store.Scope{CommunityID: e.Community.ID},
					[]int64{e.Voters[i+1].ID, e.Voters[i+2].ID}); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	closesIn := o.ClosesIn
	if closesIn == 0 {
		closesIn = time.Hour
	}
	b := store.Ballot{CommunityID: e.Community.ID, Title: "Adopt the charter", Method: "majority", Seats: 1,
		Threshold: "1/2", Strict: true, Quorum: "0/1", Delegation: true, Secrecy: cmpOr(o.Secrecy, "public"),
		CreatedBy: e.Board.ID, ClosesAt: time.Now().UTC().Add(closesIn).Truncate(time.Second)}
	opts := []store.BallotOption{{Key: "yes", Label: "Yes"}, {Key: "no", Label: "No"}, {Key: "abstain", Label: "Abstain"}}
	if err := st.CreateBallot(ctx, &b, opts, nil); err != nil {
		t.Fatal(err)
	}
	var err error
	if e.Ballot, err = st.OpenBallot(ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	for _, c := range append([]store.Citizen{e.Board}, e.Voters...) {
		tok, _, err := tokens.Issue(c.ID, c.Handle, c.TokenVersion)
		if err != nil {
			t.Fatal(err)
		}
		e.Tokens[c.Handle] = tok
	}
	return e
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

var choices = []string{"yes", "no", "abstain"}

// votesOf reads a ballot's current votes as handle → choice (public ballots).
func votesOf(t testing.TB, st *sqlstore.Store, ballotID int64) map[string]string {
	t.Helper()
	rows, err := storetest.DB(t, st).Raw(`SELECT c.handle, v.choice FROM votes v JOIN citizens c ON c.id = v.citizen_id WHERE v.ballot_id = ?`, ballotID).Rows()
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var h, ch string
		if err := rows.Scan(&h, &ch); err != nil {
			t.Fatal(err)
		}
		var s string
		if json.Unmarshal([]byte(ch), &s) == nil {
			ch = s
		}
		if _, dup := out[h]; dup {
			t.Errorf("voter %s has two vote rows", h)
		}
		out[h] = ch
	}
	return out
}
