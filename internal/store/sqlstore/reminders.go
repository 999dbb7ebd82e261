package sqlstore

import (
	"context"

	"gorm.io/gorm"
)

// BallotsToRemind lists the open ballots, opened more than a day before
// their close, that close within ReminderWindow and have had no reminder.
func (s *Store) BallotsToRemind(ctx context.Context) ([]Ballot, error) {
	now := s.Now()
	var out []Ballot
	err := s.db.WithContext(ctx).Omit("secret").
		Where("state = ? AND closes_at > ? AND closes_at <= ?", StateOpen, now, now.Add(ReminderWindow)).
		Where("NOT EXISTS (SELECT 1 FROM ballot_reminders r WHERE r.ballot_id = ballots.id)").
		Order("closes_at, id").Find(&out).Error
	var due []Ballot
	for _, b := range out {
		if b.OpensAt != nil && b.ClosesAt.Sub(*b.OpensAt) > ReminderWindow {
			due = append(due, b)
		}
	}
	return due, wrap(err, "ballots to remind")
}

// LoadReminderInput reads a ballot's ReminderInput.
func (s *Store) LoadReminderInput(ctx context.Context, b Ballot) (ReminderInput, error) {
	db := s.db.WithContext(ctx)
	in := ReminderInput{Voted: map[int64]bool{}, Handle: map[int64]string{}}
	if err := db.Where("ballot_id = ?", b.ID).Find(&in.Roll).Error; err != nil {
		return in, wrap(err, "roll of ballot %d", b.ID)
	}
	var voted []int64
	if err := db.Model(&Vote{}).Where("ballot_id = ?", b.ID).Pluck("citizen_id", &voted).Error; err != nil {
		return in, wrap(err, "voters of ballot %d", b.ID)
	}
	for _, id := range voted {
		in.Voted[id] = true
	}
	lists, err := effectiveLists(db, b)
	if err != nil {
		return in, err
	}
	in.Lists = lists
	var firsts []int64
	for _, l := range lists {
		if len(l) > 0 {
			firsts = append(firsts, l[0])
		}
	}
	for i := 0; i < len(firsts); i += chunk {
		var cs []Citizen
		if err := db.Select("id", "handle", "display_name").Where("id IN ?", firsts[i:min(i+chunk, len(firsts))]).Find(&cs).Error; err != nil {
			return in, wrap(err, "delegates")
		}
		for _, c := range cs {
			in.Handle[c.ID] = name(c)
		}
	}
	return in, nil
}

// Remind enqueues a ballot's reminders and marks it reminded, in one
// transaction; a second call (another instance) does nothing.
func (s *Store) Remind(ctx context.Context, b Ballot, groups []Reminder) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Exec("INSERT INTO ballot_reminders (ballot_id, sent_at) VALUES (?, ?) ON CONFLICT (ballot_id) DO NOTHING", b.ID, s.stamp())
		if res.Error != nil {
			return wrap(res.Error, "mark reminder of ballot %d", b.ID)
		}
		if res.RowsAffected == 0 {
			return nil
		}
		for _, g := range groups {
			n := ballotNote(KindClosingSoon, "closing", b, mailTime(b.ClosesAt))
			n.Message = g.Message
			if g.Delegate != "" {
				n.Params = append(n.Params, g.Delegate)
			}
			for i := 0; i < len(g.Citizens); i += chunk {
				if err := s.notify(tx, n, rollIn, b.ID, g.Citizens[i:min(i+chunk, len(g.Citizens))]); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// rollIn selects the citizens of a list who are on a ballot's roll.
const rollIn = "SELECT citizen_id FROM ballot_roll WHERE ballot_id = ? AND citizen_id IN ?"
