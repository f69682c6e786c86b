package postgres

import (
	"context"

	"coopbot"
)

// ClaimBatch claims up to n pending deliveries of broadcast id on platform p, as the send
// loop does, and returns their ids (for tests of exclusive claims).
func (b *Broadcaster) ClaimBatch(ctx context.Context, id int64, p coopbot.Platform, n int) ([]int64, error) {
	rows, err := b.claim(ctx, &activeBroadcast{id: id}, p, n, 0)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.id
	}
	return ids, nil
}
