package termview

import (
	"context"
	"fmt"

	vigilv1 "github.com/vigilhq/vigil/proto/vigil/v1"
)

// FetchStatuses asks the coordinator for the status of the named checks, or
// of every check when ids is empty, in the coordinator's order.
func FetchStatuses(ctx context.Context, client vigilv1.VigilServiceClient, ids []string) ([]*vigilv1.GetCheckStatusResponse, error) {
	if len(ids) == 0 {
		resp, err := client.ListChecks(ctx, &vigilv1.ListChecksRequest{})
		if err != nil {
			return nil, fmt.Errorf("list checks: %w", err)
		}
		for _, c := range resp.GetChecks() {
			ids = append(ids, c.GetId())
		}
	}
	statuses := make([]*vigilv1.GetCheckStatusResponse, 0, len(ids))
	for _, id := range ids {
		st, err := client.GetCheckStatus(ctx, &vigilv1.GetCheckStatusRequest{CheckId: id})
		if err != nil {
			return nil, fmt.Errorf("get status of %s: %w", id, err)
		}
		statuses = append(statuses, st)
	}
	return statuses, nil
}
