package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/vigilhq/vigil/internal/httpserve"
	"github.com/vigilhq/vigil/internal/shop"
)

// faultFlags collects repeated --fault flags.
type faultFlags []shop.Fault

func (f *faultFlags) String() string { return fmt.Sprint(len(*f)) }

func (f *faultFlags) Set(spec string) error {
	fault, err := shop.ParseFault(spec)
	if err != nil {
		return err
	}
	*f = append(*f, fault)
	return nil
}

func runShop(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("shop", stderr)
	listen := fs.String("listen", "127.0.0.1:8080", "listen address")
	tokenFile := fs.String("admin-token-file", "", "file holding the token for /admin/faults (else $VIGIL_SHOP_ADMIN_TOKEN; empty: open)")
	var faults faultFlags
	fs.Var(&faults, "fault", "inject a fault at start, repeatable: outage[:mode=refuse], slow:path=/product/,delay=2s, checkout_500, missing_add_to_cart, product_js_error, hung_third_party; add region=NAME to scope one")
	var lf logFlags
	lf.register(fs, "info")
	if err := fs.Parse(args); err != nil {
		return err
	}
	log, err := lf.logger(stderr)
	if err != nil {
		return err
	}
	token, err := secret(*tokenFile, "VIGIL_SHOP_ADMIN_TOKEN")
	if err != nil {
		return err
	}
	lis, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	url := "http://" + lis.Addr().String()
	log.Info("shop listening", "url", url, "faults", len(faults))
	fmt.Fprintf(stdout, "demo shop on %s (faults: %s/admin/faults)\n", url, strings.TrimSuffix(url, "/"))
	return httpserve.Serve(ctx, lis, shop.New(shop.Options{Logger: log, Faults: faults, AdminToken: token}))
}
