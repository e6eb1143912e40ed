#!/usr/bin/env bash
# Kluis test runner: `make test` runs this, and so does CI.
#
#   scripts/test.sh [go test args...]    e.g. scripts/test.sh -run TestStore -race
#   scripts/test.sh --pg-only            start the throwaway PostgreSQL, print its URL,
#                                        run `select 1` through psql, stop it (debugging)
#
# PostgreSQL for the store tests:
#   - KLUIS_TEST_POSTGRES_URL set        -> used as is;
#   - else initdb/pg_ctl found           -> throwaway cluster (scripts/pg-throwaway.sh),
#                                           stopped and removed on exit, even on Ctrl-C;
#   - else                               -> loud warning, SQLite only; an error instead
#                                           when KLUIS_TEST_REQUIRE_POSTGRES=1 or CI=true.
# Browser accessibility tests (e2e/, axe-core in Debian's Chromium, after the Go tests):
#   - Chromium (KLUIS_E2E_CHROMIUM, /usr/bin/chromium or on PATH) and Node >= 20 found ->
#                                           `npm ci` when node_modules is missing or older
#                                           than package-lock.json, then `node --test e2e/`;
#   - else                               -> an error before any test runs, unless you opt out
#                                           with KLUIS_TEST_SKIP_BROWSER=1 (a loud warning
#                                           then). CI (CI=true) never opts out: there the
#                                           variable is ignored and missing browsers fail.
#   Filtered runs (-run, -skip, -list, KLUIS_TEST_PKGS) leave them out.
#   scripts/test.sh --preflight          only decide whether PostgreSQL and the browser tests
#                                           can run here, say so, exit 1 when the run would fail
#                                           for it (nothing is started).
# The S3 store's tests start versitygw (`make tools` installs it into $(go env GOPATH)/bin,
# which is put on PATH here); without it they are skipped loudly, or fail when
# KLUIS_TEST_REQUIRE_S3=1 (CI sets it).
# Other knobs: KLUIS_TEST_PKGS (default ./...); KLUIS_CLAUSE_RESULTS_OUT, where the
# clause results go (default: beside the log; scripts/clause-results.awk, docs/operations.md).
#
# Runs `go test -count=1 -v PKGS ARGS`, keeps the log, prints a summary (store tests
# per dialect, counted from the `TestX/sqlite` and `TestX/postgres` subtests, and the
# browser tests; scripts/test-summary.awk) and ends with the line "N passed, N failed"
# covering Go and browser tests, where a package that failed without a failing test of
# its own (it did not build, it panicked outside a test, it timed out) counts as one
# failure. Exits non-zero when anything failed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/pg-throwaway.sh
source scripts/pg-throwaway.sh

pg_only=0 preflight=0
if [[ "${1:-}" == "--pg-only" ]]; then
	pg_only=1
	shift
elif [[ "${1:-}" == "--preflight" ]]; then
	preflight=1
	shift
fi

# banner LEVEL LINE...: a framed message on stderr that is hard to miss.
banner() {
	local level="$1" line
	shift
	{
		echo
		echo "################################################################################"
		echo "##  $level"
		for line in "$@"; do echo "##  $line"; done
		echo "################################################################################"
		echo
	} >&2
}

require_pg=0
if [[ "${KLUIS_TEST_REQUIRE_POSTGRES:-}" == "1" || "${CI:-}" == "true" || "${CI:-}" == "1" ]]; then
	require_pg=1
fi

no_pg_lines=(
	"PostgreSQL binaries (initdb, pg_ctl) were NOT found on PATH or in"
	"/usr/lib/postgresql/*/bin, and KLUIS_TEST_POSTGRES_URL is not set."
	"Fix: apt-get install postgresql   (or set KLUIS_TEST_POSTGRES_URL)"
)

# Browser tests: decide now (before the long Go run) whether they can run here.
# Required unless the user opts out explicitly; CI never opts out.
require_browser=1
if [[ "${KLUIS_TEST_SKIP_BROWSER:-}" == "1" ]]; then
	if [[ "${CI:-}" == "true" || "${CI:-}" == "1" || "${KLUIS_TEST_REQUIRE_BROWSER:-}" == "1" ]]; then
		echo "test.sh: KLUIS_TEST_SKIP_BROWSER=1 is ignored here (CI=true or KLUIS_TEST_REQUIRE_BROWSER=1)" >&2
	else
		require_browser=0
	fi
