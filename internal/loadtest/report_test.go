package loadtest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteReportKeepsProseOutsideMarkers(t *testing.T) {
	dir := t.TempDir()
	bench := "# command: go test -run '^$' -bench . ./internal/tally\n" +
		"goos: linux\npkg: koinon/internal/tally\n" +
		"BenchmarkResolve-2   \t       3\t 414000000 ns/op\t       414.0 ns/voter\t78123456 B/op\t      43 allocs/op\n" +
		"ok  \tkoinon/internal/tally\t5.1s\n"
	write := func(name, s string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("bench-tally.txt", bench)
	write("bench-wasm.txt", "# command: go test -run '^$' -bench . ./internal/proof/wasm\npkg: koinon/internal/proof/wasm\n"+
		"BenchmarkChromiumPrepareSchulze10-2   \t       4\t 402000000 ns/op\t       365.0 page-ms/op\n")
	votes, _ := json.Marshal(Result{Kind: "votes", Command: "koinon loadtest --duration 30s", Database: "sqlite", Members: 10000, Clients: 64,
		Duration: 30, Votes: DriveResult{OK: 66000, Throughput: 2200, P99ms: 40, MinSecond: 2000, Statuses: map[string]int{"200": 66000}},
		Baseline: &BaselineResult{Throughput: 4000}, Ratio: 0.55})
	write("votes-sqlite.json", string(votes))
	procs, _ := json.Marshal(InstancesResult{Kind: "instances", Command: "koinon loadtest --instances 2", Database: "postgres",
		One: DriveResult{Throughput: 900}, Each: []DriveResult{{Throughput: 600}, {Throughput: 650}}, Sum: 1250})
	write("instances-postgres.json", string(procs))

	doc := filepath.Join(dir, "benchmarks.md")
	prose := "## STV\n\nHand-written figures.\n"
	write("benchmarks.md", prose)
	res := filepath.Join(dir, "results")
	os.Mkdir(res, 0o755)
	for _, n := range []string{"bench-tally.txt", "bench-wasm.txt", "votes-sqlite.json", "instances-postgres.json"} {
		os.Rename(filepath.Join(dir, n), filepath.Join(res, n))
	}
	for range 2 { // the second run replaces the generated section only
		if err := WriteReport(res, doc); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := os.ReadFile(doc)
	got := string(b)
	for _, want := range []string{prose, "BenchmarkResolve-2", "414.00 ms/op", "74.5 MB/op", "414.0 ns/voter",
		"go test -run '^$' -bench . ./internal/tally", "koinon loadtest --duration 30s", "2,200 votes/s", "| met |",
		"one: 900 votes/s; 2: 600 + 650 = 1,250 votes/s", "| **2 together** | **1,250** |", "koinon loadtest --instances 2",
		"| encrypt + prove a 10-option Schulze ballot in Chromium < 1000 ms | 365 ms per ballot, timed in the page (4 ballots) | met |"} {
		if !strings.Contains(got, want) {
			t.Errorf("report lacks %q:\n%s", want, got)
		}
	}
	if n := strings.Count(got, "<!-- bench:begin"); n != 1 {
		t.Errorf("%d generated sections, want 1", n)
	}
}

func TestCheckLoopback(t *testing.T) {
	for _, u := range []string{"http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:80"} {
		if err := CheckLoopback(u); err != nil {
			t.Errorf("CheckLoopback(%q) = %v", u, err)
		}
	}
	for _, u := range []string{"http://10.0.0.1:80", "http://example.org", "https://127.0.0.1", "ftp://127.0.0.1"} {
		if err := CheckLoopback(u); err == nil {
			t.Errorf("CheckLoopback(%q) accepted a non-loopback target", u)
		}
	}
}
