package coordinator_test

import (
	"fmt"
	"sync"
	"syscall"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/vigilhq/vigil/coordinator"
	"github.com/vigilhq/vigil/internal/testlog"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// benchBatch is the batch size a probe uses when it drains its outbox.
const benchBatch = 100

// benchResult is a realistic http-check result of about 300 bytes.
func benchResult(probe, region, check string, n int) *vigilv1.Result {
	started := t0.Add(time.Duration(n) * time.Second)
	r := &vigilv1.Result{
		Id:           fmt.Sprintf("%s-%016x", probe, uint64(n)*0x9e3779b97f4a7c15),
		CheckId:      check,
		ProbeId:      probe,
		Region:       region,
		Slot:         started.Unix() / 60,
		Seq:          uint64(n),
		CheckVersion: "3f2a9c1e7b6d5a40",
		ScheduledAt:  timestamppb.New(started),
		StartedAt:    timestamppb.New(started.Add(37 * time.Millisecond)),
		Status:       vigilv1.ResultStatus_RESULT_STATUS_PASS,
		DurationUs:   183_422,
		HttpStatus:   200,
		DnsUs:        1_204, ConnectUs: 8_311, TlsUs: 24_870, TtfbUs: 96_115,
		TlsCertExpiryDays: 61,
		Steps: []*vigilv1.StepResult{
			{Name: "GET /", DurationUs: 120_003, Ok: true, Url: "https://shop.example.com/"},
			{Name: "GET /cart", DurationUs: 41_327, Ok: true, Url: "https://shop.example.com/cart"},
			{Name: "GET /checkout", DurationUs: 22_092, Ok: true, Url: "https://shop.example.com/checkout?step=1"},
		},
	}
	if n%10 == 0 {
		r.Status = vigilv1.ResultStatus_RESULT_STATUS_FAIL
		r.ErrorClass = vigilv1.ErrorClass_ERROR_CLASS_HTTP_STATUS
		r.Error = "GET https://shop.example.com/cart: status 503, want 2xx or 3xx"
		r.HttpStatus = 503
	}
	return r
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkIngest streams results through real gRPC into SQLite on disk
// (synchronous=FULL). One op is one batch of 100 results. The client runs
// in the same process, so CPU figures include the load generator's
// marshalling and gRPC client work.
func BenchmarkIngest(b *testing.B) {
	for _, streams := range []int{1, 4} {
		b.Run(fmt.Sprintf("streams=%d", streams), func(b *testing.B) {
			var checks []*vigilv1.Check
			for i := range 50 {
				checks = append(checks, check(fmt.Sprintf("check-%02d", i), http, "eu"))
			}
			// RawRetention -1: the results are from t0, months ago, and
			// rollups leave out results older than the raw retention.
			h := start(b, coordinator.Config{Checks: checks, Logger: testlog.Discard(), RawRetention: -1})
			b.Logf("result size: %d bytes", proto.Size(benchResult("probe-00", "eu", "check-00", 1)))
			probes := make([]*probe, streams)
			for i := range probes {
				probes[i] = h.connect(b, fmt.Sprintf("probe-%02d", i), "eu")
				next(b, probes[i].assign, "assignment")
			}
			b.ReportAllocs()
			b.ResetTimer()
			cpu0, wall0 := cpuTime(), time.Now()

			var wg sync.WaitGroup
			for i, p := range probes {
				batches := b.N / streams
				if i < b.N%streams {
					batches++
				}
				wg.Go(func() { drive(b, p, i, batches) })
			}
			wg.Wait()

			wall, cpu := time.Since(wall0), cpuTime()-cpu0
			b.StopTimer()
			results := float64(b.N * benchBatch)
			b.ReportMetric(results/wall.Seconds(), "results/s")
			b.ReportMetric(float64(cpu.Milliseconds())/(results/1000), "cpu-ms/1k-results")
		})
	}
}

// drive sends batches with up to window of them unacknowledged, the way a
// probe drains its outbox, and returns once all are acknowledged.
func drive(b *testing.B, p *probe, stream, batches int) {
	const window = 16
	credits := make(chan struct{}, window)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range batches {
			next(b, p.acks, "ack")
			<-credits
		}
	}()
	for n := range batches {
		credits <- struct{}{}
		rs := make([]*vigilv1.Result, benchBatch)
		for i := range rs {
			rs[i] = benchResult(p.id, "eu", fmt.Sprintf("check-%02d", i%50), (n*benchBatch+i)*8+stream)
		}
		p.sendResults(rs...)
	}
	<-done
}
