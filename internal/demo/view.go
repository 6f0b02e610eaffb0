package demo

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"time"

	"github.com/vigilhq/vigil/internal/termview"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// view draws the live table from the coordinator's public API, as any other
// client would.
type view struct {
	out     io.Writer
	client  vigilv1.VigilServiceClient
	header  string
	refresh time.Duration
}

// live redraws the table until ctx is done. On a terminal it redraws in
// place every second; elsewhere (a pipe, a CI log) it prints every 10s.
func (v *view) live(ctx context.Context) error {
	tty := termview.IsTerminal(v.out)
	every := v.refresh
	if every == 0 {
		every = 10 * time.Second
		if tty {
			every = time.Second
		}
	}
	if !tty {
		fmt.Fprint(v.out, v.header)
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		var buf bytes.Buffer
		if tty {
			buf.WriteString("\033[H\033[2J")
			buf.WriteString(v.header)
		}
		fmt.Fprintf(&buf, "\n%s\n", time.Now().Format(time.TimeOnly))
		if err := v.draw(ctx, &buf); err != nil {
			fmt.Fprintf(&buf, "(coordinator not answering: %v)\n", err)
		}
		if _, err := v.out.Write(buf.Bytes()); err != nil {
			return fmt.Errorf("write table: %w", err)
		}
	}
}

// final prints the last table, after the probes stopped.
func (v *view) final(ctx context.Context) error {
	ctx = context.WithoutCancel(ctx)
	fmt.Fprintf(v.out, "\nfinal state at %s\n", time.Now().Format(time.TimeOnly))
	return v.draw(ctx, v.out)
}

func (v *view) draw(ctx context.Context, w io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	statuses, err := termview.FetchStatuses(ctx, v.client, nil)
	if err != nil {
		return err
	}
	now := time.Now()
	if err := termview.Render(w, statuses, now); err != nil {
		return err
	}
	incs, err := v.client.ListIncidents(ctx, &vigilv1.ListIncidentsRequest{Limit: 5})
	if err != nil {
		return err
	}
	if len(incs.GetIncidents()) == 0 {
		_, err := fmt.Fprintln(w, "\nno incidents")
		return err
	}
	fmt.Fprintln(w, "\nlatest incidents (vigil incidents ID shows the timeline):")
	return termview.RenderIncidents(w, incs.GetIncidents(), now)
}
