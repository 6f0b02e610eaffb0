package uplink

import (
	"slices"
	"testing"

	"github.com/vigilhq/vigil/internal/testnet"
	"github.com/vigilhq/vigil/internal/testwait"
	"github.com/vigilhq/vigil/probe/internal/outbox"
	"github.com/vigilhq/vigil/probe/internal/uplink/uplinktest"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

func openOutbox(t *testing.T, dir string) *outbox.Outbox {
	t.Helper()
	o, err := outbox.Open(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { o.Close() })
	return o
}

func outboxIDs(t *testing.T, o *outbox.Outbox) []string {
	t.Helper()
	var ids []string
	if err := o.Load(t.Context(), func(id string, _ []byte) error {
		ids = append(ids, id)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return ids
}

// TestOutboxSurvivesRestart: results sent while the coordinator is away
// are on disk; a new uplink on the same outbox (the probe restarted)
// delivers them first, in order, and the acknowledged ones leave the disk.
func TestOutboxSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	first := newTestUplink(t, testnet.FreeAddr(t), func(cfg *Config) { cfg.Outbox = openOutbox(t, dir) })
	before := results("before", 5)
	sendAll(first, before)
	start(t, first) // it cannot connect; the probe then "crashes"

	c := &uplinktest.Coordinator{}
	ob := openOutbox(t, dir)
	second := newTestUplink(t, c.Start(t), func(cfg *Config) { cfg.Outbox = ob })
	if got := second.Stats().Restored; got != 5 || second.Pending() != 5 {
		t.Fatalf("restored %d, pending %d; want 5 and 5", got, second.Pending())
	}
	after := results("after", 3)
	sendAll(second, after)
	start(t, second)
	waitDelivered(t, second)
	if got, want := c.Stored(), append(idsOf(before), idsOf(after)...); !slices.Equal(got, want) {
		t.Errorf("stored %v, want %v", got, want)
	}
	testwait.Until(t, wait, func() bool { return len(outboxIDs(t, ob)) == 0 }, "acknowledged results still in the outbox")
}

// TestOutboxFollowsDrops: results dropped from a full pending set, or as a
// poison batch, leave the outbox too; an undecodable stored result is
// dropped at start.
func TestOutboxFollowsDrops(t *testing.T) {
	dir := t.TempDir()
	ob := openOutbox(t, dir)
	if err := ob.Put(t.Context(), "garbage", []byte{0xff, 0xff, 0xff}); err != nil {
		t.Fatal(err)
	}
	log, logs := newLogs(t)
	u := newTestUplink(t, testnet.FreeAddr(t), func(cfg *Config) {
		cfg.Outbox, cfg.MaxPending, cfg.Logger = ob, 3, log
	})
	if got := u.Stats(); got.Rejected != 1 || got.Restored != 0 || !logs.has("result_id=garbage") {
		t.Errorf("after restoring a garbage entry: stats %+v", got)
	}
	sendAll(u, results("r", 5))
	if got, want := outboxIDs(t, ob), []string{"r-2", "r-3", "r-4"}; !slices.Equal(got, want) {
		t.Errorf("outbox holds %v, want %v (the newest MaxPending)", got, want)
	}

	c := &uplinktest.Coordinator{
		Decide: func(_ int, b *vigilv1.ResultBatch) uplinktest.Action {
			for _, r := range b.GetResults() {
				if r.GetId() == "r-3" {
					return uplinktest.Reject
				}
			}
			return uplinktest.Ack
		},
	}
	v := newTestUplink(t, c.Start(t), func(cfg *Config) { cfg.Outbox, cfg.MaxBatch = openOutbox(t, dir), 1 })
	start(t, v)
	waitDelivered(t, v)
	if got, want := c.Stored(), []string{"r-2", "r-4"}; !slices.Equal(got, want) {
		t.Errorf("stored %v, want %v", got, want)
	}
	testwait.Until(t, wait, func() bool { return len(outboxIDs(t, ob)) == 0 }, "dropped or acknowledged results still in the outbox")
}
