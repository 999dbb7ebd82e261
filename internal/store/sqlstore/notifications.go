package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// notify enqueues n, in tx, for every citizen the SELECT recipients (one
// column: citizen_id) returns, and queues a mail for each new one whose
// citizen has an address and has not muted the kind. Enqueuing a key again
// does nothing: one event, one notification and at most one mail. Both are
// set-based inserts, so a ballot opening for 100,000 voters is two
// statements.
func (s *Store) notify(tx *gorm.DB, n Note, recipients string, args ...any) error {
	params, err := json.Marshal(n.Params)
	if err != nil {
		return fmt.Errorf("store: notification params: %w", err)
	}
	if n.Params == nil {
		params = []byte("[]")
	}
	msg := n.Message
	if msg == "" {
		msg = "notify." + n.Kind
	}
	created := s.stamp()
	visible := created
	if n.Day {
		created = created.Truncate(24 * time.Hour)
		visible = created.Add(24 * time.Hour)
	}
	all := append([]any{n.Kind, msg, n.Key, string(params), n.Link, created, visible}, args...)
	q, b := notifySQL(s.dialect, recipients), batchOf(tx)
	if b.deferWrite(q, -1, all...) {
		if s.mail {
			b.deferWrite(queueMailSQL, -1, n.Key, "%,"+n.Kind+",%")
		}
		return nil
	}
	added, err := s.exec(tx, q, all...)
	if err != nil {
		return wrap(err, "notify %s", n.Key)
	}
	if !s.mail || added == 0 {
		return nil // nobody new: their mail rows were queued with them
	}
	_, err = s.exec(tx, queueMailSQL, n.Key, "%,"+n.Kind+",%")
	return wrap(err, "queue mail %s", n.Key)
}

// queueMailSQL queues the mail of an event's notifications that have
// none queued yet (parameters: the event key, the kind as muted lists
// it).
const queueMailSQL = `INSERT INTO outbox (notification_id, next_at)
	SELECT n.id, n.visible_at FROM notifications n
	JOIN citizens c ON c.id = n.citizen_id
	LEFT JOIN notification_prefs p ON p.citizen_id = n.citizen_id
	WHERE n.event_key = ? AND c.email <> '' AND COALESCE(p.muted, '') NOT LIKE ?
	AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.notification_id = n.id)`

// notifySQLs holds notify's INSERT per dialect and recipients: every
// vote with a delegator runs one, so it is written once.
var notifySQLs struct {
	sync.RWMutex
	m map[[2]string]string
}

// notifySQL is notify's INSERT of notifications for recipients.
func notifySQL(dialect, recipients string) string {
	key := [2]string{dialect, recipients}
	notifySQLs.RLock()
	q, ok := notifySQLs.m[key]
	notifySQLs.RUnlock()
	if ok {
		return q
	}
	cols := "?, ?, ?, ?, ?, ?, ?"
	if dialect == "postgres" { // parameters in a SELECT list need types
		cols = "?::text, ?::text, ?::text, ?::text, ?::text, ?::timestamptz, ?::timestamptz"
	}
	q = `INSERT INTO notifications (citizen_id, kind, message, event_key, params, link, created_at, visible_at)
		SELECT r.citizen_id, ` + cols + ` FROM (` + recipients + `) r WHERE true
		ON CONFLICT (citizen_id, event_key) DO NOTHING`
	notifySQLs.Lock()
	if notifySQLs.m == nil {
		notifySQLs.m = map[[2]string]string{}
	}
	notifySQLs.m[key] = q
	notifySQLs.Unlock()
	return q
}

// exec runs q (? placeholders) in tx and returns the rows it changed:
// execRaw, or through gorm when an argument is a list, which gorm expands
// for IN ?.
func (s *Store) exec(tx *gorm.DB, q string, args ...any) (int64, error) {
	for _, a := range args {
		if _, list := a.([]int64); list {
			res := tx.Exec(q, args...)
			return res.RowsAffected, res.Error
		}
	}
	return execRaw(tx, q, args...)
}

// notifyOne is notify for one citizen.
func (s *Store) notifyOne(tx *gorm.DB, citizenID int64, n Note) error {
	return s.notify(tx, n, "SELECT CAST(? AS BIGINT) AS citizen_id", citizenID)
}

// MailEnabled reports whether notifications are queued for mail.
func (s *Store) MailEnabled() bool { return s.mail }

// Notifications returns a citizen's visible notifications, newest first,
// at most limit of them with an id below before (0: from the newest).
func (s *Store) Notifications(ctx context.Context, citizenID int64, before int64, limit int) ([]Notification, error) {
	q := s.db.WithContext(ctx).Where("citizen_id = ? AND visible_at <= ?", citizenID, s.stamp())
	if before > 0 {
		q = q.Where("id < ?", before)
	}
	var out []Notification
	err := q.Order("id DESC").Limit(limit).Find(&out).Error
	return out, wrap(err, "notifications of %d", citizenID)
}

