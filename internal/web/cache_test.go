package web

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestCacheBuildsOnceForConcurrentCallers(t *testing.T) {
	c := newCache[int](4, nil)
	var builds atomic.Int32
	release := make(chan struct{})
	var wg sync.WaitGroup
	got := make([]int, 32)
	errs := make([]error, len(got))
	for i := range got {
		wg.Go(func() {
			got[i], errs[i] = c.get(context.Background(), "k", func(context.Context) (int, error) {
				builds.Add(1)
				<-release
				return 42, nil
			})
		})
	}
	time.AfterFunc(10*time.Millisecond, func() { close(release) })
	wg.Wait()
	if n := builds.Load(); n != 1 {
		t.Errorf("%d builds for one key, want 1", n)
	}
	for i := range got {
		if got[i] != 42 || errs[i] != nil {
			t.Fatalf("caller %d got %d, %v; want 42, nil", i, got[i], errs[i])
		}
	}
	if v, err := c.get(context.Background(), "k", func(context.Context) (int, error) { return 0, errors.New("built again") }); v != 42 || err != nil {
		t.Errorf("cached get = %d, %v; want 42 without a build", v, err)
	}
}

func TestCachePanickingBuildFailsEveryWaiterAndKeepsNothing(t *testing.T) {
	c := newCache[int](4, nil)
	started := make(chan struct{})
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() {
			_, errs[i] = c.get(context.Background(), "k", func(context.Context) (int, error) {
				close(started) // only one build runs: a second close would panic differently
				time.Sleep(10 * time.Millisecond)
				panic("boom")
			})
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("waiters still blocked 5 s after the build panicked")
	}
	for i, err := range errs {
		if err == nil || !strings.Contains(err.Error(), "panicked: boom") {
			t.Errorf("caller %d: error = %v, want the panic as an error", i, err)
		}
	}
	if v, err := c.get(context.Background(), "k", func(context.Context) (int, error) { return 7, nil }); v != 7 || err != nil {
		t.Errorf("after the panic: get = %d, %v; want a fresh build giving 7", v, err)
	}
}

func TestCacheCancelledCallerLeavesTheBuildToOthers(t *testing.T) {
	c := newCache[int](4, nil)
	release := make(chan struct{})
	var buildCancelled atomic.Bool
	build := func(ctx context.Context) (int, error) {
		<-release
		buildCancelled.Store(ctx.Err() != nil)
		return 9, nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	first := make(chan error, 1)
	go func() {
		_, err := c.get(ctx, "k", build)
		first <- err
	}()
	second := make(chan int, 1)
	go func() {
		v, _ := c.get(context.Background(), "k", build)
		second <- v
	}()
	time.Sleep(10 * time.Millisecond) // let both join the build (not needed for correctness)
	cancel()
	select {
	case err := <-first:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled caller: error = %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a cancelled caller still waits for the build")
	}
	close(release)
	if v := <-second; v != 9 {
		t.Errorf("other caller got %d, want 9", v)
	}
	if buildCancelled.Load() {
		t.Error("the build saw its first caller's cancellation")
	}
}

func TestCacheEvictsOldestByCost(t *testing.T) {
	c := newCache(10, func(s string) int { return len(s) })
	put := func(key, v string) {
		t.Helper()
		if _, err := c.get(context.Background(), key, func(context.Context) (string, error) { return v, nil }); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 5 {
		put(strconv.Itoa(i), "abc") // 3 each: at most three fit in 10
	}
	if len(c.m) != 3 || c.used != 9 {
		t.Errorf("%d entries costing %d, want 3 costing 9", len(c.m), c.used)
	}
	if _, ok := c.m["0"]; ok {
		t.Error("the oldest entry was kept")
	}
	put("big", "abcdef") // more than half the budget: returned, not kept
	if _, ok := c.m["big"]; ok {
		t.Error("an entry over half the budget was kept")
	}
}
