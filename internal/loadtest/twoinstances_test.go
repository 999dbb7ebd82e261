package loadtest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"koinon/internal/auth"
	"koinon/internal/keyring"
	"koinon/internal/loadtest"
	"koinon/internal/proof2"
	"koinon/internal/store"
	"koinon/internal/store/sqlstore"
	"koinon/internal/store/storetest"
)

// TestTwoInstancesShareOnePostgres runs two `koinon serve` processes on
// different ports against one fresh PostgreSQL schema, sharing the JWT key
// file and the platform keys: a token minted by one is accepted by the
// other, both serve votes on one ballot at the same time, and when both
// are asked to close it at the same moment, while votes still arrive,
// exactly one seals it (one "closed" and one "sealed" event, one proof),
// later votes get 409 and the proof verifies. A second ballot is closed by
// the instances' schedulers when its closing time passes, while both take
// votes on it: exactly one instance seals it.
func TestTwoInstancesShareOnePostgres(t *testing.T) {
	url := storetest.FreshPostgresURL(t)
	if testing.Short() {
		t.Skip("builds the binary")
	}
	ctx := context.Background()
	dir := t.TempDir()
	bin := buildKoinon(t, dir)

	// Shared state: the database (migrated once, here), the token key and
	// the platform keys in one data directory.
	data := filepath.Join(dir, "data")
	jwtKey := filepath.Join(dir, "jwt.key")
	env, err := loadtest.Open(ctx, url, data, jwtKey)
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	st := env.Store
	f, err := loadtest.Seed(ctx, st, loadtest.SeedOptions{Members: 400})
	if err != nil {
		t.Fatal(err)
	}
	hash, err := auth.HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	db := storetest.DB(t, storetest.Open(t, sqlstore.Options{URL: url})) // a password behind the API, without a new token version
	if err := db.Model(&store.Citizen{}).Where("id = ?", f.CitizenIDs[0]).Update("password_hash", hash).Error; err != nil {
		t.Fatal(err)
	}

	// The second ballot closes by itself a few seconds after the servers
	// start.
	f2, err := loadtest.Seed(ctx, st, loadtest.SeedOptions{Members: 200, ClosesIn: 7 * time.Second})
	if err != nil {
		t.Fatal(err)
	}

	a, logA := startServe(t, bin, data, url, jwtKey)
	b, logB := startServe(t, bin, data, url, jwtKey)

	// A token minted by A is accepted by B.
	var login struct {
		Token string `json:"token"`
	}
	status, body := call(t, "POST", a+"/api/v1/auth/login", "", fmt.Sprintf(`{"handle":%q,"password":"correct horse battery"}`, f.Handles[0]))
	if status != http.StatusOK {
		t.Fatalf("login on A: %d %s", status, body)
	}
	if err := json.Unmarshal(body, &login); err != nil || login.Token == "" {
		t.Fatalf("login on A: no token in %s", body)
	}
	if status, body := call(t, "GET", b+"/api/v1/me", login.Token, ""); status != http.StatusOK || !strings.Contains(string(body), f.Handles[0]) {
		t.Fatalf("token from A on B: GET /api/v1/me = %d %s", status, body)
	}

	// Votes on both instances; half-way, both are asked to close.
	tokens, err := loadtest.Tokens(env.Tokens, f)
	if err != nil {
		t.Fatal(err)
	}
	tokens2, err := loadtest.Tokens(env.Tokens, f2)
	if err != nil {
		t.Fatal(err)
	}
	var (
		wg, wg2  sync.WaitGroup
		results  [2]loadtest.DriveResult
		errs     [2]error
		results2 [2]loadtest.DriveResult
		errs2    [2]error
	)
	// Votes on the scheduler's ballot, on both instances, until it closes.
	until := time.Until(f2ClosesAt(t, st, f2.BallotID)) + 6*time.Second
	for i, base := range []string{a, b} {
		wg2.Add(1)
		go func() {
			defer wg2.Done()
			results2[i], errs2[i] = loadtest.Drive(ctx, loadtest.DriveOptions{BaseURL: base, BallotID: f2.BallotID,
				Tokens: tokens2, Clients: 4, Duration: until, Rate: 100})
		}()
	}
	// The votes go on until shortly after both closes have answered, so
	// that the close always meets votes in flight however slow the
	// machine is.
	votesCtx, stopVotes := context.WithCancel(ctx)
	defer stopVotes()
	for i, base := range []string{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			half := tokens[i*len(tokens)/2 : (i+1)*len(tokens)/2]
			results[i], errs[i] = loadtest.Drive(votesCtx, loadtest.DriveOptions{BaseURL: base, BallotID: f.BallotID,
				Tokens: half, Clients: 8, Duration: 2 * time.Minute})
		}()
	}
	// Close once a quarter of the electorate has voted, while the rest is
	// still voting.
	ballot, err := st.BallotByID(ctx, f.BallotID)
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(60 * time.Second); ; {
		in, err := st.LiveInputs(ctx, []store.Ballot{ballot})
		if err != nil {
			t.Fatal(err)
		}
		if len(in[ballot.ID].Voters) >= len(tokens)/4 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d votes after 60 s", len(in[ballot.ID].Voters))
		}
		time.Sleep(20 * time.Millisecond) // a poll interval: the vote count orders the close
	}
	closeStatus := make([]int, 2)
	var cw sync.WaitGroup
	for i, base := range []string{a, b} {
		cw.Add(1)
		go func() {
			defer cw.Done()
			closeStatus[i], _, _ = do("POST", fmt.Sprintf("%s/api/v1/ballots/%d/close", base, f.BallotID), login.Token, "")
		}()
	}
	cw.Wait()
	time.Sleep(500 * time.Millisecond) // votes after the close: 409
	stopVotes()
	wg.Wait()
	for i, r := range results {
		if errs[i] != nil {
			t.Fatalf("votes on instance %d: %v", i, errs[i])
		}
		t.Logf("instance %d: %d votes accepted, statuses %v; close answered %d", i, r.OK, r.Statuses, closeStatus[i])
		if r.OK == 0 {
			t.Errorf("instance %d accepted no vote", i)
		}
		for s := range r.Statuses {
			if s != "200" && s != "409" {
				t.Errorf("instance %d: votes answered %s (want only 200, then 409 after the close)", i, s)
			}
		}
	}
	for i, s := range closeStatus {
		if s != http.StatusOK && s != http.StatusConflict {
			t.Errorf("close on instance %d answered %d", i, s)
		}
	}

	var kinds []struct {
		Kind string
		N    int
	}
	db.Raw("SELECT kind, COUNT(*) AS n FROM ballot_events WHERE ballot_id = ? AND kind IN ('closed', 'sealed') GROUP BY kind ORDER BY kind", f.BallotID).Scan(&kinds)
	if len(kinds) != 2 || kinds[0].N != 1 || kinds[1].N != 1 {
		t.Errorf("close events = %+v, want one closed and one sealed", kinds)
	}
	events, err := st.BallotLog(ctx, f.BallotID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.CheckLog(f.BallotID, events); err != nil {
		t.Errorf("the ballot's log chain is broken: %v", err)
	}
	if last := events[len(events)-1].Kind; last != store.EventSealed {
		t.Errorf("last log entry is %q, want sealed (no vote after the close)", last)
	}

	// The proof, fetched from the instance that may not have sealed it,
	// verifies against the shared platform key.
	status, sealed := call(t, "GET", fmt.Sprintf("%s/api/v1/ballots/%d/proof", b, f.BallotID), "", "")
	if status != http.StatusOK {
		t.Fatalf("proof from B: %d %s", status, sealed)
	}
	kr, err := keyring.Open(data)
	if err != nil {
		t.Fatal(err)
	}
	if r := proof2.VerifyAny(sealed, kr.Current().Public); !r.OK {
		t.Errorf("proof does not verify: %+v", r)
	}

	// The scheduler's ballot: closed by exactly one instance.
	deadline := time.Now().Add(15 * time.Second)
	for {
		b2, err := st.BallotByID(ctx, f2.BallotID)
		if err != nil {
			t.Fatal(err)
		}
		if b2.State == store.StateClosed {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("ballot %d is still %s 15 s after its closing time: is the scheduler running in koinon serve?", f2.BallotID, b2.State)
		}
		time.Sleep(200 * time.Millisecond)
	}
	kinds = nil
	db.Raw("SELECT kind, COUNT(*) AS n FROM ballot_events WHERE ballot_id = ? AND kind IN ('closed', 'sealed') GROUP BY kind ORDER BY kind", f2.BallotID).Scan(&kinds)
	if len(kinds) != 2 || kinds[0].N != 1 || kinds[1].N != 1 {
		t.Errorf("scheduler close events = %+v, want one closed and one sealed", kinds)
	}
	closedBy := 0
	for _, l := range []func() string{logA, logB} {
		if strings.Contains(l(), fmt.Sprintf("ballot closed\" ballot_id=%d ", f2.BallotID)) || strings.Contains(l(), fmt.Sprintf("msg=\"ballot closed\" ballot_id=%d ", f2.BallotID)) {
			closedBy++
		}
	}
	if closedBy != 1 {
		t.Errorf("%d instances logged closing ballot %d, want exactly 1\nA:\n%s\nB:\n%s", closedBy, f2.BallotID, logA(), logB())
	}
	wg2.Wait()
	for i, r := range results2 {
		if errs2[i] != nil {
			t.Fatalf("votes on instance %d (scheduler ballot): %v", i, errs2[i])
		}
		t.Logf("instance %d, scheduler ballot: %d votes accepted, statuses %v", i, r.OK, r.Statuses)
		if r.OK == 0 {
			t.Errorf("instance %d accepted no vote on the scheduler's ballot", i)
		}
	}
}

