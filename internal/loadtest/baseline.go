package loadtest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"koinon/internal/store"
	"koinon/internal/store/sqlstore"
)

// BaselineResult is what the plain-insert baseline measured.
type BaselineResult struct {
	Rows       int     `json:"rows"`
	Seconds    float64 `json:"seconds"`
	Throughput float64 `json:"throughput"`
	P99ms      float64 `json:"p99_ms"`
	Errors     int     `json:"errors"`
}

// Baseline inserts single rows through gorm (each in gorm's default
// transaction, as the store's writes are) into a scratch table from
// goroutines concurrent writers for d, without HTTP, and drops the table.
func Baseline(ctx context.Context, st *sqlstore.Store, goroutines int, d time.Duration) (BaselineResult, error) {
	insert, drop, err := st.BaselineTable(ctx)
	if err != nil {
		return BaselineResult{}, fmt.Errorf("loadtest: %w", err)
	}
	defer drop()

	rctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var (
		errs atomic.Int64
		wg   sync.WaitGroup
	)
	lats := make([][]int64, goroutines)
	start := time.Now()
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			var lat []int64
			for i := 0; rctx.Err() == nil; i++ {
				t := time.Now()
				row := store.BaselineRow{BallotID: 1, CitizenID: int64(g*1_000_000 + i), Choice: `"yes"`,
					Receipt: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", CastAt: t.UTC()}
				if err := insert(rctx, &row); err != nil {
					if rctx.Err() == nil {
						errs.Add(1)
					}
					continue
				}
				lat = append(lat, int64(time.Since(t)))
			}
			lats[g] = lat
		}(g)
	}
	wg.Wait()
	elapsed := time.Since(start)
	var all []int64
	for _, l := range lats {
		all = append(all, l...)
	}
	res := BaselineResult{Rows: len(all), Seconds: elapsed.Seconds(), Throughput: float64(len(all)) / elapsed.Seconds(), Errors: int(errs.Load())}
	_, _, res.P99ms, _ = percentiles(all)
	if st.Dialect() == "sqlite" {
		st.Settle(ctx)
	}
	return res, nil
}
