package uplink

import (
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

func pushAll(t *testing.T, p *pending, ids ...string) {
	t.Helper()
	for _, id := range ids {
		r := result(id)
		if _, ok := p.push(r, proto.Size(r)); !ok {
			t.Fatalf("push(%s): duplicate", id)
		}
	}
}

func batchIDs(b []*vigilv1.Result) []string {
	out := make([]string, len(b))
	for i, r := range b {
		out[i] = r.GetId()
	}
	return out
}

// drain takes every batch the session would send now.
func drain(p *pending, maxN, maxBytes int) [][]string {
	var out [][]string
	for {
		b, _ := p.next(maxN, maxBytes)
		if len(b) == 0 {
			return out
		}
		out = append(out, batchIDs(b))
	}
}

func TestPendingBatchesInOrder(t *testing.T) {
	p := newPending(100)
	pushAll(t, p, "a", "b", "c", "d", "e")
	p.startSession(nil)
	got := drain(p, 2, maxBatchBytes)
	want := [][]string{{"a", "b"}, {"c", "d"}, {"e"}}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("batches = %v, want %v", got, want)
	}
	// New results go out after the ones sent already.
	pushAll(t, p, "f")
	if got := drain(p, 2, maxBatchBytes); !slices.EqualFunc(got, [][]string{{"f"}}, slices.Equal) {
		t.Fatalf("batches after push = %v, want [[f]]", got)
	}
	// Acks remove results in any order; a new session resends the rest.
	if n, _ := p.ack([]string{"c", "a", "zz"}); n != 2 {
		t.Fatalf("ack removed %d, want 2", n)
	}
	p.startSession(nil)
	b, resent := p.next(10, maxBatchBytes)
	if got, want := batchIDs(b), []string{"b", "d", "e", "f"}; !slices.Equal(got, want) {
		t.Fatalf("resend = %v, want %v", got, want)
	}
	if resent != 4 {
		t.Errorf("resent = %d, want 4", resent)
	}
}

func TestPendingDropsOldest(t *testing.T) {
	p := newPending(3)
	pushAll(t, p, "a", "b", "c")
	p.startSession(nil)
	if got := drain(p, 1, maxBatchBytes); len(got) != 3 {
		t.Fatalf("sent %v", got)
	}
	r := result("d")
	dropped, ok := p.push(r, proto.Size(r))
	if !ok || dropped == nil || dropped.id != "a" {
		t.Fatalf("push(d) dropped %v, ok %v; want a", dropped, ok)
	}
	if p.len() != 3 {
		t.Fatalf("len = %d, want 3", p.len())
	}
	if got := drain(p, 10, maxBatchBytes); !slices.EqualFunc(got, [][]string{{"d"}}, slices.Equal) {
		t.Fatalf("batches = %v, want [[d]]", got)
	}
	// Dropping the first unsent result moves the cursor to the next one.
	p = newPending(2)
	pushAll(t, p, "a", "b")
	p.startSession(nil)
	if d, _ := p.push(result("c"), 10); d == nil || d.id != "a" {
		t.Fatalf("dropped %v, want a", d)
	}
	if got := drain(p, 10, maxBatchBytes); !slices.EqualFunc(got, [][]string{{"b", "c"}}, slices.Equal) {
		t.Fatalf("batches = %v, want [[b c]]", got)
	}
}

func TestPendingIgnoresDuplicateIDs(t *testing.T) {
	p := newPending(10)
	pushAll(t, p, "a")
	if _, ok := p.push(result("a"), 10); ok {
		t.Fatal("second push of a accepted")
	}
	if p.len() != 1 {
		t.Fatalf("len = %d, want 1", p.len())
	}
}

