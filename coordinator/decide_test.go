package coordinator

import (
	"testing"
	"time"

	"github.com/vigilhq/vigil/coordinator/internal/quorum"
	"github.com/vigilhq/vigil/internal/gossip"
	"github.com/vigilhq/vigil/internal/testlog"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// TestSyncLiveExcludesRegionsWithoutLiveProbes feeds the engine gossip's
// view: a region whose probes are all dead, or that has none in the mesh, is
// excluded; a suspect probe still keeps its region live.
func TestSyncLiveExcludesRegionsWithoutLiveProbes(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	c := &vigilv1.Check{Id: "shop", Regions: []string{"ap", "eu", "us"}}
	d := newDecider([]*vigilv1.Check{c}, testlog.New(t))
	d.now = func() time.Time { return now }
	probe := func(region string, st gossip.State) gossip.Member {
		return gossip.Member{Meta: gossip.Meta{Role: gossip.RoleProbe, Region: region}, State: st}
	}
	d.syncLive([]gossip.Member{
		probe("eu", gossip.StateAlive), probe("us", gossip.StateDead), probe("ap", gossip.StateSuspect),
		{Meta: gossip.Meta{Role: gossip.RoleCoordinator}, State: gossip.StateAlive},
	}, []string{"ap", "eu", "us", "sa"})
	st, ok := d.engine.Status("shop", now)
	if !ok {
		t.Fatal("shop unknown to the engine")
	}
	for region, want := range map[string]quorum.RegionVerdict{"ap": quorum.VerdictStale, "eu": quorum.VerdictStale, "us": quorum.VerdictExcluded} {
		if got := st.Regions[region].Verdict; got != want {
			t.Errorf("%s verdict = %s, want %s", region, got, want)
		}
	}
	if d.live["sa"] != 0 || d.live["eu"] != 1 || d.live["ap"] != 1 {
		t.Errorf("live counts = %v", d.live)
	}
}
