# Summary of a `go test -v` log, for scripts/test.sh (and tested by scripts/summary_test.go).
# Prints one line: pass fail skip sq_pass sq_fail sq_skip pg_pass pg_fail pg_skip pkg_ok pkg_fail broken
#   pass/fail/skip   every --- PASS/FAIL/SKIP line (top-level tests and subtests)
#   sq_*, pg_*       store tests: (sub)tests whose last path element is exactly "sqlite" or
#                    "postgres" (a "#01"-style duplicate suffix is tolerated)
#   pkg_ok/pkg_fail  package result lines ("ok  pkg", "FAIL pkg ...")
#   broken           failed packages with no failing test of their own: a build failure
#                    ("[build failed]", "[setup failed]"), a panic or exit outside a test, a
#                    timeout. They count as failures: a package that did not build ran no test.
# go test prints each package's output in one piece, ending with its result line, so the
# failing tests seen since the previous result line are that package's.
/^[[:space:]]*--- (PASS|FAIL|SKIP): / {
	res = $2; sub(/:$/, "", res)
	n = split($3, parts, "/"); last = parts[n]; sub(/#[0-9]+$/, "", last)
	total[res]++
	if (res == "FAIL") current++
	if (n > 1 && last == "sqlite") sq[res]++
	if (n > 1 && last == "postgres") pg[res]++
}
/^ok[[:space:]]/ { pkgok++; current = 0 }
/^FAIL[[:space:]]/ {
	pkgfail++
	if (current == 0) broken++
	current = 0
}
END {
	printf "%d %d %d %d %d %d %d %d %d %d %d %d\n", total["PASS"], total["FAIL"], total["SKIP"],
		sq["PASS"], sq["FAIL"], sq["SKIP"], pg["PASS"], pg["FAIL"], pg["SKIP"], pkgok, pkgfail, broken
}
