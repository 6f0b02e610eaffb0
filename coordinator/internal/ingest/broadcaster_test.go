package ingest

import (
	"testing"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

func TestBroadcasterFilters(t *testing.T) {
	b := NewBroadcaster()
	all := b.Subscribe("", "", 10)
	shop := b.Subscribe("shop", "", 10)
	us := b.Subscribe("", "us", 10)
	b.Publish([]*vigilv1.Result{
		{Id: "1", CheckId: "shop", Region: "eu"},
		{Id: "2", CheckId: "blog", Region: "us"},
	})
	if len(all.C()) != 2 || len(shop.C()) != 1 || len(us.C()) != 1 {
		t.Fatalf("delivered all=%d shop=%d us=%d, want 2 1 1", len(all.C()), len(shop.C()), len(us.C()))
	}
	if r := <-us.C(); r.GetId() != "2" {
		t.Fatalf("us got %s", r.GetId())
	}
}

func TestBroadcasterDropsSlowSubscriber(t *testing.T) {
	b := NewBroadcaster()
	slow := b.Subscribe("", "", 1)
	fast := b.Subscribe("", "", 10)
	b.Publish([]*vigilv1.Result{{Id: "1"}, {Id: "2"}, {Id: "3"}})
	<-slow.Done()
	if slow.Err() != ErrTooSlow {
		t.Fatalf("slow Err = %v, want ErrTooSlow", slow.Err())
	}
	if fast.Err() != nil || len(fast.C()) != 3 {
		t.Fatalf("fast subscriber: err %v, %d results", fast.Err(), len(fast.C()))
	}
	b.Publish([]*vigilv1.Result{{Id: "4"}}) // must not block or panic on the dropped one
	b.Close()
	<-fast.Done()
	if fast.Err() != ErrShutdown {
		t.Fatalf("fast Err after Close = %v", fast.Err())
	}
	late := b.Subscribe("", "", 1)
	if late.Err() != ErrShutdown {
		t.Fatalf("Subscribe after Close: Err = %v", late.Err())
	}
	b.Unsubscribe(slow)
	b.Close()
}
