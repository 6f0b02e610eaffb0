package demo

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"text/template"
	"time"

	"github.com/vigilhq/vigil/coordinator"
)

// checksTemplate is the demo's check file: the checkout flow in a real
// browser and a plain HTTP check of the home page, from every region. It is
// written to the data directory so users can read (and copy) what runs.
var checksTemplate = template.Must(template.New("checks").Parse(`# Written by 'vigil demo' at each start; edits are overwritten.
defaults:
  regions: [{{range $i, $r := .Regions}}{{if $i}}, {{end}}{{$r}}{{end}}]
  alerting:
    recover_after: 2
    flapping: {changes: 4, window: 10m}
    routes:
      - channels: [demo-pager]
# The demo's pager is a webhook receiver inside 'vigil demo' that checks
# each delivery's HMAC signature.
channels:
  - name: demo-pager
    type: webhook
    url: {{.Pager}}
    secret_env: VIGIL_DEMO_PAGER_SECRET
checks:
  - name: checkout
    type: browser
    target: {{.Shop}}
    interval: {{.BrowserInterval}}
    timeout: {{.BrowserTimeout}}
    budget: {load_p75: 2s}
    steps:
      - goto: /
      - click: {selector: "a.product", text: "Coffee"}
      - click: "#add-to-cart"
      - expect_text: {selector: "#cart-count", text: "1"}
      - click: "a[href='/cart']"
      - click: "#checkout"
      - fill: {"#email": "synthetic@example.com", "#name": "Synthetic Buyer"}
      - select: {selector: "#shipping", value: "express"}
      - click: "#place-order"
      - expect_text: "Order confirmed"
  - name: home
    type: http
    target: {{.Shop}}/
    interval: {{.HTTPInterval}}
    timeout: {{.HTTPTimeout}}
    expect: {status: 200, body_contains: "Vigil Coffee Shop"}
`))

// writeChecks renders the demo's check file into dir and loads it through
// the same loader users' files go through.
func writeChecks(dir string, cfg Config, shopURL, pagerURL, pagerSecret string) (string, *coordinator.CheckFile, error) {
	var buf bytes.Buffer
	err := checksTemplate.Execute(&buf, map[string]any{
		"Shop":            shopURL,
		"Pager":           pagerURL,
		"Regions":         cfg.regionNames(),
		"BrowserInterval": cfg.BrowserInterval,
		"HTTPInterval":    cfg.HTTPInterval,
		"BrowserTimeout":  min(20*time.Second, cfg.BrowserInterval),
		"HTTPTimeout":     min(5*time.Second, cfg.HTTPInterval),
	})
	if err != nil {
		return "", nil, fmt.Errorf("render demo checks: %w", err)
	}
	path := filepath.Join(dir, "demo-checks.yaml")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return "", nil, fmt.Errorf("write demo checks: %w", err)
	}
	env := func(name string) (string, bool) {
		if name == "VIGIL_DEMO_PAGER_SECRET" {
			return pagerSecret, true
		}
		return os.LookupEnv(name)
	}
	file, err := coordinator.LoadCheckFile(path, env)
	if err != nil {
		return "", nil, fmt.Errorf("demo checks: %w", err)
	}
	return path, file, nil
}