// UnreadCount counts a citizen's visible unread notifications.
func (s *Store) UnreadCount(ctx context.Context, citizenID int64) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&Notification{}).
		Where("citizen_id = ? AND read_at IS NULL AND visible_at <= ?", citizenID, s.stamp()).Count(&n).Error
	return n, wrap(err, "unread notifications of %d", citizenID)
}

// MarkRead marks one of the citizen's notifications read, or all of them
// when id is 0. Another citizen's notification is ErrNotFound.
func (s *Store) MarkRead(ctx context.Context, citizenID, id int64) error {
	now := s.stamp()
	return s.tx(ctx, func(tx *gorm.DB) error {
		q := tx.Model(&Notification{}).Where("citizen_id = ? AND read_at IS NULL AND visible_at <= ?", citizenID, now)
		if id > 0 {
			var n int64
			if err := tx.Model(&Notification{}).Where("id = ? AND citizen_id = ?", id, citizenID).Count(&n).Error; err != nil {
				return wrap(err, "notification %d", id)
			}
			if n == 0 {
				return wrap(gorm.ErrRecordNotFound, "notification %d", id)
			}
			q = q.Where("id = ?", id)
		}
		return wrap(q.Update("read_at", now).Error, "mark read")
	})
}

// Prefs returns a citizen's settings (English, nothing muted when unset).
func (s *Store) Prefs(ctx context.Context, citizenID int64) (NotificationPrefs, error) {
	p := NotificationPrefs{CitizenID: citizenID, Lang: "en"}
	err := s.db.WithContext(ctx).Where("citizen_id = ?", citizenID).Limit(1).Find(&p).Error
	return p, wrap(err, "notification settings of %d", citizenID)
}

// SetMuted switches mail off for the given kinds and on for the others.
// Unknown kinds are ignored.
func (s *Store) SetMuted(ctx context.Context, citizenID int64, kinds []string) error {
	var keep []string
	for _, k := range NotificationKinds {
		if slices.Contains(kinds, k) {
			keep = append(keep, k)
		}
	}
	muted := ""
	if len(keep) > 0 {
		muted = "," + strings.Join(keep, ",") + ","
	}
	return s.upsertPrefs(ctx, NotificationPrefs{CitizenID: citizenID, Lang: "en", Muted: muted}, "muted")
}

// Mute switches mail off for one kind (the unsubscribe link).
func (s *Store) Mute(ctx context.Context, citizenID int64, kind string) error {
	p, err := s.Prefs(ctx, citizenID)
	if err != nil {
		return err
	}
	return s.SetMuted(ctx, citizenID, append(p.MutedKinds(), kind))
}

// SetLang stores the language a citizen last used, for their mail.
func (s *Store) SetLang(ctx context.Context, citizenID int64, lang string) error {
	return s.upsertPrefs(ctx, NotificationPrefs{CitizenID: citizenID, Lang: lang}, "lang")
}

func (s *Store) upsertPrefs(ctx context.Context, p NotificationPrefs, column string) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		err := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "citizen_id"}}, DoUpdates: clause.AssignmentColumns([]string{column})}).Create(&p).Error
		return wrap(err, "notification settings of %d", p.CitizenID)
	})
}

// MailDelayed reports whether a mail to the citizen is overdue: waiting
// after a failed attempt, or due for over ten minutes.
func (s *Store) MailDelayed(ctx context.Context, citizenID int64) (bool, error) {
	var n int64
	now := s.stamp()
	err := s.db.WithContext(ctx).Table("outbox o").Joins("JOIN notifications n ON n.id = o.notification_id").
		Where("n.citizen_id = ? AND o.sent_at IS NULL AND (o.attempts > 0 OR o.next_at < ?)", citizenID, now.Add(-10*time.Minute)).
		Limit(1).Count(&n).Error
	return n > 0, wrap(err, "mail of %d", citizenID)
}

