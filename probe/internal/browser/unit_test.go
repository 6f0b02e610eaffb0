package browser

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"google.golang.org/protobuf/types/known/durationpb"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// Tests of the parts that need no browser.

func TestNetErrorClass(t *testing.T) {
	cases := []struct {
		text  string
		class vigilv1.ErrorClass
		site  bool
	}{
		{"net::ERR_NAME_NOT_RESOLVED", vigilv1.ErrorClass_ERROR_CLASS_DNS, true},
		{"net::ERR_CONNECTION_REFUSED", vigilv1.ErrorClass_ERROR_CLASS_CONNECT, true},
		{"net::ERR_CONNECTION_RESET", vigilv1.ErrorClass_ERROR_CLASS_CONNECT, true},
		{"net::ERR_CONNECTION_CLOSED", vigilv1.ErrorClass_ERROR_CLASS_CONNECT, true},
		{"net::ERR_EMPTY_RESPONSE", vigilv1.ErrorClass_ERROR_CLASS_CONNECT, true},
		{"net::ERR_PROXY_CONNECTION_FAILED", vigilv1.ErrorClass_ERROR_CLASS_CONNECT, true},
		{"net::ERR_TUNNEL_CONNECTION_FAILED", vigilv1.ErrorClass_ERROR_CLASS_CONNECT, true},
		{"net::ERR_CERT_AUTHORITY_INVALID", vigilv1.ErrorClass_ERROR_CLASS_TLS, true},
		{"net::ERR_CERT_DATE_INVALID", vigilv1.ErrorClass_ERROR_CLASS_TLS, true},
		{"net::ERR_SSL_PROTOCOL_ERROR", vigilv1.ErrorClass_ERROR_CLASS_TLS, true},
		{"net::ERR_TIMED_OUT", vigilv1.ErrorClass_ERROR_CLASS_TIMEOUT, true},
		{"net::ERR_HTTP_RESPONSE_CODE_FAILURE", vigilv1.ErrorClass_ERROR_CLASS_HTTP_STATUS, true},
		{"net::ERR_TOO_MANY_REDIRECTS", vigilv1.ErrorClass_ERROR_CLASS_HTTP_STATUS, true},
		{"net::ERR_INTERNET_DISCONNECTED", vigilv1.ErrorClass_ERROR_CLASS_PROBE, false},
		{"net::ERR_SOMETHING_NEW", vigilv1.ErrorClass_ERROR_CLASS_CONNECT, true},
	}
	for _, tc := range cases {
		class, site := netErrorClass(tc.text)
		if class != tc.class || site != tc.site {
			t.Errorf("netErrorClass(%q) = %s, %v; want %s, %v", tc.text, class, site, tc.class, tc.site)
		}
	}
	if f := netFailure("net::ERR_INTERNET_DISCONNECTED", "http://x/"); !isProbe(f) || f.recycle {
		t.Errorf("probe network down = %+v, want a probe failure that keeps the browser", f)
	}
	if f := statusFailure(502, "http://x/"); f.class != vigilv1.ErrorClass_ERROR_CLASS_HTTP_STATUS || f.Error() != "http://x/ returned HTTP 502" {
		t.Errorf("statusFailure = %s %q", f.class, f.Error())
	}
}

func TestPlanCheck(t *testing.T) {
	check := browserCheck("https://shop.example.com/base/", checkoutSteps()...)
	check.Browser.Steps[0].Timeout = durationpb.New(3 * time.Second)
	check.Browser.Steps = append(check.Browser.Steps, waitStep(2*time.Second), gotoStep("https://other.example.com/x"))
	p, err := planCheck(check, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	wantNames := []string{
		"goto /", `click a.product "Coffee"`, "click #add-to-cart", `expect_text #cart-count "1"`,
		"click a[href='/cart']", "click #checkout", "fill #email, #name", `select #shipping "express"`,
		"click #place-order", `expect_text "Order confirmed"`, "wait 2s", "goto https://other.example.com/x",
	}
	for i, ps := range p.steps {
		if ps.name != wantNames[i] {
			t.Errorf("step %d name = %q, want %q", i+1, ps.name, wantNames[i])
		}
	}
	if got := p.steps[0].url; got != "https://shop.example.com/" {
		t.Errorf("goto / against the target = %q", got)
	}
	if got := p.steps[11].url; got != "https://other.example.com/x" {
		t.Errorf("absolute goto = %q", got)
	}
	if p.steps[0].timeout != 3*time.Second || p.steps[1].timeout != 10*time.Second || p.steps[10].timeout != 12*time.Second {
		t.Errorf("timeouts %s %s %s, want 3s (own), 10s (default), 12s (wait + default)", p.steps[0].timeout, p.steps[1].timeout, p.steps[10].timeout)
	}
	named := browserCheck("http://x", &vigilv1.Step{Action: vigilv1.StepAction_STEP_ACTION_GOTO, Url: "/", Name: "home"})
	if p, err := planCheck(named, time.Second); err != nil || p.steps[0].name != "home" {
		t.Errorf("a named step keeps its name: %v %v", p, err)
	}
}

func TestPlanCheckRejects(t *testing.T) {
	cases := map[string]*vigilv1.Check{
		"no steps":                      browserCheck("http://x"),
		"step 1: url \"/\": want":       browserCheck("", gotoStep("/")),
		"step 1: url \"file:///etc\"":   browserCheck("http://x", gotoStep("file:///etc")),
		"step 2: no selector":           browserCheck("http://x", gotoStep("/"), clickStep("", "")),
		"step 1: no text":               browserCheck("http://x", expectText("#a", "")),
		"step 1: no fields":             browserCheck("http://x", fillStep()),
		"step 1: a field has no select": browserCheck("http://x", fillStep("", "v")),
		"step 1: unknown action":        browserCheck("http://x", &vigilv1.Step{}),
		"step 1: negative wait":         browserCheck("http://x", waitStep(-time.Second)),
	}
	for want, check := range cases {
		_, err := planCheck(check, time.Second)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("planCheck error %v, want it to contain %q", err, want)
		}
	}
}

