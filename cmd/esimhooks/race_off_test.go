//go:build !race

package main

// raceEnabled says the test binary (and so every child process it starts)
// runs under the race detector, several times slower.
const raceEnabled = false
