package checkfile

import (
	"github.com/vigilhq/vigil/coordinator/internal/notify"
	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// File is everything a check file defines.
type File struct {
	// Checks are the checks, in file order, each with its Version set and
	// its Alerting filled in with every default applied.
	Checks []*vigilv1.Check
	// Channels are the notification channels that routes name, in file
	// order, with their secrets read from the environment.
	Channels []notify.Channel
	// Maintenance are the maintenance windows, in file order, each with the
	// id "file:<name>" and valid by maintenance.Validate.
	Maintenance []*vigilv1.MaintenanceWindow
}

// Option changes how LoadFile and ParseFile load a file.
type Option func(*options)

type options struct {
	lookupEnv func(name string) (string, bool)
}

// WithLookupEnv makes the loader read the environment variables that
// channels name (url_env, secret_env, routing_key_env, username_env,
// password_env) with lookup instead of os.LookupEnv, so tests can supply
// secrets without touching the process environment. lookup reports whether
// the variable is set, like os.LookupEnv; nil means os.LookupEnv.
func WithLookupEnv(lookup func(name string) (string, bool)) Option {
	return func(o *options) {
		if lookup != nil {
			o.lookupEnv = lookup
		}
	}
}
