package main

import (
	"context"
	"fmt"
	"io"
	"runtime"

	"github.com/vigilhq/vigil/internal/buildinfo"
)

func runVersion(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	_, err := fmt.Fprintf(stdout, "vigil %s (%s)\n", buildinfo.Version, runtime.Version())
	return err
}
