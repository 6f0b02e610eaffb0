package notify

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestWebhookPayloadAndSignature(t *testing.T) {
	rc := newReceiver(t, always(http.StatusNoContent))
	const secret = "whsec-test"
	n := mustNew(t, Channel{Name: "ops", Type: "webhook", URL: rc.URL + "/hooks/vigil", Secret: secret})

	m := testMessage()
	if err := n.Send(WithDeliveryID(context.Background(), "delivery-1"), m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	req := recv(t, rc.got, "webhook request")

	assertGoldenJSON(t, "webhook-trigger.json", req.Body)
	for header, want := range map[string]string{
		"Content-Type":     "application/json",
		"X-Vigil-Event":    "trigger",
		"X-Vigil-Delivery": "delivery-1",
	} {
		if got := req.Header.Get(header); got != want {
			t.Errorf("%s = %q, want %q", header, got, want)
		}
	}
	ts := req.Header.Get("X-Vigil-Timestamp")
	if _, err := strconv.ParseInt(ts, 10, 64); err != nil {
		t.Errorf("X-Vigil-Timestamp %q is not unix seconds: %v", ts, err)
	}
	sig := req.Header.Get("X-Vigil-Signature")
	if !strings.HasPrefix(sig, "sha256=") {
		t.Fatalf("X-Vigil-Signature = %q, want sha256=<hex>", sig)
	}
	if !Verify(secret, ts, req.Body, sig) {
		t.Errorf("Verify(secret, %s, body, %s) = false for the request as sent", ts, sig)
	}
	// What a receiver must refuse.
	tampered := slices.Clone(req.Body)
	tampered[len(tampered)-2] ^= 1
	for name, ok := range map[string]bool{
		"other secret":    Verify("whsec-other", ts, req.Body, sig),
		"other timestamp": Verify(secret, ts+"0", req.Body, sig),
		"tampered body":   Verify(secret, ts, tampered, sig),
		"empty secret":    Verify("", ts, req.Body, Sign("", ts, req.Body)),
	} {
		if ok {
			t.Errorf("Verify with %s = true, want false", name)
		}
	}

	// The JSON keys are the contract receivers parse; they must not drift.
	var doc map[string]any
	if err := json.Unmarshal(req.Body, &doc); err != nil {
		t.Fatal(err)
	}
	wantKeys := []string{"at", "check_id", "check_name", "dedup_key", "disagree", "event", "flapping", "incident_id", "kind", "regions", "severity", "state", "summary", "title"}
	gotKeys := make([]string, 0, len(doc))
	for k := range doc {
		gotKeys = append(gotKeys, k)
	}
	slices.Sort(gotKeys)
	if !slices.Equal(gotKeys, wantKeys) {
		t.Errorf("webhook keys = %v, want %v", gotKeys, wantKeys)
	}
}

func TestWebhookWithoutSecretSendsNoSignature(t *testing.T) {
	rc := newReceiver(t, always(http.StatusOK))
	n := mustNew(t, Channel{Name: "ops", Type: "webhook", URL: rc.URL})
	m := testMessage()
	m.Event, m.Regions, m.At = EventResolve, nil, m.At.AddDate(0, 0, 1)
	if err := n.Send(context.Background(), m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	req := recv(t, rc.got, "webhook request")
	if sig, ok := req.Header["X-Vigil-Signature"]; ok {
		t.Errorf("X-Vigil-Signature = %q, want none without a secret", sig)
	}
	if got := req.Header.Get("X-Vigil-Delivery"); got == "" {
		t.Error("X-Vigil-Delivery is empty; a Send outside the Dispatcher gets its own id")
	}
	var doc struct {
		Event   string `json:"event"`
		Regions []any  `json:"regions"`
		At      string `json:"at"`
	}
	if err := json.Unmarshal(req.Body, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Event != "resolve" || doc.Regions == nil || len(doc.Regions) != 0 || doc.At != "2026-01-03T15:04:05Z" {
		t.Errorf("body = %s, want event resolve, regions [], at 2026-01-03T15:04:05Z", req.Body)
	}
}

// The signature scheme is public: check it against a value computed with
// openssl, not with Sign itself:
//
//	printf '1767366245.{"event":"trigger"}' | openssl dgst -sha256 -hmac whsec-test
func TestSignKnownVector(t *testing.T) {
	const want = "sha256=59bfd87ff7dd95d3bb1dacfb7a3f83778b0c25ed4fb25fcd92b9b3d7b78620d5"
	body := []byte(`{"event":"trigger"}`)
	if got := Sign("whsec-test", "1767366245", body); got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
	if !Verify("whsec-test", "1767366245", body, want) {
		t.Error("Verify = false for the known vector")
	}
	if Verify("whsec-test", "1767366245", body, strings.ToUpper(want)) {
		t.Error("Verify accepted a signature in another spelling")
	}
}

func TestWebhookRefusalIsPermanent(t *testing.T) {
	rc := newReceiver(t, always(http.StatusUnauthorized))
	n := mustNew(t, Channel{Name: "ops", Type: "webhook", URL: rc.URL})
	err := n.Send(context.Background(), testMessage())
	if !errors.Is(err, ErrPermanent) {
		t.Fatalf("Send error = %v, want one wrapping ErrPermanent", err)
	}
	want := "webhook: post to " + rc.URL + `: got HTTP 401, want 2xx: "Unauthorized"`
	if err.Error() != want {
		t.Errorf("Send error\n got: %s\nwant: %s", err, want)
	}
}
