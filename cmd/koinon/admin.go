package main

import (
	"context"
	"fmt"
)

func cmdAdmin(ctx context.Context, e env) int {
	fmt.Fprintln(e.stderr, "koinon admin: not implemented yet")
	return 2
}
