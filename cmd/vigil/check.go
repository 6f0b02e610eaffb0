package main

import (
	"context"
	"fmt"
	"io"

	"github.com/vigilhq/vigil/coordinator"
	"github.com/vigilhq/vigil/internal/termview"
	"github.com/vigilhq/vigil/probe"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

func runCheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("check", stderr)
	runNow := fs.Bool("run", false, "run each check once from here and print step timings and the verdict")
	noSecrets := fs.Bool("no-secrets", false, "validate without reading the secrets' environment variables (for CI, where they are not set)")
	var rc probe.RunnerConfig
	fs.StringVar(&rc.ProxyURL, "proxy", "", "forward proxy for the runs")
	fs.StringVar(&rc.ChromiumPath, "chromium", "", "Chromium binary (default: Debian's)")
	var lf logFlags
	lf.register(fs, "warn")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("usage: vigil check [--run] FILE")
	}
	var lookup func(string) (string, bool)
	if *noSecrets {
		lookup = func(string) (string, bool) { return "not-read", true }
	}
	file, err := coordinator.LoadCheckFile(fs.Arg(0), lookup)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitError(1)
	}
	checks := file.Checks
	fmt.Fprintf(stdout, "%s: %d checks, %d notification channels, %d maintenance windows, valid\n",
		fs.Arg(0), len(checks), len(file.Channels), len(file.Maintenance))
	if !*runNow {
		return nil
	}
	log, err := lf.logger(stderr)
	if err != nil {
		return err
	}
	results, err := probe.RunOnce(ctx, checks, rc, log)
	if err != nil {
		return fmt.Errorf("run checks: %w", err)
	}
	failed := 0
	for i, r := range results {
		if err := termview.RenderRun(stdout, checks[i], r); err != nil {
			return err
		}
		if r.GetStatus() != vigilv1.ResultStatus_RESULT_STATUS_PASS {
			failed++
		}
	}
	if failed > 0 {
		fmt.Fprintf(stdout, "%d of %d checks failed\n", failed, len(results))
		return exitError(1)
	}
	fmt.Fprintf(stdout, "all %d checks passed\n", len(results))
	return nil
}
