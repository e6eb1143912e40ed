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
# Other knobs: KLUIS_TEST_PKGS (default ./...).
#
# Runs `go test -count=1 -v PKGS ARGS`, keeps the log, prints a summary (store tests
# per dialect, counted from the `TestX/sqlite` and `TestX/postgres` subtests) and
# ends with the line "N passed, N failed". Exits with go test's status.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/pg-throwaway.sh
source scripts/pg-throwaway.sh

pg_only=0
if [[ "${1:-}" == "--pg-only" ]]; then
	pg_only=1
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
echo "test.sh: go test -count=1 -v ${pkgs[*]} $*" >&2
set +e
go test -count=1 -v "${pkgs[@]}" "$@" 2>&1 | tee "$log"
status="${PIPESTATUS[0]}"
set -e

# 3. Summary from the -v log. A store test is a (sub)test whose last path element is
#    exactly "sqlite" or "postgres" (a "#01"-style duplicate suffix is tolerated).
read -r pass fail skip sq_pass sq_fail sq_skip pg_pass pg_fail pg_skip pkg_ok pkg_fail < <(
	awk '
	/^[[:space:]]*--- (PASS|FAIL|SKIP): / {
		res = $2; sub(/:$/, "", res)
		n = split($3, parts, "/"); last = parts[n]; sub(/#[0-9]+$/, "", last)
		total[res]++
		if (n > 1 && last == "sqlite") sq[res]++
		if (n > 1 && last == "postgres") pg[res]++
	}
	/^ok[[:space:]]/ { pkgok++ }
	/^FAIL[[:space:]]/ { pkgfail++ }
	END {
		printf "%d %d %d %d %d %d %d %d %d %d %d\n", total["PASS"], total["FAIL"], total["SKIP"],
			sq["PASS"], sq["FAIL"], sq["SKIP"], pg["PASS"], pg["FAIL"], pg["SKIP"], pkgok, pkgfail
	}' "$log"
)

filtered=0
for a in "$@"; do
	case "$a" in -run | -run=* | --run | --run=* | -skip | -skip=* | --skip | --skip=* | -list | -list=*) filtered=1 ;; esac
done
[[ -n "${KLUIS_TEST_PKGS:-}" ]] && filtered=1

echo
echo "==================================== summary ===================================="
echo "tests (top-level + subtests): $pass passed, $fail failed, $skip skipped"
echo "store tests on SQLite: $sq_pass passed"
((sq_fail + sq_skip > 0)) && echo "    (and $sq_fail failed, $sq_skip skipped)"
echo "store tests on PostgreSQL: $pg_pass passed"
((pg_fail + pg_skip > 0)) && echo "    (and $pg_fail failed, $pg_skip skipped)"
echo "packages: $pkg_ok ok, $pkg_fail failed"
echo "go test exit status: $status; full log: $log"
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
echo "$pass passed, $fail failed"
exit "$status"
