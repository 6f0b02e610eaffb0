// Command vigil is the one binary of Vigil: coordinator, probe, demo mesh,
// demo shop, check-file tools and API client verbs. This package only parses
// flags and wires the components together.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // maintenance windows name IANA zones; do not depend on the host having them
)

func main() {
	ctx, stop := signalContext()
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	var exit exitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		os.Exit(int(exit))
	case errors.Is(err, flag.ErrHelp):
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "vigil:", err)
		os.Exit(1)
	}
}

// signalContext is cancelled on the first SIGINT or SIGTERM, so everything
// shuts down gracefully; a second signal exits at once.
func signalContext() (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		select {
		case <-sigs:
			cancel()
		case <-ctx.Done():
			return
		}
		<-sigs
		fmt.Fprintln(os.Stderr, "vigil: second signal, exiting now")
		os.Exit(130)
	}()
	return ctx, func() { signal.Stop(sigs); cancel() }
}

// exitError makes run end the process with a given code and no message (the
// command already printed why).
type exitError int

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"demo", "run the whole mesh on this machine: shop, coordinator, three regions", runDemo},
		{"coordinator", "run a coordinator", runCoordinator},
		{"probe", "run a probe", runProbe},
		{"shop", "run the demo shop alone", runShop},
		{"check", "validate a check file, and with --run run each check once here", runCheck},
		{"status", "show the latest result of each check per region", runStatus},
		{"results", "list stored results", runResults},
		{"probes", "list the probes a coordinator knows", runProbes},
		{"run", "ask the probes to run a check now (admin token)", runRunNow},
		{"incidents", "list incidents, or show one with its timeline", runIncidents},
		{"ack", "acknowledge an incident (admin token)", runAck},
		{"note", "add a note to an incident's timeline (admin token)", runNote},
		{"resolve", "resolve an incident by hand (admin token)", runResolve},
		{"maintenance", "list, create or delete maintenance windows", runMaintenance},
		{"report", "write an analytics report (html, csv, json)", runReport},
		{"version", "print the version", runVersion},
	}
}

// run is the whole program: it dispatches to a subcommand.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stderr)
		if len(args) == 0 {
			return exitError(2)
		}
		return nil
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, args[1:], stdout, stderr)
		}
	}
	usage(stderr)
	return fmt.Errorf("unknown command %q", args[0])
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: vigil <command> [flags]\n\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-12s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\n'vigil <command> -h' shows a command's flags.")
}

// newFlags returns a flag set that prints errors to stderr and returns them.
func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("vigil "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}
