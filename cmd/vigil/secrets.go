package main

import (
	"fmt"
	"os"
	"strings"
)

// secret reads a secret from a file (when path is set) or else from the
// environment variable env. Secrets are never flag values: those show up in
// ps and shell history.
func secret(path, env string) (string, error) {
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return "", fmt.Errorf("read secret: %w", err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	return os.Getenv(env), nil
}
