package tally

import "math/bits"

// voterIndex maps voter ids to electorate positions: open addressing with
// linear probing over a table of two slots a voter. Each slot
// holds position+1 in its low 32 bits (0 = empty) and the hash's high 32
// bits, which settle almost every mismatch without touching the voter's
// string. It is about twice as fast as a built-in map for a million voters,
// and deterministic.
type voterIndex struct {
	electorate []Entry
	slots      []uint64
}

// Odd 64-bit constants (wyhash's) that hashVoter mixes in.
const (
	hashK0 = 0xa0761d6478bd642f
	hashK1 = 0xe7037ed1a0b428db
	hashK2 = 0x8ebc6af09c88c6e3
)

// hashVoter hashes an id with wyhash's mixing step (a 128-bit product
// folded to 64 bits) over 8-byte words. Ids are mostly short, so the
// common case is two loads and two multiplications, inlined.
func hashVoter(s string) uint64 {
	n := len(s)
	var a, c uint64
	switch {
	case n > 16:
		return hashLong(s)
	case n >= 8:
		a, c = load64(s), load64(s[n-8:])
	case n >= 4:
		a, c = load32(s), load32(s[n-4:])
	case n > 0:
		a = uint64(s[0])<<16 | uint64(s[n>>1])<<8 | uint64(s[n-1])
	}
	return mix(mix(a^hashK0, c^hashK1)^uint64(n), hashK2)
}

// hashLong is hashVoter for ids longer than 16 bytes.
func hashLong(s string) uint64 {
	n := len(s)
	h := uint64(hashK2)
	for i := 0; i+16 < n; i += 16 {
		h = mix(load64(s[i:])^hashK0, load64(s[i+8:])^h)
	}
	h = mix(load64(s[n-16:])^hashK0, load64(s[n-8:])^h)
	return mix(h^uint64(n), hashK1)
}

// load64 reads s[0:8] little-endian (the compiler makes it one load).
func load64(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

func load32(s string) uint64 {
	_ = s[3]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24
}

func mix(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

// makeVoterIndex returns an empty index sized for electorate; add fills it.
// The table is not rounded up to a power of two: at 10,000,000 voters that
// would make it 256 MiB instead of 153, and every lookup is a random read
// in it, which costs more the less of the table the caches and the TLB
// hold.
func makeVoterIndex(electorate []Entry) voterIndex {
	return voterIndex{electorate: electorate, slots: make([]uint64, max(1, 2*len(electorate)))}
}

// home is the first slot of hash h: its low 32 bits scaled to the table
// (a multiply and a shift, which needs no power of two). The high 32 bits
// are the slot's tag.
func (x *voterIndex) home(h uint64) uint64 {
	return uint64(uint32(h)) * uint64(len(x.slots)) >> 32
}

// next is the slot after p, wrapping round.
func (x *voterIndex) next(p uint64) uint64 {
	if p++; p == uint64(len(x.slots)) {
		return 0
	}
	return p
}

// newVoterIndex indexes every entry; of repeated voters the last wins. It
// also returns the number of delegate ids the electorate lists.
func newVoterIndex(electorate []Entry) (voterIndex, int) {
	x := makeVoterIndex(electorate)
	var st stage
	delegates := 0
	for lo := 0; lo < len(electorate); lo += batch {
		hi := min(lo+batch, len(electorate))
		x.stage(&st, lo, hi)
		for i := lo; i < hi; i++ {
			delegates += len(electorate[i].Delegates)
			if p := x.add(&st, i-lo, int32(i)); p >= 0 {
				x.slots[p] = x.slots[p]&^0xffffffff | uint64(i+1)
			}
		}
	}
	return x, delegates
}

// batch is how many lookups or insertions are kept in flight.
const batch = 128

// stage holds the hashes and first slots of a batch of electorate entries.
type stage struct {
	hs, ss [batch]uint64
}

// stage hashes entries lo..hi-1 (at most batch) and reads their first
// slots, so that the cache misses of the batch overlap; add then inserts
// them one by one.
func (x *voterIndex) stage(st *stage, lo, hi int) {
	for k := range hi - lo {
		st.hs[k] = hashVoter(x.electorate[lo+k].Voter)
	}
	for k := range hi - lo {
		st.ss[k] = x.slots[x.home(st.hs[k])]
	}
}

// add indexes entry i, staged as st's k-th. If its voter is indexed
// already it changes nothing and returns that voter's slot, else -1.
func (x *voterIndex) add(st *stage, k int, i int32) int {
	v := x.electorate[i].Voter
	h := st.hs[k]
	s := st.ss[k] // a slot once taken stays taken by the same voter
	for p := x.home(h); ; p = x.next(p) {
		if s == 0 {
			s = x.slots[p] // an earlier entry of the batch may have taken it
		}
		if s == 0 {
			x.slots[p] = h&^0xffffffff | uint64(i+1)
			return -1
		}
		if s>>32 == h>>32 && x.electorate[uint32(s)-1].Voter == v {
			return int(p)
		}
		s = 0
	}
}

// get returns voter's position.
func (x voterIndex) get(voter string) (int32, bool) {
	if len(x.slots) == 0 {
		return 0, false
	}
	i := x.find(voter, hashVoter(voter))
	return i, i >= 0
}

// find returns the position of voter, whose hash is h, or -1.
func (x *voterIndex) find(voter string, h uint64) int32 {
	for p := x.home(h); ; p = x.next(p) {
		s := x.slots[p]
		if s == 0 {
			return -1
		}
		if s>>32 == h>>32 && x.electorate[uint32(s)-1].Voter == voter {
			return int32(uint32(s) - 1)
		}
	}
}

// getAll sets pos[k] to the position of keys[k], or -1 (len(pos) ≥
// len(keys)). It runs the lookups of a batch stage by stage — hashes, then
// slots, then the candidates' ids, then the comparisons — so that their
// cache misses overlap instead of following one another.
func (x *voterIndex) getAll(keys []string, pos []int32) {
	if len(x.slots) == 0 {
		for k := range keys {
			pos[k] = -1
		}
		return
	}
	var hs, ss [batch]uint64
	var cand [batch]string
	for len(keys) > 0 {
		n := min(len(keys), batch)
		ks, ps := keys[:n], pos[:n]
		for k, key := range ks {
			hs[k] = hashVoter(key)
		}
		for k := range ks {
			ss[k] = x.slots[x.home(hs[k])]
		}
		for k := range ks {
			// Walk on from the first slot (its cache line is loaded now)
			// to the first with the same tag, or an empty one.
			h, s := hs[k], ss[k]
			for p := x.home(h); s != 0 && s>>32 != h>>32; {
				p = x.next(p)
				s = x.slots[p]
			}
			if ss[k] = s; s != 0 {
				cand[k] = x.electorate[uint32(s)-1].Voter
			}
		}
		for k, key := range ks {
			switch s := ss[k]; {
			case s == 0:
				ps[k] = -1
			case cand[k] == key:
				ps[k] = int32(uint32(s) - 1)
			default: // another voter with the same tag: rare
				ps[k] = x.find(key, hs[k])
			}
		}
		keys, pos = keys[n:], pos[n:]
	}
}