fi
filtered=0
for a in "$@"; do
	case "$a" in -run | -run=* | --run | --run=* | -skip | -skip=* | --skip | --skip=* | -list | -list=*) filtered=1 ;; esac
done
[[ -n "${KLUIS_TEST_PKGS:-}" ]] && filtered=1

chromium_bin=""
if [[ -n "${KLUIS_E2E_CHROMIUM:-}" ]]; then
	[[ -x "$KLUIS_E2E_CHROMIUM" ]] && chromium_bin="$KLUIS_E2E_CHROMIUM"
elif [[ -x /usr/bin/chromium ]]; then
	chromium_bin=/usr/bin/chromium
elif command -v chromium >/dev/null 2>&1; then
	chromium_bin="$(command -v chromium)"
fi
node_ok=0
if command -v node >/dev/null 2>&1 && node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)' 2>/dev/null; then
	node_ok=1
fi
no_browser_lines=()
if [[ -z "$chromium_bin" ]]; then
	no_browser_lines+=("Chromium was NOT found (${KLUIS_E2E_CHROMIUM:-/usr/bin/chromium or chromium on PATH})."
		"Fix: apt-get install chromium")
fi
if [[ "$node_ok" == 0 ]]; then
	no_browser_lines+=("Node.js >= 20 was NOT found on PATH."
		"Fix: install Node.js >= 20 with npm (Debian 12's own nodejs 18 is too old)")
fi
no_browser_lines+=("Or opt out of the browser tests on this machine: KLUIS_TEST_SKIP_BROWSER=1 make test"
	"(not in CI, which always runs them).")
e2e_wanted=0
if [[ "$pg_only" == 0 && "$filtered" == 0 ]]; then
	if [[ -n "$chromium_bin" && "$node_ok" == 1 ]]; then
		e2e_wanted=1
	elif [[ "$require_browser" == 1 ]]; then
		banner "ERROR: the browser accessibility tests cannot run here" "${no_browser_lines[@]}"
		echo "0 passed, 1 failed"
		exit 1
	else
		banner "WARNING: browser accessibility tests will NOT run (KLUIS_TEST_SKIP_BROWSER=1)" "${no_browser_lines[@]}"
	fi
fi

if [[ "$preflight" == 1 ]]; then
	if [[ -n "${KLUIS_TEST_POSTGRES_URL:-}" ]] || kluis_pg_find; then
		echo "test.sh: PostgreSQL: available"
	elif [[ "$require_pg" == 1 ]]; then
		banner "ERROR: PostgreSQL is required here (CI=true or KLUIS_TEST_REQUIRE_POSTGRES=1)" "${no_pg_lines[@]}"
		exit 1
	else
		echo "test.sh: PostgreSQL: not found (SQLite only)"
	fi
	echo "test.sh: browser tests: $([[ "$e2e_wanted" == 1 ]] && echo "will run" || echo "will NOT run")"
	exit 0
fi

# The S3 server of the object-store tests (internal/objstore/s3test looks on PATH).
if gobin="$(go env GOBIN)"; [[ -z "$gobin" ]]; then gobin="$(go env GOPATH | cut -d: -f1)/bin"; fi
export PATH="$PATH:$gobin"
if ! command -v versitygw >/dev/null 2>&1 && [[ -z "${KLUIS_TEST_VERSITYGW:-}" ]]; then
	if [[ "${KLUIS_TEST_REQUIRE_S3:-}" == "1" ]]; then
		banner "ERROR: versitygw (the tests' S3 server) is required here (KLUIS_TEST_REQUIRE_S3=1)" "Fix: make tools"
		exit 1
	fi
	banner "WARNING: the S3 store tests will be SKIPPED: versitygw was not found" "Fix: make tools"
fi

# 1. Find or start PostgreSQL.
pg_expected=0
if [[ -n "${KLUIS_TEST_POSTGRES_URL:-}" ]]; then
	echo "test.sh: using KLUIS_TEST_POSTGRES_URL from the environment" >&2
	pg_expected=1
elif kluis_pg_find; then
	kluis_pg_start
	pg_expected=1
elif [[ "$require_pg" == 1 || "$pg_only" == 1 ]]; then
	banner "ERROR: PostgreSQL is required here (CI=true or KLUIS_TEST_REQUIRE_POSTGRES=1)" "${no_pg_lines[@]}"
	exit 1
