package demo

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/vigilhq/vigil/coordinator"
)

// pager is the demo's on-call phone: a webhook receiver on loopback that
// checks each delivery's signature and logs what it was told.
type pager struct {
	secret string
	log    *slog.Logger

	mu    sync.Mutex
	pages []received
}

type received struct {
	at    time.Time
	event string
	title string
}

// maxPagerBody caps a delivery the pager reads.
const maxPagerBody = 1 << 20

func (p *pager) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxPagerBody))
	if err != nil {
		http.Error(w, "read body", http.StatusBadRequest)
		return
	}
	if !coordinator.VerifyWebhook(p.secret, r.Header.Get("X-Vigil-Timestamp"), body, r.Header.Get("X-Vigil-Signature")) {
		p.log.Warn("pager: bad signature")
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var m struct {
		Event string `json:"event"`
		Title string `json:"title"`
	}
	if err := json.Unmarshal(body, &m); err != nil {
		http.Error(w, fmt.Sprintf("decode: %v", err), http.StatusBadRequest)
		return
	}
	p.mu.Lock()
	p.pages = append(p.pages, received{at: time.Now(), event: m.Event, title: m.Title})
	p.mu.Unlock()
	p.log.Info("pager received", "event", m.Event, "title", m.Title)
	w.WriteHeader(http.StatusNoContent)
}

// pagesSince counts the deliveries since t that page someone (triggers and
// escalations).
func (p *pager) pagesSince(t time.Time) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, r := range p.pages {
		if !r.at.Before(t) && (r.event == "trigger" || r.event == "escalation") {
			n++
		}
	}
	return n
}
