package clog

import (
	"crypto/ed25519"
	"encoding/binary"
	"fmt"
	"testing"

	"koinon/internal/proof"
	"koinon/internal/statement"
)

// benchStatements signs n statements of n/5 citizens: each registers a key,
// delegates, votes, withdraws and votes again.
func benchStatements(b *testing.B, n int) [][]byte {
	var out [][]byte
	for c := 0; len(out) < n; c++ {
		var s [32]byte
		binary.BigEndian.PutUint64(s[:], uint64(c)+1)
		key := ed25519.NewKeyFromSeed(s[:])
		pub := key.Public().(ed25519.PublicKey)
		id := proof.KeyID(pub)
		citizen := fmt.Sprintf("citizen%d", c)
		reg, _ := statement.Content(statement.KeyContent{Citizen: citizen, PublicKey: b64(pub32(pub))})
		steps := []struct {
			kind    statement.Kind
			scope   string
			content string
		}{
			{statement.KeyRegister, statement.ScopeCommunity, string(reg)},
			{statement.Delegate, statement.ScopeCommunity, `{"delegates":["citizen0"],"remove":false}`},
			{statement.Vote, statement.BallotScope("b1"), `{"choice":"yes"}`},
			{statement.VoteWithdraw, statement.BallotScope("b1"), `{}`},
			{statement.Vote, statement.BallotScope("b1"), `{"choice":"no"}`},
		}
		prev := ""
		for i, st := range steps {
			e, err := statement.Sign(statement.Statement{Format: statement.Format, Kind: st.kind, Community: "parks",
				Scope: st.scope, Content: []byte(st.content), Prev: prev,
				At: fmt.Sprintf("2026-12-05T10:00:%02dZ", i), Key: id}, key, nil, false)
			if err != nil {
				b.Fatal(err)
			}
			prev = e.Hash().String()
			out = append(out, e.Bytes())
		}
	}
	return out[:n]
}

func pub32(p ed25519.PublicKey) (h [32]byte) { copy(h[:], p); return h }

// BenchmarkVerifyAppend10k is the server's path for 10,000 submissions:
// parse the envelope, check it against the community's state (signature,
// key, chain), encode the entry, append it alone to the log.
func BenchmarkVerifyAppend10k(b *testing.B) {
	envs := benchStatements(b, 10_000)
	b.ResetTimer()
	for b.Loop() {
		st := statement.NewState("parks", nil)
		l := Open(&MemStorage{}, 0)
		for _, data := range envs {
			e, err := statement.Parse(data)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := st.Accept(e); err != nil {
				b.Fatal(err)
			}
			entry, err := StatementEntry(e).Bytes()
			if err != nil {
				b.Fatal(err)
			}
			if _, err := l.Append([][]byte{entry}); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/10_000/1e3, "µs/statement")
}

// BenchmarkReplay1M recomputes the root of a 1,000,000-entry log from its
// entries (500 bytes each, about a signed statement's size), as an auditor
// replaying a community log does before comparing with a checkpoint.
func BenchmarkReplay1M(b *testing.B) {
	const n = 1_000_000
	entry := make([]byte, 500)
	for b.Loop() {
		_, size, err := Replay(func(yield func([]byte) bool) {
			for i := range n {
				binary.BigEndian.PutUint64(entry, uint64(i))
				if !yield(entry) {
					return
				}
			}
		})
		if err != nil || size != n {
			b.Fatal(size, err)
		}
	}
}
