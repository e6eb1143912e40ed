# Clause results of one test run, for `kluis compliance clauses` and the
# operators' clause page (internal/clausecov.ParseResults reads the format):
# the outcome of every test whose name carries a contract clause
# (TestClauseAUD1_…, …_ClauseLOC2_…, a browser test titled "ClauseAUD2: …").
#
#   awk -v commit=SHA -v now=RFC3339 -v scope=full|filtered \
#       -f scripts/clause-results.awk go-test.log [e2e.tap]
#
# go-test.log is `go test -v` output of several packages: go test prints
# each package's output whole, then its "ok"/"FAIL" line, so every test
# line before that line is the package's. A top-level test that started
# and has no outcome when its package FAILs (a panic, a timeout) failed.
# e2e.tap is node's TAP report; only top-level tests (no indentation).
BEGIN {
	print "# kluis clause results: outcomes of the tests named after contract clauses"
	print "commit " commit
	print "time " now
	print "scope " scope
}
function clause(name) { return name ~ /Clause[A-Z][A-Z][A-Z][0-9]/ }
function flush(pkg, failed,    n) {
	for (n in started) {
		if (!(n in outcome) && failed) outcome[n] = "fail"
	}
	for (n in outcome) {
		if (clause(n)) printf "go\t%s\t%s\t%s\n", pkg, n, outcome[n]
	}
	delete started
	delete outcome
}
FILENAME ~ /\.tap$/ {
	if ($0 !~ /^(not )?ok [0-9]+ - /) next
	result = ($0 ~ /^not /) ? "fail" : "pass"
	title = $0
	sub(/^(not )?ok [0-9]+ - /, "", title)
	# The directive is an unescaped " # SKIP"/" # TODO" at the end.
	if (match(title, / # (SKIP|TODO)([ \t].*)?$/) && substr(title, RSTART - 1, 1) != "\\") {
		title = substr(title, 1, RSTART - 1)
		if (result == "pass") result = "skip"
	}
	gsub(/\\#/, "#", title)
	gsub(/\\\\/, "\\", title)
	if (clause(title)) printf "e2e\t-\t%s\t%s\n", title, result
	next
}
/^=== RUN   Test[^\/ ]*$/ { started[$3] = 1; next }
/^--- (PASS|FAIL|SKIP): Test[^\/ ]* \(/ {
	o = $2; sub(/:$/, "", o)
	outcome[$3] = tolower(o)
	next
}
/^(ok  |FAIL|\?   )\t/ {
	split($0, f, "\t")
	pkg = f[2]
	sub(/ .*$/, "", pkg)
	flush(pkg, f[1] == "FAIL")
}
