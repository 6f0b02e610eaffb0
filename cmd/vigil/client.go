package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/vigilhq/vigil/internal/termview"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// clientFlags are the flags of the verbs that query a coordinator.
type clientFlags struct {
	addr    string
	json    bool
	timeout time.Duration
}

func (c *clientFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.addr, "coordinator", "127.0.0.1:7070", "coordinator gRPC address")
	fs.BoolVar(&c.json, "json", false, "print the API response as JSON")
	fs.DurationVar(&c.timeout, "timeout", 10*time.Second, "deadline of the whole call")
}

// dial connects to the coordinator's VigilService and bounds ctx.
func (c *clientFlags) dial(ctx context.Context) (vigilv1.VigilServiceClient, context.Context, func(), error) {
	conn, err := grpc.NewClient(c.addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, nil, nil, fmt.Errorf("dial coordinator %s: %w", c.addr, err)
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	return vigilv1.NewVigilServiceClient(conn), ctx, func() { cancel(); conn.Close() }, nil
}

func printJSON(w io.Writer, m proto.Message) error {
	b, err := protojson.MarshalOptions{Multiline: true}.Marshal(m)
	if err != nil {
		return fmt.Errorf("encode json: %w", err)
	}
	_, err = fmt.Fprintln(w, string(b))
	return err
}

func runStatus(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("status", stderr)
	var cf clientFlags
	cf.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	client, ctx, done, err := cf.dial(ctx)
	if err != nil {
		return err
	}
	defer done()
	statuses, err := termview.FetchStatuses(ctx, client, fs.Args())
	if err != nil {
		return err
	}
	if cf.json {
		for _, st := range statuses {
			if err := printJSON(stdout, st); err != nil {
				return err
			}
		}
		return nil
	}
	return termview.Render(stdout, statuses, time.Now())
}

func runResults(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("results", stderr)
	var cf clientFlags
	cf.register(fs)
	req := &vigilv1.ListResultsRequest{}
	fs.StringVar(&req.CheckId, "check", "", "only this check")
	fs.StringVar(&req.Region, "region", "", "only this region")
	since := fs.Duration("since", 0, "only results started within this long ago (0: all)")
	limit := fs.Uint("limit", 20, "results to show (at most 1000)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	req.PageSize = uint32(*limit)
	if *since > 0 {
		req.StartTime = timestamppb.New(time.Now().Add(-*since))
	}
	client, ctx, done, err := cf.dial(ctx)
	if err != nil {
		return err
	}
	defer done()
	resp, err := client.ListResults(ctx, req)
	if err != nil {
		return fmt.Errorf("list results: %w", err)
	}
	if cf.json {
		return printJSON(stdout, resp)
	}
	return termview.RenderResults(stdout, resp.GetResults())
}

func runProbes(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("probes", stderr)
	var cf clientFlags
	cf.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	client, ctx, done, err := cf.dial(ctx)
	if err != nil {
		return err
	}
	defer done()
	resp, err := client.ListProbes(ctx, &vigilv1.ListProbesRequest{})
	if err != nil {
		return fmt.Errorf("list probes: %w", err)
	}
	if cf.json {
		return printJSON(stdout, resp)
	}
	return termview.RenderProbes(stdout, resp.GetProbes(), time.Now())
}

func runRunNow(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("run", stderr)
	var cf clientFlags
	cf.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("usage: vigil run [flags] CHECK")
	}
	client, ctx, done, err := cf.dial(ctx)
	if err != nil {
		return err
	}
	defer done()
	resp, err := client.RunCheck(ctx, &vigilv1.RunCheckRequest{CheckId: fs.Arg(0)})
	if err != nil {
		return fmt.Errorf("run check: %w", err)
	}
	if cf.json {
		return printJSON(stdout, resp)
	}
	_, err = fmt.Fprintf(stdout, "asked %d probes to run %s: %v\n", len(resp.GetProbeIds()), fs.Arg(0), resp.GetProbeIds())
	return err
}
