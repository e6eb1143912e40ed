// Command kluis is the Kluis platform: see `kluis help`.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/kluis/kluis/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
