// Package broken is a fixture of scripts/summary_test.go: it does not
// build (gofmt-clean, a type error), so it runs no test at all.
package broken

var Broken = undefinedOnPurpose
