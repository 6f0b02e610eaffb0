package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os/user"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/vigilhq/vigil/internal/termview"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// runIncidents lists incidents, or shows one with its timeline.
func runIncidents(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	req := &vigilv1.ListIncidentsRequest{}
	var limit uint
	var one *vigilv1.GetIncidentResponse
	return clientVerb(ctx, "incidents", args, stdout, stderr,
		func(fs *flag.FlagSet) {
			fs.StringVar(&req.CheckId, "check", "", "only this check's incidents")
			fs.BoolVar(&req.OpenOnly, "open", false, "only incidents not resolved yet")
			fs.UintVar(&limit, "limit", 20, "incidents to show (at most 1000)")
		},
		func(ctx context.Context, c vigilv1.VigilServiceClient, fs *flag.FlagSet) (*vigilv1.ListIncidentsResponse, error) {
			switch fs.NArg() {
			case 0:
				req.Limit = uint32(limit)
				return c.ListIncidents(ctx, req)
			case 1:
				resp, err := c.GetIncident(ctx, &vigilv1.GetIncidentRequest{Id: fs.Arg(0)})
				if err != nil {
					return nil, err
				}
				one = resp
				return &vigilv1.ListIncidentsResponse{Incidents: []*vigilv1.Incident{resp.GetIncident()}}, nil
			}
			return nil, errors.New("usage: vigil incidents [flags] [ID]")
		},
		func(w io.Writer, resp *vigilv1.ListIncidentsResponse) error {
			if one != nil {
				return termview.RenderIncident(w, one.GetIncident(), time.Now())
			}
			return termview.RenderIncidents(w, resp.GetIncidents(), time.Now())
		})
}

// whoami is the default actor of write calls: the local user's name.
func whoami() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return "cli"
}

// incidentWrite is the shape of ack, note and resolve: one incident id (and
// for note, the text), a call, and the incident shown after it.
func incidentWrite(ctx context.Context, name, usage string, args []string, stdout, stderr io.Writer,
	call func(ctx context.Context, c vigilv1.VigilServiceClient, id, by, text string) (*vigilv1.Incident, error)) error {
	by := whoami()
	var note string
	return clientVerb(ctx, name, args, stdout, stderr,
		func(fs *flag.FlagSet) {
			fs.StringVar(&by, "by", by, "who acts")
			if name == "resolve" {
				fs.StringVar(&note, "note", "", "why, for the timeline")
			}
		},
		func(ctx context.Context, c vigilv1.VigilServiceClient, fs *flag.FlagSet) (*vigilv1.Incident, error) {
			want := 1
			if name == "note" {
				want = 2
			}
			if fs.NArg() < want || (want == 1 && fs.NArg() != 1) {
				return nil, errors.New("usage: " + usage)
			}
			text := note
			if name == "note" {
				text = strings.Join(fs.Args()[1:], " ")
			}
			return call(ctx, c, fs.Arg(0), by, text)
		},
		func(w io.Writer, inc *vigilv1.Incident) error {
			return termview.RenderIncident(w, inc, time.Now())
		})
}

func runAck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return incidentWrite(ctx, "ack", "vigil ack [flags] ID", args, stdout, stderr,
		func(ctx context.Context, c vigilv1.VigilServiceClient, id, by, _ string) (*vigilv1.Incident, error) {
			resp, err := c.AcknowledgeIncident(ctx, &vigilv1.AcknowledgeIncidentRequest{Id: id, By: by})
			return resp.GetIncident(), err
		})
}

func runNote(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return incidentWrite(ctx, "note", "vigil note [flags] ID TEXT...", args, stdout, stderr,
		func(ctx context.Context, c vigilv1.VigilServiceClient, id, by, text string) (*vigilv1.Incident, error) {
			resp, err := c.AddIncidentNote(ctx, &vigilv1.AddIncidentNoteRequest{Id: id, By: by, Text: text})
			return resp.GetIncident(), err
		})
}

func runResolve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return incidentWrite(ctx, "resolve", "vigil resolve [flags] ID", args, stdout, stderr,
		func(ctx context.Context, c vigilv1.VigilServiceClient, id, by, note string) (*vigilv1.Incident, error) {
			resp, err := c.ResolveIncident(ctx, &vigilv1.ResolveIncidentRequest{Id: id, By: by, Note: note})
			return resp.GetIncident(), err
		})
}

const maintenanceUsage = `usage:
  vigil maintenance list
  vigil maintenance create --name NAME [--checks a,b] (--from TIME --until TIME | --from TIME --for DURATION | --days mon,tue --at HH:MM --for DURATION [--tz ZONE])
  vigil maintenance delete ID`

