package cli

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/magda/magdasim"
	"github.com/kluis/kluis/internal/store"
)

// demoMagdaCapacity is the capacity code the demo's simulator accepts.
const demoMagdaCapacity = "10086"

// startDemoMagda starts the MAGDA simulator for `kluis serve --demo` on
// 127.0.0.1 (a random port) with a throwaway PKI of its own, and points the
// demo tenant's national register connection at it. Both are made anew on
// every start: the simulator, its certificates and the client key live only
// as long as the process (the stored connection to the old port is replaced
// the next time). It returns the function that stops the simulator.
func startDemoMagda(ctx context.Context, db *store.DB, log *slog.Logger) (stop func(), err error) {
	t, err := db.Tenant(ctx, DemoSlug)
	if err != nil {
		return nil, fmt.Errorf("demo MAGDA simulator: %w", err)
	}
	pki, err := magdasim.NewPKI()
	if err != nil {
		return nil, fmt.Errorf("demo MAGDA simulator: %w", err)
	}
	sim, err := magdasim.Start(magdasim.Config{PKI: pki, ConsumerID: t.EnterpriseNumber, Capacities: []string{demoMagdaCapacity}})
	if err != nil {
		return nil, fmt.Errorf("demo MAGDA simulator: %w", err)
	}
	cert, err := pki.Issue("Kluis demo "+t.Slug, false)
	if err != nil {
		sim.Close()
		return nil, fmt.Errorf("demo MAGDA simulator: %w", err)
	}
	settings, err := sim.Settings(cert)
	if err == nil {
		err = db.SetMagdaConnection(ctx, audit.System("demo"), t.ID, settings)
	}
	if err != nil {
		sim.Close()
		return nil, fmt.Errorf("demo MAGDA simulator: %w", err)
	}
	log.Info("demo national register: a local MAGDA simulator with fictitious personas (docs/magda.md), not MAGDA; "+
		"it, its test PKI and the demo tenant's certificates are ephemeral, made anew on every start",
		"endpoint", sim.URL, "tenant", t.Slug)
	return func() { sim.Close() }, nil
}
