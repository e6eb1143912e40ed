#!/usr/bin/env bash
# Runs every fuzz target of the repository for a bounded time each (CI does,
# after the tests): `bash scripts/fuzz.sh` or `make fuzz`.
#
#   KLUIS_FUZZ_TIME   time per target (default 6s: 18 targets, under 2 min of fuzzing plus building)
#   KLUIS_FUZZ_RUN    only targets whose name matches this extended regexp
#
# The targets are found, not listed: every `func FuzzX(f *testing.F)` in a
# _test.go file. A failing input is written by go test to the package's
# testdata/fuzz/FuzzX/ directory: fix the code and commit that file, so the
# input stays in the seed corpus that plain `go test` runs every time.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
fuzztime="${KLUIS_FUZZ_TIME:-6s}"
filter="${KLUIS_FUZZ_RUN:-.}"

mapfile -t targets < <(
	grep -rE --include='*_test.go' -l '^func Fuzz[A-Za-z0-9_]*\(f \*testing\.F\)' internal cmd 2>/dev/null |
		while read -r file; do
			dir="./$(dirname "$file")"
			grep -oE '^func Fuzz[A-Za-z0-9_]*' "$file" | sed 's/^func //' | while read -r name; do
				echo "$dir $name"
			done
		done | sort -u | grep -E "$filter" || true
)
if [[ "${#targets[@]}" == 0 ]]; then
	echo "fuzz.sh: no fuzz targets found" >&2
	exit 1
fi
echo "fuzz.sh: ${#targets[@]} targets, $fuzztime each"
failed=()
start="$SECONDS"
for t in "${targets[@]}"; do
	read -r pkg name <<<"$t"
	printf '%-28s %s ... ' "$pkg" "$name"
	log="$(mktemp)"
	if go test "$pkg" -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" >"$log" 2>&1; then
		echo ok
	else
		echo FAIL
		cat "$log"
		failed+=("$pkg $name")
	fi
	rm -f "$log"
done
echo "fuzz.sh: $((${#targets[@]} - ${#failed[@]})) passed, ${#failed[@]} failed in $((SECONDS - start))s"
if [[ "${#failed[@]}" != 0 ]]; then
	printf '  failed: %s\n' "${failed[@]}"
	echo "  the failing inputs are in testdata/fuzz/<target>/ of each package: fix the code, commit the input" >&2
	exit 1
fi
