package bot_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"coopbot/emulator"
	"coopbot/internal/chattest"
)

// BenchmarkRedisOnlyStep runs the whole stack in one process (fake Bot API, bot, engine,
// Redis, Postgres) for a step that touches only Redis: a resident at the neighborhood
// question types a name that matches none. Use it with -cpuprofile to see where the bot's
// time goes; cmd/coopbot-load measures the real process.
func BenchmarkRedisOnlyStep(b *testing.B) {
	h := chattest.New(b)
	const residents = 64
	var users []*chattest.User
	for i := range residents {
		u := h.User(int64(900000 + i))
		u.Send("/start")
		u.Sees("onboarding.welcome")
		u.Press("lang.fa.name")
		u.Sees("onboarding.neighborhood.prompt")
		users = append(users, u)
	}
	var next atomic.Int64
	b.SetParallelism(residents / 2) // one resident per goroutine, each waiting for its reply
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		u := users[next.Add(1)-1]
		seq := 0
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		for pb.Next() {
			seq++
			want := fmt.Sprintf("«ن%d»", seq)
			u.Send(fmt.Sprintf("ن%d", seq))
			err := u.E.Wait(ctx, func(ms []emulator.Message) bool {
				return len(ms) > 0 && strings.Contains(ms[len(ms)-1].Text, want)
			})
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
}
