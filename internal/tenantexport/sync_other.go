//go:build !linux

package tenantexport

import "os"

// syncFiles makes each of paths durable.
func syncFiles(_ string, paths []string) error {
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		err = f.Sync()
		f.Close()
		if err != nil {
			return err
		}
	}
	return nil
}