// runMaintenance lists, creates or deletes maintenance windows.
func runMaintenance(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New(maintenanceUsage)
	}
	switch args[0] {
	case "list":
		return clientVerb(ctx, "maintenance list", args[1:], stdout, stderr, nil,
			func(ctx context.Context, c vigilv1.VigilServiceClient, _ *flag.FlagSet) (*vigilv1.ListMaintenanceWindowsResponse, error) {
				return c.ListMaintenanceWindows(ctx, &vigilv1.ListMaintenanceWindowsRequest{})
			},
			func(w io.Writer, resp *vigilv1.ListMaintenanceWindowsResponse) error {
				return termview.RenderWindows(w, resp.GetWindows(), resp.GetActive())
			})
	case "create":
		return createWindow(ctx, args[1:], stdout, stderr)
	case "delete":
		return clientVerb(ctx, "maintenance delete", args[1:], stdout, stderr, nil,
			func(ctx context.Context, c vigilv1.VigilServiceClient, fs *flag.FlagSet) (*vigilv1.DeleteMaintenanceWindowResponse, error) {
				if fs.NArg() != 1 {
					return nil, errors.New("usage: vigil maintenance delete ID")
				}
				return c.DeleteMaintenanceWindow(ctx, &vigilv1.DeleteMaintenanceWindowRequest{Id: fs.Arg(0)})
			},
			func(w io.Writer, _ *vigilv1.DeleteMaintenanceWindowResponse) error {
				_, err := fmt.Fprintln(w, "deleted")
				return err
			})
	}
	return errors.New(maintenanceUsage)
}

func createWindow(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	w := &vigilv1.MaintenanceWindow{CreatedBy: whoami()}
	var checks, from, until, days, at, tz string
	var length time.Duration
	return clientVerb(ctx, "maintenance create", args, stdout, stderr,
		func(fs *flag.FlagSet) {
			fs.StringVar(&w.Name, "name", "", "what the window is for (required)")
			fs.StringVar(&checks, "checks", "", "comma-separated check names (default: every check)")
			fs.StringVar(&from, "from", "", `start, RFC 3339 or "now" (one-off window; default now)`)
			fs.StringVar(&until, "until", "", "end, RFC 3339 (one-off window)")
			fs.DurationVar(&length, "for", 0, "duration (one-off: instead of --until; recurring: each occurrence)")
			fs.StringVar(&days, "days", "", "recurring: weekdays, e.g. mon,wed (empty with --at: every day)")
			fs.StringVar(&at, "at", "", "recurring: local start time HH:MM")
			fs.StringVar(&tz, "tz", "", "recurring: IANA time zone (default UTC)")
			fs.StringVar(&w.CreatedBy, "by", w.CreatedBy, "who creates it")
		},
		func(ctx context.Context, c vigilv1.VigilServiceClient, fs *flag.FlagSet) (*vigilv1.CreateMaintenanceWindowResponse, error) {
			if fs.NArg() != 0 {
				return nil, errors.New(maintenanceUsage)
			}
			if checks != "" {
				w.CheckIds = strings.Split(checks, ",")
			}
			if at != "" {
				w.Recurrence = &vigilv1.Recurrence{TimeZone: tz, StartTime: at, Duration: durationpb.New(length)}
				if days != "" {
					w.Recurrence.Days = strings.Split(days, ",")
				}
				return c.CreateMaintenanceWindow(ctx, &vigilv1.CreateMaintenanceWindowRequest{Window: w})
			}
			start := time.Now()
			if from != "" && from != "now" {
				t, err := time.Parse(time.RFC3339, from)
				if err != nil {
					return nil, fmt.Errorf("--from: %w", err)
				}
				start = t
			}
			end := start.Add(length)
			if until != "" {
				t, err := time.Parse(time.RFC3339, until)
				if err != nil {
					return nil, fmt.Errorf("--until: %w", err)
				}
				end = t
			}
			w.Start, w.End = timestamppb.New(start), timestamppb.New(end)
			return c.CreateMaintenanceWindow(ctx, &vigilv1.CreateMaintenanceWindowRequest{Window: w})
		},
		func(out io.Writer, resp *vigilv1.CreateMaintenanceWindowResponse) error {
			_, err := fmt.Fprintf(out, "created %s: %s\n", resp.GetWindow().GetId(), termview.When(resp.GetWindow()))
			return err
		})
}
