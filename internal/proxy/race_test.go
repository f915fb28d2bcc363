//go:build race

package proxy

// raceEnabled: the race detector limits a process to 8,128 goroutines.
const raceEnabled = true
