// Package buildinfo holds the build's version, set at link time with
// -ldflags "-X github.com/vigilhq/vigil/internal/buildinfo.Version=...".
package buildinfo

// Version is the build's version; "dev" for builds without ldflags.
var Version = "dev"
