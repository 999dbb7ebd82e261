package loadtest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"koinon/internal/store"
)

// baselineRow is a row of the scratch table the baseline fills: the shape
// of a vote, without its checks, log entry or HTTP.
type baselineRow struct {
	ID        int64
	BallotID  int64
	CitizenID int64
	Choice    string
	Receipt   string
	CastAt    time.Time
}

func (baselineRow) TableName() string { return baselineTable }

const baselineTable = "loadtest_baseline"

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
func Baseline(ctx context.Context, st *store.Store, goroutines int, d time.Duration) (BaselineResult, error) {
	db := st.DB().WithContext(ctx)
	ddl := `CREATE TABLE ` + baselineTable + ` (id INTEGER PRIMARY KEY AUTOINCREMENT, ballot_id INTEGER NOT NULL,
		citizen_id INTEGER NOT NULL, choice TEXT NOT NULL, receipt TEXT NOT NULL, cast_at DATETIME NOT NULL)`
	if st.Dialect() == "postgres" {
		ddl = `CREATE TABLE ` + baselineTable + ` (id BIGSERIAL PRIMARY KEY, ballot_id BIGINT NOT NULL,
		citizen_id BIGINT NOT NULL, choice TEXT NOT NULL, receipt TEXT NOT NULL, cast_at TIMESTAMPTZ NOT NULL)`
	}
	db.Exec("DROP TABLE IF EXISTS " + baselineTable)
	if err := db.Exec(ddl).Error; err != nil {
		return BaselineResult{}, fmt.Errorf("loadtest: baseline table: %w", err)
	}
	defer st.DB().Exec("DROP TABLE IF EXISTS " + baselineTable)

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
				row := baselineRow{BallotID: 1, CitizenID: int64(g*1_000_000 + i), Choice: `"yes"`,
					Receipt: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", CastAt: t.UTC()}
				if err := st.DB().WithContext(rctx).Create(&row).Error; err != nil {
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
		st.DB().Exec("PRAGMA wal_checkpoint(TRUNCATE)")
	}
	return res, nil
}