func TestMessages(t *testing.T) {
	if got := clip(strings.Repeat("é", 400)); len(got) > maxEntryChars+len("…") || !strings.HasSuffix(got, "…") {
		t.Errorf("clip gives %d bytes", len(got))
	}
	if got := clip("short"); got != "short" {
		t.Errorf("clip(short) = %q", got)
	}
	args := []*runtime.RemoteObject{
		{Type: runtime.RemoteObjectTypeString, Value: []byte(`"add to cart:"`)},
		{Type: runtime.RemoteObjectTypeNumber, Value: []byte(`500`)},
		{Type: runtime.RemoteObjectTypeObject, Description: "Error: boom"},
	}
	if got := consoleText(args); got != "add to cart: 500 Error: boom" {
		t.Errorf("consoleText = %q", got)
	}
	d := &runtime.ExceptionDetails{
		Text:      "Uncaught",
		URL:       "http://x/static/app.js",
		Exception: &runtime.RemoteObject{Description: "Error: product page broke\n    at app.js:12:3"},
	}
	if got := exceptionText(d); got != "Uncaught Error: product page broke (http://x/static/app.js)" {
		t.Errorf("exceptionText = %q", got)
	}
	for _, tc := range []struct {
		spec findSpec
		want string
	}{
		{findSpec{Kind: "click", Selector: "a.product", Text: "Coffee"}, `selector a.product with text "Coffee"`},
		{findSpec{Kind: "click", Selector: "#add-to-cart"}, "selector #add-to-cart"},
		{findSpec{Kind: "text", Text: "Order confirmed"}, `text "Order confirmed"`},
		{findSpec{Kind: "text", Selector: "#cart-count", Text: "1"}, `text "1" in #cart-count`},
		{findSpec{Kind: "fill", Selector: "#email"}, "field #email"},
		{findSpec{Kind: "select", Selector: "#shipping"}, "select #shipping"},
	} {
		if got := tc.spec.subject(); got != tc.want {
			t.Errorf("subject = %q, want %q", got, tc.want)
		}
	}
	if got := reasonPhrase("click", "covered by div.modal"); got != "not usable (covered by div.modal)" {
		t.Errorf("reasonPhrase = %q", got)
	}
}

func TestVitalsMerge(t *testing.T) {
	var v vitals
	v.merge(`{"lcp": 120.5}`)
	v.merge(`{"ttfb": 5.25, "dcl": 80, "load": 95}`)
	v.merge(`{"cls": 0.125}`)
	v.merge(`not json`)
	v.merge(`{"lcp": 0}`) // zero never overwrites
	if v != (vitals{TTFB: 5.25, DCL: 80, Load: 95, LCP: 120.5, CLS: 0.125}) {
		t.Errorf("vitals = %+v", v)
	}
	rec := newRecorder("", worldName, bindingName)
	rec.vitals = v
	res := &vigilv1.Result{}
	rec.fill(res, "http://x")
	if res.TtfbUs != 5250 || res.LcpUs != 120500 || res.ClsMilli != 125 || res.TlsCertExpiryDays != -1 {
		t.Errorf("fill: ttfb %d lcp %d cls %d tls %d", res.TtfbUs, res.LcpUs, res.ClsMilli, res.TlsCertExpiryDays)
	}
	if span(-1, 5) != 0 || span(2, 1) != 0 || span(1.5, 3) != 1500 {
		t.Errorf("span")
	}
}
