package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/ident"
	"github.com/kluis/kluis/internal/magda"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/tenant"
)

// `kluis magda check`: one test call with a tenant's stored national
// register connection (LOC-2), to find out before a citizen does whether
// the certificate, the endpoint, the mutual TLS and the answer's signature
// are right. It is a real GeefPersoon call about a test person, so it
// needs the tenant's grant and is recorded like every call (magda.call
// before, magda.answer after, under its MAGDA reference).

// Exit statuses of `kluis magda check` (docs/magda.md): each names what
// to fix. 1 is an unexpected error, 2 a usage error or a refused grant.
const (
	magdaExitNotConfigured = 3 // no (usable) connection stored
	magdaExitExpired       = 4 // the client or answer-signing certificate has expired
	magdaExitUnreachable   = 5 // the endpoint cannot be reached from here, or does not answer in time
	magdaExitTLSRefused    = 6 // the TLS handshake was refused (client certificate, or the server's not trusted)
	magdaExitBadSignature  = 7 // the answer's signature does not verify
	magdaExitRefused       = 8 // MAGDA refused the request (consumer, capacity) or answered outside the protocol
)

// magdaCheckPurpose is the purpose recorded for a check call.
const magdaCheckPurpose = "connection-check"

// exitError ends a command with its own exit status and message.
type exitError struct {
	code int
	msg  string
}

func (e exitError) Error() string { return e.msg }

func magdaCheck(ctx context.Context, env *Env, args []string) error {
	var insz *string
	define := func(fs *flag.FlagSet) {
		insz = fs.String("insz", "", "national register number of a TEST person to ask for (acceptance environment test data; on the simulator 85073003328)")
	}
	return onTenantWith(ctx, env, "magda check", args, tenantData, define, func(db *store.DB, t tenant.Tenant, actor audit.Actor) error {
		if strings.TrimSpace(*insz) == "" {
			return usageError{"give --insz NUMBER: a test person's national register number (on the simulator 85073003328)"}
		}
		n, err := ident.INSZ(*insz)
		if err != nil {
			return usageError{"--insz is not a valid national register number (11 digits, check digits modulo 97)"}
		}
		return runMagdaCheck(ctx, env, db, t, actor, n.Digits)
	})
}

func runMagdaCheck(ctx context.Context, env *Env, db *store.DB, t tenant.Tenant, actor audit.Actor, insz string) error {
	conn, err := db.MagdaConnection(ctx, t.ID)
	if errors.Is(err, store.ErrNotFound) {
		return exitError{magdaExitNotConfigured, fmt.Sprintf("not configured: tenant %s has no national register connection (Beheer › Koppelingen › Rijksregister (MAGDA))", t.Slug)}
	}
	if err != nil {
		return err
	}
	now := db.Now()
	if cert, err := conn.ClientCertificate(); err == nil && now.After(cert.NotAfter) {
		return exitError{magdaExitExpired, fmt.Sprintf("certificate expired: the client certificate (%s) expired on %s; set a new one",
			cert.Subject, cert.NotAfter.UTC().Format(time.DateOnly))}
	}
	cfg, err := conn.Config()
	if err != nil {
		return exitError{magdaExitNotConfigured, fmt.Sprintf("not usable: tenant %s's connection is incomplete (%v); set it again", t.Slug, err)}
	}
	if now.After(cfg.ResponseCert.NotAfter) {
		return exitError{magdaExitExpired, fmt.Sprintf("certificate expired: the answer-signing certificate expired on %s; set MAGDA's current one",
			cfg.ResponseCert.NotAfter.UTC().Format(time.DateOnly))}
	}
	cfg.Now = db.Now
	client, err := magda.NewClient(cfg)
	if err != nil {
		return exitError{magdaExitNotConfigured, fmt.Sprintf("not usable: %v", err)}
	}
	call := store.MagdaCall{Reference: magda.NewReference(), Purpose: magdaCheckPurpose, Reason: "kluis magda check", INSZ: insz}
	var took time.Duration
	var callErr error
	var outcome string
	var warnings []string
	made, err := db.AuditedMagdaCall(ctx, actor, t.ID, call, func() (string, []string) {
		start := time.Now()
		var res *magda.Result
		res, callErr = client.GeefPersoonWithReference(ctx, call.Reference, insz)
		took = time.Since(start).Round(time.Millisecond)
		outcome = magda.OutcomeOf(callErr)
		if res != nil {
			for _, w := range res.Warnings {
				warnings = append(warnings, w.Identificatie)
			}
		}
		return outcome, warnings
	})
	if !made {
		return fmt.Errorf("the call could not be recorded, so it was not made: %w", err)
	}
	if err != nil {
		return fmt.Errorf("the answer (reference %s) could not be recorded: %w", call.Reference, err)
	}
	ref := "reference " + call.Reference
	switch outcome {
	case magda.OutcomeFound, magda.OutcomeNotFound, magda.OutcomeNotInRepertory:
		what := map[string]string{magda.OutcomeFound: "the test person was found", magda.OutcomeNotFound: "no person with this number",
			magda.OutcomeNotInRepertory: "the person is not in the consumer's repertory"}[outcome]
		fmt.Fprintf(env.Stdout, "OK: %s answered over mutual TLS with a valid signature in %s (%s); %s\n", conn.Endpoint, took, what, ref)
		if len(warnings) > 0 {
			fmt.Fprintf(env.Stdout, "warnings: %s\n", strings.Join(warnings, " "))
		}
		return nil
	case magda.OutcomeUnavailable, magda.OutcomeTimeout:
		return exitError{magdaExitUnreachable, fmt.Sprintf("endpoint unreachable: %s cannot be reached from here (%s after %s); check the network path, firewall and address; %s",
			conn.Endpoint, outcome, took, ref)}
	case magda.OutcomeTLSRefused:
		return exitError{magdaExitTLSRefused, fmt.Sprintf("TLS refused: the secure connection to %s failed (the service refused the client certificate, or its own certificate does not chain to the configured CA); %s",
			conn.Endpoint, ref)}
	case magda.OutcomeBadSignature:
		return exitError{magdaExitBadSignature, fmt.Sprintf("answer signature bad: the answer does not verify with the configured answer-signing certificate; %s", ref)}
	}
	return exitError{magdaExitRefused, fmt.Sprintf("refused: %s (%v); check the consumer identity and capacity code; %s", outcome, callErr, ref)}
}
