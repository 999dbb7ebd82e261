package proof

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
)

// GenMajority writes a majority tally document with n voters, formatted as
// Python's json.dumps formats (", " and ": "). About 60% vote (in a shuffled
// casting order), 30% delegate to one to three others, 10% stay absent.
func GenMajority(w io.Writer, n int, seed uint64) error {
	rng := rand.New(rand.NewPCG(seed, 0))
	bw := bufio.NewWriterSize(w, 1<<20)
	id := func(i int) string { return fmt.Sprintf("v%07d", i) }
	fmt.Fprint(bw, `{"format": "koinon-tally-proof/1", "ballot": {"id": "bench", "title": "Benchmark ballot", `+
		`"community": "bench", "topic": null, "method": "majority", "options": [{"key": "yes", "label": "Yes"}, `+
		`{"key": "no", "label": "No"}, {"key": "abstain", "label": "Abstain"}], "seats": 1, "threshold": "1/2", `+
		`"strict": true, "quorum": "1/4", "delegation": true, "secrecy": "public", `+
		`"opens_at": "2026-11-20T09:00:00Z", "closes_at": "2026-11-26T09:00:00Z"}, "electorate": [`)
	kind := make([]byte, n) // 'v' votes, 'd' delegates, 'a' absent
	for i := range kind {
		switch r := rng.IntN(10); {
		case r < 6:
			kind[i] = 'v'
		case r < 9:
			kind[i] = 'd'
		default:
			kind[i] = 'a'
		}
	}
	for i := range n {
		if i > 0 {
			bw.WriteString(", ")
		}
		weight := 1
		if rng.IntN(20) == 0 {
			weight = 2 + rng.IntN(4)
		}
		fmt.Fprintf(bw, `{"voter": "%s", "weight": %d, "delegates": [`, id(i), weight)
		if kind[i] == 'd' {
			k := 1 + rng.IntN(3)
			seen := map[int]bool{i: true}
			for j := 0; j < k; j++ {
				d := rng.IntN(n)
				if seen[d] {
					continue
				}
				seen[d] = true
				if len(seen) > 2 {
					bw.WriteString(", ")
				}
				bw.WriteString(`"` + id(d) + `"`)
			}
		}
		bw.WriteString("]}")
	}
	bw.WriteString(`], "votes": [`)
	order := rng.Perm(n)
	words := []string{"yes", "yes", "no", "abstain"}
	first := true
	for _, i := range order {
		if kind[i] != 'v' {
			continue
		}
		if !first {
			bw.WriteString(", ")
		}
		first = false
		fmt.Fprintf(bw, `{"voter": "%s", "choice": "%s"}`, id(i), words[rng.IntN(len(words))])
	}
	bw.WriteString("]}\n")
	return bw.Flush()
}

// testKey is a fixed signing key for tests.