else
	banner "WARNING: PostgreSQL tests will NOT run" "${no_pg_lines[@]}" \
		"ONLY THE SQLITE STORE TESTS RUN; the PostgreSQL store tests are skipped."
fi

# --pg-only: just prove the cluster works, then stop it (the EXIT trap cleans up).
if [[ "$pg_only" == 1 ]]; then
	echo "KLUIS_TEST_POSTGRES_URL=$KLUIS_TEST_POSTGRES_URL"
	psql_bin="psql"
	if [[ -n "$KLUIS_PG_BINDIR" && -x "$KLUIS_PG_BINDIR/psql" ]]; then
		psql_bin="$KLUIS_PG_BINDIR/psql"
	fi
	"$psql_bin" -X -v ON_ERROR_STOP=1 "$KLUIS_TEST_POSTGRES_URL" -c 'select 1'
	exit 0
fi

# 2. Run the tests, teeing the -v output to a log that is kept afterwards.
read -r -a pkgs <<<"${KLUIS_TEST_PKGS:-./...}"
logdir="$(mktemp -d "${TMPDIR:-/tmp}/kluis-test.XXXXXX")"
log="$logdir/go-test.log"
echo "test.sh: go test -count=1 -timeout 30m -v ${pkgs[*]} $*" >&2
set +e
go test -count=1 -timeout 30m -v "${pkgs[@]}" "$@" 2>&1 | tee "$log"
status="${PIPESTATUS[0]}"
set -e

# 3. Summary from the -v log. A store test is a (sub)test whose last path element is
#    exactly "sqlite" or "postgres" (a "#01"-style duplicate suffix is tolerated).
read -r pass fail skip sq_pass sq_fail sq_skip pg_pass pg_fail pg_skip pkg_ok pkg_fail broken < <(
	awk -f scripts/test-summary.awk "$log"
)

# 4. Browser accessibility tests (e2e/): axe-core and keyboard checks in Chromium.
#    e2e_ran=1 once node --test ran; otherwise no_browser_lines says why not.
e2e_ran=0 e2e_pass=0 e2e_fail=0 e2e_status=0 e2e_seconds=0
e2e_log="$logdir/e2e.log"
if [[ "$e2e_wanted" == 1 ]]; then
	e2e_ready=1
	if [[ -f package-lock.json && (! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json) ]]; then
		echo "test.sh: npm ci --no-audit --no-fund (node_modules missing or older than package-lock.json)" >&2
		if ! npm ci --no-audit --no-fund >&2; then
			e2e_ready=0
			no_browser_lines=("\`npm ci\` failed in $(pwd) (see its output above)." "Fix: npm ci   (it needs the npm registry)"
				"Or opt out on this machine: KLUIS_TEST_SKIP_BROWSER=1 (never in CI).")
		fi
	fi
	if [[ "$e2e_ready" == 1 ]] && ! [[ -d node_modules/playwright-core && -d node_modules/axe-core ]]; then
		e2e_ready=0
		no_browser_lines=("node_modules lacks playwright-core or axe-core." "Fix: npm ci"
			"Or opt out on this machine: KLUIS_TEST_SKIP_BROWSER=1 (never in CI).")
	fi
	if [[ "$e2e_ready" == 1 ]]; then
		e2e_ran=1
		echo
		echo "test.sh: node --test e2e/ (browser accessibility tests in $chromium_bin)" >&2
		e2e_start="$SECONDS"
		# The harness appends one line per page axe checks: a full run starts
		# from an empty log, which `kluis accessibility record --from` reads.
		mkdir -p e2e/artifacts && : > e2e/artifacts/axe-audit.jsonl
		set +e
		KLUIS_E2E_CHROMIUM="$chromium_bin" node --test \
			--test-reporter=spec --test-reporter-destination=stdout \
			--test-reporter=tap --test-reporter-destination="$logdir/e2e.tap" \
			e2e/ 2>&1 | tee "$e2e_log"
		e2e_status="${PIPESTATUS[0]}"
		set -e
		e2e_seconds=$((SECONDS - e2e_start))
		read -r e2e_pass e2e_fail < <(
			awk '
			/^# pass [0-9]+$/ { p = $3 }
			/^# fail [0-9]+$/ { f = $3 }
			/^# cancelled [0-9]+$/ { c = $3 }
			END { printf "%d %d\n", p, f + c }' "$logdir/e2e.tap" 2>/dev/null || echo "0 0"
		)
		# A crash before or between tests still counts as a failure.
		if [[ "$e2e_status" != 0 && "$e2e_fail" == 0 ]]; then
			e2e_fail=1
		fi
	elif [[ "$require_browser" == 1 ]]; then
		banner "ERROR: the browser accessibility tests cannot run here" "${no_browser_lines[@]}"
		e2e_fail=1
	else
		banner "WARNING: browser accessibility tests will NOT run" "${no_browser_lines[@]}"
	fi
