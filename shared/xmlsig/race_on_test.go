//go:build race

package xmlsig

// raceSlack scales the memory bound of TestVerifyMemory: the race
// detector's shadow memory and its slower collector let the heap grow
// past what a normal build holds (9.3× the packet seen against 6×).
const raceSlack = 1.5
