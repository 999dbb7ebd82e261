package tally

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.json from the current results")

// TestGolden counts every testdata/<case>.json and compares the result with
// testdata/<case>.golden.json; -update rewrites the golden files.
func TestGolden(t *testing.T) {
	inputs, err := filepath.Glob("testdata/*.json")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, path := range inputs {
		if strings.HasSuffix(path, ".golden.json") {
			continue
		}
		n++
		name := strings.TrimSuffix(filepath.Base(path), ".json")
		t.Run(name, func(t *testing.T) {
			in, _ := readDocument(t, path)
			res, err := Count(in)
			if err != nil {
				t.Fatalf("Count: %v", err)
			}
			got, err := json.MarshalIndent(res, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			golden := strings.TrimSuffix(path, ".json") + ".golden.json"
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./internal/tally -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("result differs from %s (-update rewrites it)\nwant %s\ngot  %s", golden, want, got)
			}
			assertRoundTrip(t, res)
		})
	}
	if n == 0 {
		t.Fatal("no golden cases in testdata")
	}
}
