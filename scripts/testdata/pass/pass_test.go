// Package pass is a fixture of scripts/summary_test.go: one passing test.
package pass

import "testing"

func TestPasses(t *testing.T) {}
