package termview

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// RenderResults writes one row per result.
func RenderResults(w io.Writer, results []*vigilv1.Result) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STARTED\tCHECK\tREGION\tPROBE\tSLOT\tSTATUS\tDURATION\tFAILING STEP / ERROR")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d/%d\t%s\t%s\t%s\n",
			r.GetStartedAt().AsTime().Local().Format(time.DateTime), r.GetCheckId(), r.GetRegion(), r.GetProbeId(),
			r.GetSlot(), r.GetAttempt(), statusName(r), micros(r.GetDurationUs()), failure(r))
	}
	return tw.Flush()
}

// RenderProbes writes one row per probe.
func RenderProbes(w io.Writer, probes []*vigilv1.ProbeInfo, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PROBE\tREGION\tVERSION\tCONNECTED\tGOSSIP\tCHECKS\tLAST RESULT\tLAST HEARTBEAT\tCAPABILITIES\tWARNINGS")
	for _, p := range probes {
		lastResult, lastBeat := "-", "-"
		if p.GetLastResultAt() != nil {
			lastResult = age(now, p.GetLastResultAt().AsTime()) + " ago"
		}
		if p.GetLastHeartbeatAt() != nil {
			lastBeat = age(now, p.GetLastHeartbeatAt().AsTime()) + " ago"
		}
		gossipState := p.GetGossipState()
		if gossipState == "" {
			gossipState = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%t\t%s\t%d\t%s\t%s\t%s\t%s\n", p.GetProbeId(), p.GetRegion(), p.GetVersion(),
			p.GetConnected(), gossipState, p.GetAssignedChecks(), lastResult, lastBeat,
			strings.Join(p.GetCapabilities(), ","), strings.Join(p.GetWarnings(), "; "))
	}
	return tw.Flush()
}

// RenderRun writes what one local run of a check did: the verdict, each
// step's timing, the page timings and what went wrong.
func RenderRun(w io.Writer, c *vigilv1.Check, r *vigilv1.Result) error {
	fmt.Fprintf(w, "%s (%s %s): %s in %s\n", c.GetName(), c.GetType().Capability(), c.GetTarget(), statusName(r), micros(r.GetDurationUs()))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for i, s := range r.GetSteps() {
		mark := "ok"
		if !s.GetOk() {
			mark = "FAILED"
		}
		fmt.Fprintf(tw, "  %d.\t%s\t%s\t%s\n", i+1, s.GetName(), micros(s.GetDurationUs()), mark)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	var timings []string
	for _, t := range []struct {
		name string
		us   int64
	}{{"dns", r.GetDnsUs()}, {"connect", r.GetConnectUs()}, {"tls", r.GetTlsUs()}, {"ttfb", r.GetTtfbUs()},
		{"dcl", r.GetDomContentLoadedUs()}, {"load", r.GetLoadUs()}, {"lcp", r.GetLcpUs()}} {
		if t.us > 0 {
			timings = append(timings, t.name+"="+micros(t.us))
		}
	}
	if r.GetHttpStatus() > 0 {
		timings = append(timings, fmt.Sprintf("status=%d", r.GetHttpStatus()))
	}
	if c.GetType() == vigilv1.CheckType_CHECK_TYPE_BROWSER {
		timings = append(timings, fmt.Sprintf("cls=%.3f", float64(r.GetClsMilli())/1000))
	}
	if r.GetTlsCertExpiryDays() > 0 {
		timings = append(timings, fmt.Sprintf("cert_expires_in=%dd", r.GetTlsCertExpiryDays()))
	}
	if len(timings) > 0 {
		fmt.Fprintf(w, "  timings: %s\n", strings.Join(timings, " "))
	}
	if f := failure(r); f != "" {
		fmt.Fprintf(w, "  error: %s\n", f)
	}
	for _, e := range r.GetConsoleErrors() {
		fmt.Fprintf(w, "  console: %s\n", e)
	}
	for _, fr := range r.GetFailedRequests() {
		fmt.Fprintf(w, "  failed request: %s %s %d\n", fr.GetUrl(), fr.GetError(), fr.GetStatus())
	}
	return nil
}
