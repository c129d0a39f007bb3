//go:build race

package nats

// raceDetector is true when the tests run under -race.
const raceDetector = true
