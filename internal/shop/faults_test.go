package shop_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/vigilhq/vigil/internal/shop"
)

func TestParseFault(t *testing.T) {
	sec := func(s float64) shop.Duration { return shop.Duration(s * float64(time.Second)) }
	tests := []struct {
		spec    string
		want    shop.Fault
		wantErr string
	}{
		{spec: "outage", want: shop.Fault{Kind: shop.FaultOutage, Mode: "503"}},
		{spec: "outage:mode=503", want: shop.Fault{Kind: shop.FaultOutage, Mode: "503"}},
		{spec: "outage:mode=refuse", want: shop.Fault{Kind: shop.FaultOutage, Mode: "refuse"}},
		{spec: " outage:region=eu-west,mode=refuse ", want: shop.Fault{Kind: shop.FaultOutage, Region: "eu-west", Mode: "refuse"}},
		{spec: "slow", want: shop.Fault{Kind: shop.FaultSlow, Delay: sec(3)}},
		{spec: "slow:path=/product/,delay=2s", want: shop.Fault{Kind: shop.FaultSlow, Path: "/product/", Delay: sec(2)}},
		{spec: "slow:delay=1.5s,region=ap-south", want: shop.Fault{Kind: shop.FaultSlow, Region: "ap-south", Delay: sec(1.5)}},
		{spec: "checkout_500", want: shop.Fault{Kind: shop.FaultCheckout500}},
		{spec: "checkout_500:region=eu-west", want: shop.Fault{Kind: shop.FaultCheckout500, Region: "eu-west"}},
		{spec: "missing_add_to_cart", want: shop.Fault{Kind: shop.FaultMissingAddToCart}},
		{spec: "product_js_error:region=us-east", want: shop.Fault{Kind: shop.FaultProductJSError, Region: "us-east"}},
		{spec: "hung_third_party", want: shop.Fault{Kind: shop.FaultHungThirdParty}},

		{spec: "", wantErr: `fault "": missing kind (want one of outage, slow, checkout_500, missing_add_to_cart, product_js_error, hung_third_party)`},
		{spec: "meltdown", wantErr: `fault "meltdown": unknown kind "meltdown" (want one of outage, slow,`},
		{spec: "Outage", wantErr: `unknown kind "Outage"`},
		{spec: "outage:mode=404", wantErr: `fault "outage:mode=404": outage: unknown mode "404" (want "503" or "refuse")`},
		{spec: "outage:path=/", wantErr: `unknown key "path" (outage takes region, mode)`},
		{spec: "checkout_500:delay=1s", wantErr: `unknown key "delay" (checkout_500 takes region)`},
		{spec: "slow:mode=refuse", wantErr: `unknown key "mode" (slow takes region, path, delay)`},
		{spec: "slow:delay=fast", wantErr: `bad delay "fast": want a duration like 2s`},
		{spec: "slow:delay=-1s", wantErr: "slow: negative delay -1s"},
		{spec: "slow:delay=0s", wantErr: "delay must be positive"},
		{spec: "slow:path=product", wantErr: `slow: path "product" must start with /`},
		{spec: "slow:delay", wantErr: `option "delay": want key=value`},
		{spec: "slow:delay=", wantErr: `option "delay=": want key=value`},
		{spec: "slow:", wantErr: `option "": want key=value`},
		{spec: "slow:delay=1s,,path=/", wantErr: `option "": want key=value`},
		{spec: "slow:delay=1s,delay=2s", wantErr: `key "delay" given twice`},
		{spec: "outage:region=eu west", wantErr: `outage: bad region "eu west"`},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			got, err := shop.ParseFault(tt.spec)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseFault(%q) = %+v, %v; want error containing %q", tt.spec, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseFault(%q) = %+v, %v; want %+v", tt.spec, got, err, tt.want)
			}
			// String writes the same syntax back.
			again, err := shop.ParseFault(got.String())
			if err != nil || again != got {
				t.Errorf("ParseFault(%q.String() = %q) = %+v, %v", tt.spec, got.String(), again, err)
			}
		})
	}
}

func FuzzParseFault(f *testing.F) {
	for _, seed := range []string{"outage", "outage:mode=refuse", "slow:path=/product/,delay=2s", "checkout_500:region=eu-west", "slow:delay=1s,,", ":="} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		got, err := shop.ParseFault(spec)
		if err != nil {
			return
		}
		again, err := shop.ParseFault(got.String())
		if err != nil || again != got {
			t.Errorf("ParseFault(%q) = %+v, but its String %q parses to %+v, %v", spec, got, got.String(), again, err)
		}
		data, err := json.Marshal(got)
		if err != nil {
			t.Fatal(err)
		}
		var back shop.Fault
		if err := json.Unmarshal(data, &back); err != nil || back != got {
			t.Errorf("JSON round trip of %+v: %s -> %+v, %v", got, data, back, err)
		}
	})
}

func TestFaultJSON(t *testing.T) {
	tests := []struct {
		fault shop.Fault
		json  string
	}{
		{shop.Fault{Kind: shop.FaultOutage}, `{"kind":"outage"}`},
		{shop.Fault{Kind: shop.FaultSlow, Region: "eu-west", Path: "/product/", Delay: shop.Duration(1500 * time.Millisecond)}, `{"kind":"slow","region":"eu-west","path":"/product/","delay":"1.5s"}`},
	}
	for _, tt := range tests {
		data, err := json.Marshal(tt.fault)
		if err != nil || string(data) != tt.json {
			t.Errorf("Marshal(%+v) = %s, %v; want %s", tt.fault, data, err, tt.json)
		}
		var back shop.Fault
		if err := json.Unmarshal([]byte(tt.json), &back); err != nil || back != tt.fault {
			t.Errorf("Unmarshal(%s) = %+v, %v", tt.json, back, err)
		}
	}
}

func TestDurationJSON(t *testing.T) {
	var d shop.Duration
	for _, bad := range []string{`2000`, `"2"`, `"soon"`, `true`} {
		if err := json.Unmarshal([]byte(bad), &d); err == nil {
			t.Errorf("Unmarshal(%s) = %v, want an error", bad, d)
		}
	}
	if err := json.Unmarshal([]byte(`"250ms"`), &d); err != nil || d != shop.Duration(250*time.Millisecond) {
		t.Errorf(`Unmarshal("250ms") = %v, %v`, d, err)
	}
	if err := json.Unmarshal([]byte(`null`), &d); err != nil || d != shop.Duration(250*time.Millisecond) {
		t.Errorf("Unmarshal(null) changed the value to %v, %v", d, err)
	}
	if data, _ := json.Marshal(shop.Duration(2 * time.Minute)); string(data) != `"2m0s"` {
		t.Errorf("Marshal(2m) = %s", data)
	}
}
