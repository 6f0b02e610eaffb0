package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/vigilhq/vigil/internal/termview"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// clientFlags are the flags of the verbs that query a coordinator.
type clientFlags struct {
	addr      string
	json      bool
	timeout   time.Duration
	tokenFile string
}

func (c *clientFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.addr, "coordinator", "127.0.0.1:7070", "coordinator gRPC address")
	fs.BoolVar(&c.json, "json", false, "print the API response as JSON")
	fs.DurationVar(&c.timeout, "timeout", 10*time.Second, "deadline of the whole call")
	fs.StringVar(&c.tokenFile, "admin-token-file", "", "file holding the admin token for write calls (else $VIGIL_ADMIN_TOKEN)")
}

// dial connects to the coordinator's VigilService and bounds ctx.
func (c *clientFlags) dial(ctx context.Context) (vigilv1.VigilServiceClient, context.Context, func(), error) {
	conn, err := grpc.NewClient(c.addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, nil, nil, fmt.Errorf("dial coordinator %s: %w", c.addr, err)
	}
	token, err := secret(c.tokenFile, "VIGIL_ADMIN_TOKEN")
	if err != nil {
		conn.Close()
		return nil, nil, nil, err
	}
	if token != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token)
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

// clientVerb is the shape of every verb that asks a coordinator one thing:
// parse flags (flags registers the verb's own), dial, call, then print the
// answer as JSON (--json) or as a table.
func clientVerb[T proto.Message](ctx context.Context, name string, args []string, stdout, stderr io.Writer,
	flags func(fs *flag.FlagSet), call func(ctx context.Context, c vigilv1.VigilServiceClient, fs *flag.FlagSet) (T, error),
	render func(w io.Writer, resp T) error) error {
	fs := newFlags(name, stderr)
	var cf clientFlags
	cf.register(fs)
	if flags != nil {
		flags(fs)
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	client, ctx, done, err := cf.dial(ctx)
	if err != nil {
		return err
	}
	defer done()
	resp, err := call(ctx, client, fs)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if cf.json {
		return printJSON(stdout, resp)
	}
	return render(stdout, resp)
}

// runStatus prints the latest result of each check per region. It makes
// one call per check, so it does not fit clientVerb's one-call shape.
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
	if !cf.json {
		return termview.Render(stdout, statuses, time.Now())
	}
	for _, st := range statuses {
		if err := printJSON(stdout, st); err != nil {
			return err
		}
	}
	return nil
}

func runResults(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	req := &vigilv1.ListResultsRequest{}
	var since time.Duration
	var limit uint
	return clientVerb(ctx, "results", args, stdout, stderr,
		func(fs *flag.FlagSet) {
			fs.StringVar(&req.CheckId, "check", "", "only this check")
			fs.StringVar(&req.Region, "region", "", "only this region")
			fs.DurationVar(&since, "since", 0, "only results started within this long ago (0: all)")
			fs.UintVar(&limit, "limit", 20, "results to show (at most 1000)")
		},
		func(ctx context.Context, c vigilv1.VigilServiceClient, _ *flag.FlagSet) (*vigilv1.ListResultsResponse, error) {
			req.PageSize = uint32(limit)
			if since > 0 {
				req.StartTime = timestamppb.New(time.Now().Add(-since))
			}
			return c.ListResults(ctx, req)
		},
		func(w io.Writer, resp *vigilv1.ListResultsResponse) error {
			return termview.RenderResults(w, resp.GetResults())
		})
}

func runProbes(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return clientVerb(ctx, "probes", args, stdout, stderr, nil,
		func(ctx context.Context, c vigilv1.VigilServiceClient, _ *flag.FlagSet) (*vigilv1.ListProbesResponse, error) {
			return c.ListProbes(ctx, &vigilv1.ListProbesRequest{})
		},
		func(w io.Writer, resp *vigilv1.ListProbesResponse) error {
			return termview.RenderProbes(w, resp.GetProbes(), time.Now())
		})
}

func runRunNow(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var check string
	return clientVerb(ctx, "run", args, stdout, stderr, nil,
		func(ctx context.Context, c vigilv1.VigilServiceClient, fs *flag.FlagSet) (*vigilv1.RunCheckResponse, error) {
			if fs.NArg() != 1 {
				return nil, fmt.Errorf("usage: vigil run [flags] CHECK")
			}
			check = fs.Arg(0)
			return c.RunCheck(ctx, &vigilv1.RunCheckRequest{CheckId: check})
		},
		func(w io.Writer, resp *vigilv1.RunCheckResponse) error {
			_, err := fmt.Fprintf(w, "asked %d probes to run %s: %v\n", len(resp.GetProbeIds()), check, resp.GetProbeIds())
			return err
		})
}