func TestPendingBatchByteLimit(t *testing.T) {
	p := newPending(10)
	for _, id := range []string{"a", "b", "c", "d"} {
		r := result(id)
		r.Screenshot = make([]byte, 600<<10)
		p.push(r, proto.Size(r))
	}
	small := result("e")
	p.push(small, proto.Size(small))
	p.startSession(nil)
	got := drain(p, 100, maxBatchBytes)
	want := [][]string{{"a"}, {"b"}, {"c"}, {"d", "e"}}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("batches = %v, want %v", got, want)
	}

	// A result larger than the limit goes alone.
	p = newPending(10)
	big := result("big")
	big.Screenshot = make([]byte, 2<<20)
	p.push(big, proto.Size(big))
	pushAll(t, p, "x")
	p.startSession(nil)
	if got := drain(p, 100, maxBatchBytes); !slices.EqualFunc(got, [][]string{{"big"}, {"x"}}, slices.Equal) {
		t.Fatalf("batches = %v, want [[big] [x]]", got)
	}
}

func TestPendingPoisonBatch(t *testing.T) {
	t.Run("rejected twice is dropped", func(t *testing.T) {
		p := newPending(100)
		pushAll(t, p, "a", "b", "c", "d", "e", "f")
		p.startSession(nil)
		drain(p, 2, maxBatchBytes) // [a b] [c d] [e f]
		p.ack([]string{"a", "b"})
		suspect, dropped := p.endSession(true)
		if want := []string{"c", "d"}; !slices.Equal(suspect, want) || dropped != nil {
			t.Fatalf("endSession = %v, %v; want suspect %v", suspect, dropped, want)
		}

		p.startSession(suspect)
		if got := drain(p, 2, maxBatchBytes); !slices.EqualFunc(got, [][]string{{"c", "d"}}, slices.Equal) {
			t.Fatalf("probe session sent %v, want only [[c d]]", got)
		}
		suspect, dropped = p.endSession(true)
		if suspect != nil || len(dropped) != 2 || dropped[0].id != "c" || dropped[1].id != "d" {
			t.Fatalf("endSession = %v, %v; want c and d dropped", suspect, dropped)
		}
		p.startSession(nil)
		if got := drain(p, 2, maxBatchBytes); !slices.EqualFunc(got, [][]string{{"e", "f"}}, slices.Equal) {
			t.Fatalf("then sent %v, want [[e f]]", got)
		}
	})
	t.Run("accepted on retry goes on", func(t *testing.T) {
		p := newPending(100)
		pushAll(t, p, "a", "b", "c")
		p.startSession(nil)
		drain(p, 2, maxBatchBytes)
		suspect, _ := p.endSession(true)
		p.startSession(suspect)
		drain(p, 2, maxBatchBytes)
		if _, released := p.ack([]string{"a"}); released {
			t.Fatal("released before the whole suspect batch was acked")
		}
		if _, released := p.ack([]string{"b"}); !released {
			t.Fatal("not released after the suspect batch was acked")
		}
		if got := drain(p, 2, maxBatchBytes); !slices.EqualFunc(got, [][]string{{"c"}}, slices.Equal) {
			t.Fatalf("then sent %v, want [[c]]", got)
		}
		if suspect, dropped := p.endSession(true); !slices.Equal(suspect, []string{"c"}) || dropped != nil {
			t.Fatalf("endSession = %v, %v; want suspect [c]", suspect, dropped)
		}
	})
	t.Run("transient end keeps the suspect", func(t *testing.T) {
		p := newPending(100)
		pushAll(t, p, "a", "b", "c")
		p.startSession(nil)
		drain(p, 2, maxBatchBytes)
		suspect, _ := p.endSession(true)
		p.startSession(suspect)
		if suspect, dropped := p.endSession(false); !slices.Equal(suspect, []string{"a", "b"}) || dropped != nil {
			t.Fatalf("endSession(false) = %v, %v; want suspect [a b]", suspect, dropped)
		}
		// Rejected again, but before the suspect batch went out: not judged.
		p.startSession(suspect)
		if suspect, dropped := p.endSession(true); !slices.Equal(suspect, []string{"a", "b"}) || dropped != nil {
			t.Fatalf("endSession(true) before sending = %v, %v; want suspect [a b]", suspect, dropped)
		}
	})
	t.Run("no suspect without a batch in flight", func(t *testing.T) {
		p := newPending(100)
		pushAll(t, p, "a")
		p.startSession(nil)
		if suspect, dropped := p.endSession(true); suspect != nil || dropped != nil {
			t.Fatalf("endSession = %v, %v; want nothing", suspect, dropped)
		}
	})
}
