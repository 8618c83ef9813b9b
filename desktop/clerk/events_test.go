package clerk

import (
	"testing"
	"time"
)

// TestSlowSubscriberLosesEvents: a subscriber that never reads must not
// stall the engine; it keeps the first subscriberBuffer events and loses
// the rest, while a second subscriber is unaffected, and cancelling closes
// the channel.
func TestSlowSubscriberLosesEvents(t *testing.T) {
	c := &Clerk{subs: map[int]chan Event{}}
	slow, cancelSlow := c.Subscribe()
	fast, cancelFast := c.Subscribe()
	got := make(chan int)
	go func() {
		n := 0
		for range fast {
			n++
		}
		got <- n
	}()
	done := make(chan struct{})
	go func() {
		for i := range 3 * subscriberBuffer {
			c.emit(OutboxChanged{Pending: i})
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("emit blocked on a subscriber that does not read")
	}
	if len(slow) != subscriberBuffer {
		t.Fatalf("slow subscriber holds %d events, want %d", len(slow), subscriberBuffer)
	}
	if first := (<-slow).(OutboxChanged); first.Pending != 0 {
		t.Fatalf("first event kept is %d, want 0", first.Pending)
	}
	cancelFast()
	if n := <-got; n == 0 {
		t.Fatal("the reading subscriber got nothing")
	}
	cancelSlow()
	cancelSlow() // twice is harmless
	for range slow {
	}
}
