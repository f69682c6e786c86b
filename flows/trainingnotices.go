package flows

import (
	"context"
	"fmt"

	"coopbot"
)

// Notices about trainings (queued by the store when a training is cancelled or changed,
// a seat frees, a reminder comes due), worded when they are sent from the training as it
// stands then, in the reader's language.

// trainingNotice renders message id about the training the notice names. A notice that
// only makes sense while the training takes place (live) is dropped once it is cancelled:
// the cancellation notice says what there is to say.
func trainingNotice(id string, live bool) func(ctx context.Context, s Store, to *coopbot.Resident, n coopbot.Notice) (coopbot.Reply, error) {
	return func(ctx context.Context, s Store, to *coopbot.Resident, n coopbot.Notice) (coopbot.Reply, error) {
		t, err := s.Training(ctx, n.ID)
		if err != nil {
			return coopbot.Reply{}, err
		}
		if live && t.Status != coopbot.TrainingPublished {
			return coopbot.Reply{}, &coopbot.Error{Code: coopbot.ENotFound, Err: fmt.Errorf("training %d is %s", t.ID, t.Status)}
		}
		return coopbot.Text(coopbot.M(id, trainingDataIn(to.Lang, t)...)), nil
	}
}
