// Command ddm is the transceiver DDM telemetry agent: `ddm run` polls
// modules and streams their telemetry, `ddm dump` reads modules once,
// `ddm decode` decodes saved dumps, `ddm emulate` serves emulated modules.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
