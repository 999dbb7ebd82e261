package main

import (
	"context"
	"fmt"
)

func cmdDemo(ctx context.Context, e env) int {
	fmt.Fprintln(e.stderr, "koinon demo: not implemented yet")
	return 2
}
