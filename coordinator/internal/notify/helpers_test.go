package notify

import (
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// hang, returned by a receiver's respond function, holds the request until
// the client gives up (its timeout) or the test ends.
const hang = -1

// request is one request a receiver got.
type request struct {
	Header http.Header
	Body   []byte
}

// receiver is a real HTTP server that records every request and answers
// with the status respond picks for the nth request (n counts from 1).
type receiver struct {
	*httptest.Server
	got chan request // every request, in arrival order

	mu   sync.Mutex
	reqs []request
}

func newReceiver(t *testing.T, respond func(n int) int) *receiver {
	t.Helper()
	rc := &receiver{got: make(chan request, 4096)}
	release := make(chan struct{})
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("receiver: read body: %v", err)
		}
		req := request{Header: r.Header.Clone(), Body: body}
		rc.mu.Lock()
		rc.reqs = append(rc.reqs, req)
		n := len(rc.reqs)
		rc.mu.Unlock()
		rc.got <- req
		status := respond(n)
		if status == hang {
			select {
			case <-r.Context().Done():
			case <-release:
			}
			return
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, http.StatusText(status))
	}))
	t.Cleanup(func() {
		close(release)
		rc.Close()
	})
	return rc
}

// requests returns the requests so far.
func (rc *receiver) requests() []request {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]request(nil), rc.reqs...)
}

// always answers every request with status.
func always(status int) func(int) int { return func(int) int { return status } }

// testMessage is a trigger with every field set.
func testMessage() Message {
	return Message{
		Event:      EventTrigger,
		IncidentID: "inc-42",
		DedupKey:   "checkout/down/42",
		Kind:       "down",
		CheckID:    "checkout",
		CheckName:  "Checkout",
		Severity:   "critical",
		State:      "down",
		Title:      "checkout is down: failing in 2 of 3 regions",
		Summary:    "Checkout fails in eu-west and us-east since 15:03 UTC.\nap-south passes.",
		Regions: []RegionFailure{
			{Region: "eu-west", ProbeID: "eu-1", ErrorClass: "http_status", FailedStep: "click #place-order", Error: "/checkout returned HTTP 500"},
			{Region: "us-east", ProbeID: "us-2", ErrorClass: "timeout", FailedStep: "wait #order-number", Error: "no #order-number after 10s"},
		},
		Disagree: true,
		Flapping: false,
		At:       time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC),
	}
}

// mustNew is New for configs that must be valid.
func mustNew(t *testing.T, ch Channel, opts ...Option) Notifier {
	t.Helper()
	n, err := New(ch, opts...)
	if err != nil {
		t.Fatalf("New(%+v): %v", ch, err)
	}
	return n
}

// assertGoldenJSON compares the JSON document got, indented, with
// testdata/name; -update rewrites the file.
func assertGoldenJSON(t *testing.T, name string, got []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Indent(&buf, got, "", "  "); err != nil {
		t.Fatalf("golden %s: not JSON: %v\n%s", name, err, got)
	}
	buf.WriteByte('\n')
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden %s: %v (run go test -update to create it)", name, err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it)\ngot:\n%s\nwant:\n%s", path, buf.Bytes(), want)
	}
}

// recv returns the next value from ch, failing the test when none comes
// within a generous bound (a liveness guard, not a timing assertion).
func recv[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(20 * time.Second):
		t.Fatalf("no %s after 20s", what)
		panic("unreachable")
	}
}