func f2ClosesAt(t *testing.T, st *sqlstore.Store, id int64) time.Time {
	t.Helper()
	b, err := st.BallotByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return b.ClosesAt
}

// buildKoinon builds the koinon binary into dir.
func buildKoinon(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "koinon")
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if out, err := exec.Command(gobin, "build", "-o", bin, "koinon/cmd/koinon").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestRunInstances runs `koinon loadtest --instances 2`'s comparison for
// a second: both phases cast votes, and the processes stop afterwards.
func TestRunInstances(t *testing.T) {
	url := storetest.PostgresURL(t)
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildKoinon(t, t.TempDir())
	r, err := loadtest.RunInstances(context.Background(), loadtest.InstancesConfig{Bin: bin, Instances: 2,
		Members: 60, Clients: 4, Duration: time.Second, DatabaseURL: url})
	if err != nil {
		t.Fatal(err)
	}
	if r.One.OK == 0 || len(r.Each) != 2 || r.Each[0].OK == 0 || r.Each[1].OK == 0 || r.Sum != r.Each[0].Throughput+r.Each[1].Throughput {
		t.Fatalf("result %+v", r)
	}
	for _, d := range append(r.Each, r.One) {
		if d.OK != d.Requests {
			t.Errorf("statuses %v: every vote should be taken", d.Statuses)
		}
	}
}

// startServe starts `koinon serve` on a free port and returns its URL and
// a function returning its log so far.
func startServe(t *testing.T, bin, data, url, jwtKey string) (string, func() string) {
	t.Helper()
	in, err := loadtest.StartServe(bin, data, url, jwtKey)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(in.Stop)
	return in.URL, in.Logs
}

func call(t *testing.T, method, url, token, body string) (int, []byte) {
	t.Helper()
	status, b, err := do(method, url, token, body)
	if err != nil {
		t.Fatal(err)
	}
	return status, b
}

// do sends one request (safe from any goroutine).
func do(method, url, token, body string) (int, []byte, error) {
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}
