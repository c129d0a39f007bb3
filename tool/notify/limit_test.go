package notify

import (
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	l := newLimiter(3, func() time.Time { return now })
	for i := range 3 {
		if _, ok := l.take(); !ok {
			t.Fatalf("burst call %d refused", i)
		}
	}
	wait, ok := l.take()
	if ok || wait != 20*time.Second {
		t.Fatalf("fourth call: ok %v, wait %s; want a refusal for 20s", ok, wait)
	}
	now = now.Add(20 * time.Second)
	if _, ok := l.take(); !ok {
		t.Fatal("a refilled token was refused")
	}
	now = now.Add(time.Hour)
	for i := range 3 {
		if _, ok := l.take(); !ok {
			t.Fatalf("after an idle hour, call %d refused", i)
		}
	}
	if _, ok := l.take(); ok {
		t.Fatal("the bucket holds more than its size")
	}
}
