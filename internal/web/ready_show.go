package web

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
)

// readyShow answers readiness probes: it runs every Check concurrently
// within a.readyTimeout and answers 200 when all pass, 503 when any fails or
// is too slow. The body names each check with "ok" or "fail"; why a check
// failed goes to the log only.
func (a *App) readyShow(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), a.readyTimeout)
	defer cancel()

	type result struct {
		name string
		err  error
	}
	results := make(chan result, len(a.opts.Checks)) // buffered: a late check never blocks
	for _, c := range a.opts.Checks {
		go func() { results <- result{c.Name, runCheck(ctx, c)} }()
	}

	checks := make(map[string]string, len(a.opts.Checks))
	for _, c := range a.opts.Checks {
		checks[c.Name] = "fail" // until it reports ok
	}
	ok := true
collect:
	for pending := len(a.opts.Checks); pending > 0; pending-- {
		select {
		case res := <-results:
			if res.err != nil {
				a.log.LogAttrs(r.Context(), slog.LevelError, "readiness check failed",
					slog.String("check", res.name),
					slog.String("request_id", RequestIDFrom(r.Context())),
					slog.String("error", res.err.Error()))
				ok = false
				continue
			}
			checks[res.name] = "ok"
		case <-ctx.Done():
			a.log.LogAttrs(r.Context(), slog.LevelError, "readiness checks timed out",
				slog.Int("pending", pending),
				slog.String("request_id", RequestIDFrom(r.Context())))
			ok = false
			break collect
		}
	}

	status, body := http.StatusOK, struct {
		Status string            `json:"status"`
		Checks map[string]string `json:"checks"`
	}{"ok", checks}
	if !ok {
		status, body.Status = http.StatusServiceUnavailable, "fail"
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(body)
}

// runCheck runs c, turning a missing function or a panic into an error: a
// check runs in its own goroutine, where a panic would end the process.
func runCheck(ctx context.Context, c Check) (err error) {
	if c.Fn == nil {
		return fmt.Errorf("check %q has no function", c.Name)
	}
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("check %q panicked: %v", c.Name, v)
		}
	}()
	return c.Fn(ctx)
}