fi

# 5. Clause results: the outcome of every test named after a contract clause,
#    with the commit and time of this run, for `kluis compliance clauses`
#    and the operators' clause page (KLUIS_CLAUSE_RESULTS; internal/clausecov).
#    "full" only when every Go and browser test ran; the commit ends in
#    -dirty when the tree had changes, as Go stamps the binary.
clause_results="${KLUIS_CLAUSE_RESULTS_OUT:-$logdir/clause-results.txt}"
clause_commit="$(git rev-parse HEAD 2>/dev/null || echo unknown)"
if [[ "$clause_commit" != unknown && -n "$(git status --porcelain 2>/dev/null)" ]]; then
	clause_commit+="-dirty"
fi
clause_scope=filtered
[[ "$filtered" == 0 && "$e2e_ran" == 1 ]] && clause_scope=full
clause_inputs=("$log")
[[ "$e2e_ran" == 1 && -f "$logdir/e2e.tap" ]] && clause_inputs+=("$logdir/e2e.tap")
mkdir -p "$(dirname "$clause_results")"
awk -v commit="$clause_commit" -v now="$(date -u +%Y-%m-%dT%H:%M:%SZ)" -v scope="$clause_scope" \
	-f scripts/clause-results.awk "${clause_inputs[@]}" >"$clause_results"

echo
echo "==================================== summary ===================================="
echo "tests (top-level + subtests): $pass passed, $fail failed, $skip skipped"
echo "store tests on SQLite: $sq_pass passed"
((sq_fail + sq_skip > 0)) && echo "    (and $sq_fail failed, $sq_skip skipped)"
echo "store tests on PostgreSQL: $pg_pass passed"
((pg_fail + pg_skip > 0)) && echo "    (and $pg_fail failed, $pg_skip skipped)"
echo "packages: $pkg_ok ok, $pkg_fail failed"
((broken > 0)) && echo "    ($broken of them without a failing test: they did not build, or stopped outside a test; counted as failures below)"
echo "go test exit status: $status; full log: $log"
echo "clause results ($clause_scope run of $clause_commit): $(grep -c $'\t' "$clause_results") outcomes in $clause_results"
if [[ "$e2e_ran" == 1 ]]; then
	echo "browser tests (axe-core in Chromium): $e2e_pass passed, $e2e_fail failed in ${e2e_seconds}s;" \
		"node --test exit status: $e2e_status; log: $e2e_log; screenshots: e2e/artifacts/"
elif [[ "$filtered" == 1 ]]; then
	echo "browser tests: not run (filtered run)"
else
	echo "browser tests: NOT run"
fi
if [[ "$pg_expected" == 0 ]]; then
	banner "WARNING: PostgreSQL tests did NOT run (SQLite only)" "${no_pg_lines[@]}"
elif [[ "$pg_pass" == 0 ]]; then
	if [[ "$filtered" == 1 ]]; then
		echo "test.sh: note: PostgreSQL was available but no postgres store test passed (filtered run)" >&2
	else
		banner "ERROR: PostgreSQL was available but 0 PostgreSQL store tests passed" \
			"Expected subtests named TestXxx/postgres to PASS (see the log above)." \
			"Were they skipped? Is the storetest helper reading KLUIS_TEST_POSTGRES_URL?"
		[[ "$status" == 0 ]] && status=1
	fi
fi
if [[ "$e2e_ran" == 0 && "$filtered" == 0 ]]; then
	if [[ "$require_browser" == 1 ]]; then
		banner "ERROR: the browser accessibility tests did NOT run (counted as a failure)" "${no_browser_lines[@]}"
	else
		banner "WARNING: browser accessibility tests did NOT run" "${no_browser_lines[@]}"
	fi
fi
[[ "$status" == 0 && "$((e2e_fail + broken + fail))" != 0 ]] && status=1
echo "$((pass + e2e_pass)) passed, $((fail + broken + e2e_fail)) failed"
exit "$status"
