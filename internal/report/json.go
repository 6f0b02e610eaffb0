package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"google.golang.org/protobuf/encoding/protojson"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// JSON writes r in the protobuf JSON mapping with proto field names
// (check_id, load_series), indented by two spaces and ending in a newline.
// Fields at their zero value are left out, as protojson does by default;
// 64-bit integers are strings, as the mapping says.
//
// protojson deliberately varies its whitespace between builds so that nobody
// depends on it; JSON re-indents its output with encoding/json, which makes
// the bytes stable for golden files and diffs.
func JSON(w io.Writer, r *vigilv1.Report) error {
	b, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode report json: %w", err)
	}
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		return fmt.Errorf("indent report json: %w", err)
	}
	out.WriteByte('\n')
	_, err = w.Write(out.Bytes())
	return err
}
