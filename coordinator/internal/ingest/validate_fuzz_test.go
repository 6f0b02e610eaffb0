package ingest

import (
	"testing"

	"google.golang.org/protobuf/proto"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// FuzzValidateBatch feeds arbitrary ConnectRequest bytes to the validation a
// stream runs. It must never panic, and what it accepts must meet the limits
// the store and API rely on.
func FuzzValidateBatch(f *testing.F) {
	seed := func(rs ...*vigilv1.Result) {
		b, err := proto.Marshal(&vigilv1.ConnectRequest{Msg: &vigilv1.ConnectRequest_Results{
			Results: &vigilv1.ResultBatch{Results: rs}}})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	good := goodResult()
	seed(good)
	seed(good, good)
	bad := goodResult()
	bad.ProbeId = "other"
	seed(good, bad)
	noID := goodResult()
	noID.Id = ""
	seed(noID)
	hb, _ := proto.Marshal(&vigilv1.ConnectRequest{Msg: &vigilv1.ConnectRequest_Heartbeat{Heartbeat: &vigilv1.Heartbeat{}}})
	f.Add(hb)
	f.Add([]byte{})

	f.Fuzz(func(t *testing.T, data []byte) {
		var req vigilv1.ConnectRequest
		if proto.Unmarshal(data, &req) != nil {
			return
		}
		batch := req.GetResults()
		if batch == nil {
			return
		}
		if err := ValidateBatch(testHello, batch); err != nil {
			return
		}
		if len(batch.GetResults()) > MaxBatch {
			t.Fatalf("accepted %d results", len(batch.GetResults()))
		}
		for _, r := range batch.GetResults() {
			if r.GetId() == "" || len(r.GetId()) > MaxResultIDLen || r.GetCheckId() == "" ||
				r.GetProbeId() != testHello.GetProbeId() || r.GetRegion() != testHello.GetRegion() ||
				r.GetStatus() == vigilv1.ResultStatus_RESULT_STATUS_UNSPECIFIED ||
				r.GetStartedAt().CheckValid() != nil || len(r.GetScreenshot()) > MaxScreenshot {
				t.Fatalf("accepted an invalid result: %v", r)
			}
		}
	})
}
