package shop

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// FaultKind names one way the shop can be made to misbehave.
type FaultKind string

// The fault kinds. Each comment says what a request that the fault applies to
// sees; /healthz and /admin/* are never faulted.
const (
	FaultOutage           FaultKind = "outage"              // Mode "503" (every page 503) or "refuse" (hijack and close the connection without a response)
	FaultSlow             FaultKind = "slow"                // Path prefix (e.g. "/product/"), Delay added before responding
	FaultCheckout500      FaultKind = "checkout_500"        // POST /checkout returns a 500 error page
	FaultMissingAddToCart FaultKind = "missing_add_to_cart" // product pages render without the #add-to-cart button (a broken deploy)
	FaultProductJSError   FaultKind = "product_js_error"    // product page's JS throws an uncaught error before wiring the add-to-cart handler
	FaultHungThirdParty   FaultKind = "hung_third_party"    // /thirdparty/widget.js (loaded by a synchronous <script> in <head> of EVERY page) never answers until the client goes away
)

// faultKinds lists every kind, in the order error messages show them.
var faultKinds = []FaultKind{
	FaultOutage, FaultSlow, FaultCheckout500,
	FaultMissingAddToCart, FaultProductJSError, FaultHungThirdParty,
}

// Outage modes.
const (
	outage503    = "503"
	outageRefuse = "refuse"
)

// defaultSlowDelay is the delay of a slow fault given without one: long
// enough to breach a typical page-load budget (2.5 s p75), short enough to
// stay under a check timeout, so the demo shows "degraded", not "down".
const defaultSlowDelay = 3 * time.Second

// Fault is one injected misbehaviour. The zero Region, Mode, Path and Delay
// mean: every region, "503", every path, defaultSlowDelay.
type Fault struct {
	Kind   FaultKind `json:"kind"`
	Region string    `json:"region,omitempty"` // empty: every region
	Mode   string    `json:"mode,omitempty"`   // outage only: "503" (default) or "refuse"
	Path   string    `json:"path,omitempty"`   // slow only: path prefix; empty means every path
	Delay  Duration  `json:"delay,omitempty"`  // slow only; JSON as a Go duration string "2s"
}

// appliesTo reports whether f applies to a request from region (the value of
// its RegionHeader, empty when it came through no region proxy).
func (f Fault) appliesTo(region string) bool {
	return f.Region == "" || f.Region == region
}

// String renders f in the syntax ParseFault reads, with defaults filled in.
func (f Fault) String() string {
	var opts []string
	if f.Region != "" {
		opts = append(opts, "region="+f.Region)
	}
	if f.Mode != "" {
		opts = append(opts, "mode="+f.Mode)
	}
	if f.Path != "" {
		opts = append(opts, "path="+f.Path)
	}
	if f.Delay != 0 {
		opts = append(opts, "delay="+f.Delay.String())
	}
	if len(opts) == 0 {
		return string(f.Kind)
	}
	return string(f.Kind) + ":" + strings.Join(opts, ",")
}

// normalize fills in the defaults, so that Faults() shows what is in effect.
func (f Fault) normalize() Fault {
	f.Region = strings.TrimSpace(f.Region)
	switch f.Kind {
	case FaultOutage:
		if f.Mode == "" {
			f.Mode = outage503
		}
	case FaultSlow:
		if f.Delay == 0 {
			f.Delay = Duration(defaultSlowDelay)
		}
	}
	return f
}