// ClaimMail marks the mails sent sent (as MarkSent) and takes up to limit
// (none: only the mark) due, unsent outbox rows for lease, in one short
// write transaction: another worker (or this one after a restart) takes
// them again only when the lease has run out without MarkSent, so a crash
// loses nothing. Rows are claimed in batches (a few hundred), so the
// outbox's size does not matter. Under the write lock there are only the
// two UPDATEs; what the mails need (the notification, the citizen's
// address and language) is read after it, beside the writers (WAL), so
// that the worker holds the one writer of SQLite as briefly as it can and
// votes hardly wait for it.
func (s *Store) ClaimMail(ctx context.Context, sent []int64, limit int, lease time.Duration) ([]Mail, error) {
	now := s.stamp()
	var ids []int64
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := markSent(tx, now, sent); err != nil || limit <= 0 {
			return err
		}
		due := "SELECT id FROM outbox WHERE sent_at IS NULL AND next_at <= ? AND (claimed_until IS NULL OR claimed_until < ?) ORDER BY next_at, id LIMIT ?"
		if s.dialect == "postgres" {
			due += " FOR UPDATE SKIP LOCKED"
		}
		return wrap(tx.Raw("UPDATE outbox SET claimed_until = ? WHERE id IN ("+due+") RETURNING id", now.Add(lease), now, now, limit).
			Scan(&ids).Error, "claim mail")
	})
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	return s.loadMail(ctx, ids)
}

// loadMail reads what the mails ids need (in id order), on the pool and
// without gorm's reflection: the worker reads a few hundred rows a second.
// The notification's event key and time are left out: no mail uses them.
func (s *Store) loadMail(ctx context.Context, ids []int64) ([]Mail, error) {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	q := `SELECT o.id, o.attempts, o.secret, n.id, n.citizen_id, n.kind, n.message, n.params, n.link,
		c.email, c.display_name, COALESCE(p.lang, 'en') FROM outbox o
		JOIN notifications n ON n.id = o.notification_id
		JOIN citizens c ON c.id = n.citizen_id
		LEFT JOIN notification_prefs p ON p.citizen_id = n.citizen_id
		WHERE o.id IN (` + strings.Repeat("?, ", len(ids)-1) + `?) ORDER BY o.id`
	if s.dialect == "postgres" {
		q = numberPlaceholders(q)
	}
	rows, err := s.db.Statement.ConnPool.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, wrap(err, "load mail")
	}
	defer rows.Close()
	out := make([]Mail, 0, len(ids))
	for rows.Next() {
		var m Mail
		if err := rows.Scan(&m.ID, &m.Attempts, &m.Secret, &m.Notification.ID, &m.CitizenID, &m.Kind, &m.Message,
			&m.Params, &m.Link, &m.Email, &m.DisplayName, &m.Lang); err != nil {
			return nil, wrap(err, "load mail")
		}
		out = append(out, m)
	}
	return out, wrap(rows.Err(), "load mail")
}

// MarkSent records that the SMTP server accepted the mails ids and
// forgets their secrets.
func (s *Store) MarkSent(ctx context.Context, ids ...int64) error {
	if len(ids) == 0 {
		return nil
	}
	return s.tx(ctx, func(tx *gorm.DB) error { return markSent(tx, s.stamp(), ids) })
}

func markSent(tx *gorm.DB, now time.Time, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	return wrap(tx.Exec("UPDATE outbox SET sent_at = ?, secret = '', claimed_until = NULL WHERE id IN ?", now, ids).Error, "mark %d mails sent", len(ids))
}

// ReleaseMail gives back claimed, unsent mails ids (a worker that stops
// before sending them): they are due again at once, not after the lease.
func (s *Store) ReleaseMail(ctx context.Context, ids ...int64) error {
	if len(ids) == 0 {
		return nil
	}
	return s.tx(ctx, func(tx *gorm.DB) error {
		return wrap(tx.Exec("UPDATE outbox SET claimed_until = NULL WHERE id IN ? AND sent_at IS NULL", ids).Error,
			"give back %d mails", len(ids))
	})
}

// RetryMail records a failed attempt at mail id and when to try again.
func (s *Store) RetryMail(ctx context.Context, id int64, next time.Time, reason string) error {
	if len(reason) > 500 {
		reason = reason[:500]
	}
	return s.tx(ctx, func(tx *gorm.DB) error {
		return wrap(tx.Exec("UPDATE outbox SET attempts = attempts + 1, next_at = ?, claimed_until = NULL, last_error = ? WHERE id = ?",
			next, reason, id).Error, "retry mail %d", id)
	})
}

// OutboxPending counts unsent mail (for tests, benchmarks and metrics).
func (s *Store) OutboxPending(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Table("outbox").Where("sent_at IS NULL").Count(&n).Error
	return n, wrap(err, "pending mail")
}

// ballotNote fills the parts of a ballot's notes: its title and link.
func ballotNote(kind, key string, b Ballot, params ...any) Note {
	return Note{Kind: kind, Key: key + ":" + strconv.FormatInt(b.ID, 10), Link: "/ballots/" + strconv.FormatInt(b.ID, 10),
		Params: append([]any{b.Title}, params...)}
}

// rollRecipients selects a ballot's voter roll.
const rollRecipients = "SELECT citizen_id FROM ballot_roll WHERE ballot_id = ?"

// mailTime formats a time for a notification's text.
func mailTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }
