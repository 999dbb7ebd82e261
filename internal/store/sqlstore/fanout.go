package sqlstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"gorm.io/gorm"
)

// queueFanout records, in tx, that n is to be sent to ballot's roll. The
// close does this instead of notify: a roll of a million voters is a
// million notifications, which FanOut writes after the close commits.
func queueFanout(tx *gorm.DB, ballot int64, n Note) error {
	note, err := json.Marshal(n)
	if err != nil {
		return fmt.Errorf("store: fan-out note: %w", err)
	}
	err = tx.Exec("INSERT INTO notification_fanouts (ballot_id, note) VALUES (?, ?)", ballot, string(note)).Error
	return wrap(err, "queue fan-out of %s", n.Key)
}

// fanout is a pending row of notification_fanouts.
type fanout struct {
	ID       int64
	BallotID int64
	Note     string
}

// FanOut sends every pending fan-out to its ballot's roll, each in its own
// transaction that also deletes it, and returns how many it sent. A
// fan-out left by a crash is sent by the next call; one that another
// instance took first is skipped (the delete finds nothing), and notify
// enqueues a key once, so each voter gets one notification and one mail.
// A fan-out that fails is left pending and named in the error; the others
// are still sent.
func (s *Store) FanOut(ctx context.Context) (int, error) {
	var pending []fanout
	if err := s.db.WithContext(ctx).Table("notification_fanouts").Order("id").Find(&pending).Error; err != nil {
		return 0, wrap(err, "pending fan-outs")
	}
	n, errs := 0, []error(nil)
	for _, f := range pending {
		var note Note
		d := json.NewDecoder(strings.NewReader(f.Note))
		d.UseNumber() // parameters keep their digits
		if err := d.Decode(&note); err != nil {
			errs = append(errs, fmt.Errorf("store: fan-out %d: %w", f.ID, err))
			continue
		}
		took := false
		err := s.tx(ctx, func(tx *gorm.DB) error {
			res := tx.Exec("DELETE FROM notification_fanouts WHERE id = ?", f.ID)
			if res.Error != nil || res.RowsAffected == 0 {
				return wrap(res.Error, "take fan-out %d", f.ID)
			}
			took = true
			return s.notify(tx, note, rollRecipients, f.BallotID)
		})
		if err != nil {
			errs = append(errs, err)
		} else if took {
			n++
		}
	}
	return n, errors.Join(errs...)
}