// validate reports the first problem with f, or nil. It expects a
// normalized fault.
func (f Fault) validate() error {
	if !slices.Contains(faultKinds, f.Kind) {
		return fmt.Errorf("unknown kind %q (want one of %s)", f.Kind, kindList())
	}
	if strings.ContainsAny(f.Region, " \t,:=") {
		return fmt.Errorf("%s: bad region %q", f.Kind, f.Region)
	}
	if f.Mode != "" && f.Kind != FaultOutage {
		return fmt.Errorf("%s: mode applies only to %s", f.Kind, FaultOutage)
	}
	if f.Path != "" && f.Kind != FaultSlow {
		return fmt.Errorf("%s: path applies only to %s", f.Kind, FaultSlow)
	}
	if f.Delay != 0 && f.Kind != FaultSlow {
		return fmt.Errorf("%s: delay applies only to %s", f.Kind, FaultSlow)
	}
	switch f.Kind {
	case FaultOutage:
		if f.Mode != outage503 && f.Mode != outageRefuse {
			return fmt.Errorf("outage: unknown mode %q (want %q or %q)", f.Mode, outage503, outageRefuse)
		}
	case FaultSlow:
		if f.Delay < 0 {
			return fmt.Errorf("slow: negative delay %s", f.Delay)
		}
		if f.Path != "" && !strings.HasPrefix(f.Path, "/") {
			return fmt.Errorf("slow: path %q must start with /", f.Path)
		}
	}
	return nil
}

func kindList() string {
	names := make([]string, len(faultKinds))
	for i, k := range faultKinds {
		names[i] = string(k)
	}
	return strings.Join(names, ", ")
}

// faultKeys lists the option keys each kind takes in ParseFault's syntax.
var faultKeys = map[FaultKind][]string{
	FaultOutage:           {"region", "mode"},
	FaultSlow:             {"region", "path", "delay"},
	FaultCheckout500:      {"region"},
	FaultMissingAddToCart: {"region"},
	FaultProductJSError:   {"region"},
	FaultHungThirdParty:   {"region"},
}

// ParseFault parses the command-line syntax of a fault: a kind, optionally
// followed by a colon and comma-separated key=value options, for example
// "outage", "outage:mode=refuse", "slow:path=/product/,delay=2s" or
// "checkout_500:region=eu-west". The result is normalized and valid.
func ParseFault(spec string) (Fault, error) {
	f, err := parseFault(spec)
	if err != nil {
		return Fault{}, fmt.Errorf("fault %q: %w", spec, err)
	}
	return f, nil
}

func parseFault(spec string) (Fault, error) {
	kind, rest, hasOpts := strings.Cut(strings.TrimSpace(spec), ":")
	f := Fault{Kind: FaultKind(kind)}
	keys, ok := faultKeys[f.Kind]
	if !ok {
		if kind == "" {
			return Fault{}, fmt.Errorf("missing kind (want one of %s)", kindList())
		}
		return Fault{}, fmt.Errorf("unknown kind %q (want one of %s)", kind, kindList())
	}
	if hasOpts {
		seen := map[string]bool{}
		for opt := range strings.SplitSeq(rest, ",") {
			key, value, ok := strings.Cut(opt, "=")
			if !ok || key == "" || value == "" {
				return Fault{}, fmt.Errorf("option %q: want key=value", opt)
			}
			if !slices.Contains(keys, key) {
				return Fault{}, fmt.Errorf("unknown key %q (%s takes %s)", key, f.Kind, strings.Join(keys, ", "))
			}
			if seen[key] {
				return Fault{}, fmt.Errorf("key %q given twice", key)
			}
			seen[key] = true
			switch key {
			case "region":
				f.Region = value
			case "mode":
				f.Mode = value
			case "path":
				f.Path = value
			case "delay":
				d, err := time.ParseDuration(value)
				if err != nil {
					return Fault{}, fmt.Errorf("bad delay %q: want a duration like 2s", value)
				}
				if d == 0 {
					return Fault{}, errors.New("delay must be positive")
				}
				f.Delay = Duration(d)
			}
		}
	}
	f = f.normalize()
	if err := f.validate(); err != nil {
		return Fault{}, err
	}
	return f, nil
}

// Duration is a time.Duration that reads and writes JSON as a Go duration
// string, such as "1.5s".
type Duration time.Duration

// String formats d like time.Duration.
func (d Duration) String() string { return time.Duration(d).String() }

// MarshalJSON writes d as a duration string.
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// UnmarshalJSON reads a duration string; numbers are rejected because their
// unit would be ambiguous.
func (d *Duration) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration %s: want a string like \"2s\"", b)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("duration %q: want a string like \"2s\"", s)
	}
	*d = Duration(v)
	return nil
}
