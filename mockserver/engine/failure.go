package engine

import "fmt"

// Failure says what an unsuccessful attempt got: the receiver's status,
// else the kind of error and the error.
func (a *Attempt) Failure() string {
	if a.Status != 0 {
		return fmt.Sprintf("the receiver answered %d", a.Status)
	}
	if a.ErrorKind != "" {
		return a.ErrorKind + ": " + a.Error
	}
	return a.Error
}
