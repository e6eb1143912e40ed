//go:build !linux

package cli

// lowerPriority is a no-op where the process priority is not set per
// thread from here; run the backup under nice(1) there.
func lowerPriority() error { return nil }
