package sqlstore

import (
	"slices"
	"testing"
)

func TestRollIndexFindsAsBinarySearch(t *testing.T) {
	for _, ids := range [][]int64{nil, {5}, {1, 2, 3, 7, 9}, {3, 100, 1000, 100000}} {
		r := newRollIndex(ids)
		for id := int64(-1); id <= 1001; id++ {
			i, ok := r.find(id)
			wi, wok := slices.BinarySearch(ids, id)
			if ok != wok || (ok && i != wi) {
				t.Fatalf("ids %v: find(%d) = %d, %v; want %d, %v", ids, id, i, ok, wi, wok)
			}
		}
	}
}
