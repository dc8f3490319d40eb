// Package testutil holds small helpers shared by the module's tests.
package testutil

import "fmt"

// PanicMessage calls f and returns what it panicked with ("" if it did not).
func PanicMessage(f func()) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg = fmt.Sprint(r)
		}
	}()
	f()
	return ""
}
