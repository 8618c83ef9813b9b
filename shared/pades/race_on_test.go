//go:build race

package pades

// raceAlloc scales the tests' allocation bounds: under the race detector
// sync.Pool drops what it is given at random, so every stream decoded
// takes a fresh decompressor and a bomb of many small streams allocates
// about twice what it does in a normal build.
const raceAlloc = 2
