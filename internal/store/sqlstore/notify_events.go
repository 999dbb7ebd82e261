package sqlstore

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"koinon/internal/store"

	"gorm.io/gorm"
)

// chunk bounds the ids bound in one IN list.
const chunk = 500

// notifyJoined tells the citizens whose membership of the community began
// at now (not a change of role or weight) that they are on its roll. A
// citizen created by the roll import gets their invitation link in the
// mail only (secrets: citizen id → invitation token).
func (s *Store) notifyJoined(tx *gorm.DB, communityID int64, now time.Time, secrets map[int64]string) error {
	var c Community
	if err := tx.Select("id", "slug", "name").First(&c, communityID).Error; err != nil {
		return wrap(err, "community %d", communityID)
	}
	key := "joined:" + strconv.FormatInt(communityID, 10) + ":" + strconv.FormatInt(now.UnixMicro(), 10)
	n := Note{Kind: KindInvitation, Key: key, Link: "/communities/" + c.Slug, Params: []any{c.Name}}
	err := s.notify(tx, n, `SELECT m.citizen_id FROM memberships m WHERE m.community_id = ? AND m.started_at = ? AND m.ended_at IS NULL
		AND NOT EXISTS (SELECT 1 FROM memberships o WHERE o.community_id = m.community_id AND o.citizen_id = m.citizen_id AND o.ended_at = ?)`,
		communityID, now, now)
	if err != nil || !s.mail {
		return err
	}
	for id, token := range secrets {
		if err := tx.Exec(`UPDATE outbox SET secret = ? WHERE notification_id IN
			(SELECT id FROM notifications WHERE citizen_id = ? AND event_key = ?)`, token, id, key).Error; err != nil {
			return wrap(err, "invitation mail of %d", id)
		}
	}
	return nil
}

// notifyDelegators tells the delegators whose vote on b goes first to
// delegateID, and who have not voted themselves, that their delegate
// voted: how on a public ballot, only that on any other (a delegator may
// know whether her first delegate carries her vote, docs/ballots.md).
// Only the first vote is told; replacing it is not a new notification.
// It runs in every first vote's transaction, so its reads bypass gorm
// (queryRow): one statement when nobody lists the delegate first (none
// in a shared batch, whose start read that, openColumns), and the
// recipients are chosen inside the INSERT of notify.
func (s *Store) notifyDelegators(tx *gorm.DB, b Ballot, delegateID int64, choice string) error {
	if o, opened := batchOf(tx).openedVote(b.ID, delegateID); !b.Delegation || opened && !o.delegated {
		return nil
	}
	keys := store.ScopeKeys(b)
	args := make([]any, 0, 3+2*len(keys))
	args = append(args, b.ID, delegateID, b.CommunityID)
	for _, k := range keys {
		args = append(args, k)
	}
	q := &delegatorSQL[len(keys)-2]
	var d Citizen
	found, err := queryRow(tx, q.delegate, args[1:], &d.Handle, &d.DisplayName)
	if err != nil || !found {
		return wrap(err, "delegators of %d", delegateID)
	}
	n := ballotNote(KindDelegateVoted, "voted", b)
	n.Key += ":" + strconv.FormatInt(delegateID, 10)
	n.Params = append([]any{name(d)}, n.Params...)
	if b.Secrecy == "public" {
		how, err := describeChoice(tx, b.ID, choice)
		if err != nil {
			return err
		}
		n.Message, n.Params = "notify.delegate_voted_public", append(n.Params, how)
	}
	return s.notify(tx, n, q.recipients, append(args, args[3:]...)...)
}

// delegatorSQL holds notifyDelegators' statements for a ballot with 2
// and 3 scope keys (store.ScopeKeys: its own, its topic's, the
// community's). delegate reads the delegate's name when someone lists
// her first in a scope of the ballot (parameters: the delegate, the
// community, the keys); recipients are those whose most specific list for
// the ballot (store.ScopeRank) names her first, on the roll and without a
// vote (parameters: the ballot, the same, the keys again).
var delegatorSQL = [2]struct{ delegate, recipients string }{delegatorQueries(2), delegatorQueries(3)}

func delegatorQueries(keys int) struct{ delegate, recipients string } {
	in := "?, ?, ?"[:3*keys-2]
	first := `dd.delegate_id = ? AND dd.position = 0 AND d.community_id = ? AND d.scope_key IN (` + in + `)`
	rank := func(col string) string {
		return "CASE WHEN " + col + " = 'c' THEN 1 WHEN " + col + " LIKE 't:%' THEN 2 ELSE 3 END"
	}
	return struct{ delegate, recipients string }{
		delegate: `SELECT c.handle, c.display_name FROM delegation_delegates dd JOIN delegations d ON d.id = dd.delegation_id
			JOIN citizens c ON c.id = dd.delegate_id WHERE ` + first + ` LIMIT 1`,
		recipients: `SELECT d.citizen_id FROM delegation_delegates dd JOIN delegations d ON d.id = dd.delegation_id
			JOIN ballot_roll r ON r.ballot_id = ? AND r.citizen_id = d.citizen_id
			WHERE ` + first + `
			AND NOT EXISTS (SELECT 1 FROM delegations o WHERE o.community_id = d.community_id AND o.citizen_id = d.citizen_id
				AND o.scope_key IN (` + in + `) AND ` + rank("o.scope_key") + ` > ` + rank("d.scope_key") + `)
			AND NOT EXISTS (SELECT 1 FROM votes v WHERE v.ballot_id = r.ballot_id AND v.citizen_id = r.citizen_id)`,
	}
}

// describeChoice writes a stored choice with its options' labels: a word,
// a list ("A, B") or ranked groups ("A > B = C").
func describeChoice(tx *gorm.DB, ballotID int64, choice string) (string, error) {
	rows, err := queryRows(tx, "SELECT key, label FROM ballot_options WHERE ballot_id = ?", ballotID)
	if err != nil {
		return "", wrap(err, "options of ballot %d", ballotID)
	}
	defer rows.Close()
	var opts []BallotOption
	for rows.Next() {
		var o BallotOption
		if err := rows.Scan(&o.Key, &o.Label); err != nil {
			return "", wrap(err, "options of ballot %d", ballotID)
		}
		opts = append(opts, o)
	}
	if err := rows.Err(); err != nil {
		return "", wrap(err, "options of ballot %d", ballotID)
	}
	label := func(k string) string {
		for _, o := range opts {
			if o.Key == k {
				return o.Label
			}
		}
		return k
	}
	labels := func(ks []string) []string {
		out := make([]string, len(ks))
		for i, k := range ks {
			out[i] = label(k)
		}
		return out
	}
	var word string
	var keys []string
	var groups [][]string
	switch {
	case json.Unmarshal([]byte(choice), &word) == nil:
		return label(word), nil
	case json.Unmarshal([]byte(choice), &keys) == nil:
		return strings.Join(labels(keys), ", "), nil
	case json.Unmarshal([]byte(choice), &groups) == nil:
		parts := make([]string, len(groups))
		for i, g := range groups {
			parts[i] = strings.Join(labels(g), " = ")
		}
		return strings.Join(parts, " > "), nil
	}
	return choice, nil
}

// name is how notifications name a citizen.
func name(c Citizen) string {
	if c.DisplayName != "" {
		return c.DisplayName + " (@" + c.Handle + ")"
	}
	return "@" + c.Handle
}

// notifyDelegationEvents tells each delegate who started or stopped
// listing them (dated to the day) and the roll weight of the citizens who
// now list them first in that scope — the weight they would carry if none
// of them votes, known to them already from the roll and their delegators
// list; never a weight carried on a pseudonymous ballot.
func (s *Store) notifyDelegationEvents(tx *gorm.DB, events []DelegationEvent) error {
	for _, ev := range events {
		var who Citizen
		if err := tx.Select("id", "handle", "display_name").First(&who, ev.CitizenID).Error; err != nil {
			return wrap(err, "delegator %d", ev.CitizenID)
		}
		scope, err := s.scopeName(tx, ev.CommunityID, ev.ScopeKey)
		if err != nil {
			return err
		}
		var w struct{ N, W int64 }
		if err := tx.Raw(`SELECT COUNT(*) AS n, COALESCE(SUM(m.weight), 0) AS w FROM delegation_delegates dd
			JOIN delegations d ON d.id = dd.delegation_id
			JOIN memberships m ON m.community_id = d.community_id AND m.citizen_id = d.citizen_id AND m.ended_at IS NULL
			WHERE dd.delegate_id = ? AND dd.position = 0 AND d.community_id = ? AND d.scope_key = ?`,
			ev.DelegateID, ev.CommunityID, ev.ScopeKey).Scan(&w).Error; err != nil {
			return wrap(err, "weight of delegate %d", ev.DelegateID)
		}
		n := Note{Kind: KindDelegation, Message: "notify.delegation_" + ev.Kind, Key: "delegation:" + strconv.FormatInt(ev.ID, 10),
			Link: "/delegations", Params: []any{name(who), scope, w.N, w.W}, Day: true}
		if err := s.notifyOne(tx, ev.DelegateID, n); err != nil {
			return err
		}
	}
	return nil
}

// scopeName is the community's name, "topic in community" or the
// ballot's title.
func (s *Store) scopeName(tx *gorm.DB, communityID int64, key string) (string, error) {
	var c Community
	if name, ok := s.names.Load(communityID); ok { // no code renames a community
		c.Name = name.(string)
	} else if err := tx.Select("id", "name").First(&c, communityID).Error; err != nil {
		return "", wrap(err, "community %d", communityID)
	} else {
		s.names.Store(communityID, c.Name)
	}
	id, _ := strconv.ParseInt(key[min(2, len(key)):], 10, 64)
	switch key[0] {
	case 't':
		var t Topic
		err := tx.Select("id", "name").First(&t, id).Error
		return t.Name + " (" + c.Name + ")", wrap(err, "topic %d", id)
	case 'b':
		var b Ballot
		err := tx.Select("id", "title").First(&b, id).Error
		return b.Title + " (" + c.Name + ")", wrap(err, "ballot %d", id)
	}
	return c.Name, nil
}

// notifyCycle tells everyone on a cycle of single-delegate lists in one
// scope, closed by citizenID's new list, that their delegation is lost
// unless one of them votes (a list with a backup is not a dead end).
func (s *Store) notifyCycle(tx *gorm.DB, citizenID int64, sc Scope, eventID int64) error {
	key := sc.Key()
	cycle := []int64{citizenID}
	at := citizenID
	for range 1000 {
		var next []int64
		if err := tx.Raw(`SELECT dd.delegate_id FROM delegations d JOIN delegation_delegates dd ON dd.delegation_id = d.id
			WHERE d.citizen_id = ? AND d.community_id = ? AND d.scope_key = ?`, at, sc.CommunityID, key).Scan(&next).Error; err != nil {
			return wrap(err, "follow delegation of %d", at)
		}
		if len(next) != 1 {
			return nil
		}
		if next[0] == citizenID {
			break
		}
		if slices.Contains(cycle, next[0]) {
			return nil
		}
		at = next[0]
		cycle = append(cycle, at)
	}
	if len(cycle) >= 1000 {
		return nil
	}
	scope, err := s.scopeName(tx, sc.CommunityID, key)
	if err != nil {
		return err
	}
	n := Note{Kind: KindDelegationLost, Message: "notify.delegation_lost_cycle", Key: "cycle:" + strconv.FormatInt(eventID, 10),
		Link: "/delegations", Params: []any{scope, int64(len(cycle))}}
	return s.notify(tx, n, "SELECT id AS citizen_id FROM citizens WHERE id IN ?", cycle)
}

// notifyDelegateLeft tells the citizens whose list in the community names
// the leaving citizen and no other current member that their delegation
// is lost there.
func (s *Store) notifyDelegateLeft(tx *gorm.DB, communityID int64, left Citizen, membershipID int64) error {
	var c Community
	if err := tx.Select("id", "name").First(&c, communityID).Error; err != nil {
		return wrap(err, "community %d", communityID)
	}
	n := Note{Kind: KindDelegationLost, Message: "notify.delegation_lost_left", Key: "left:" + strconv.FormatInt(membershipID, 10),
		Link: "/delegations", Params: []any{name(left), c.Name}}
	return s.notify(tx, n, `SELECT DISTINCT d.citizen_id FROM delegations d JOIN delegation_delegates dd ON dd.delegation_id = d.id
		WHERE d.community_id = ? AND dd.delegate_id = ?
		AND NOT EXISTS (SELECT 1 FROM delegation_delegates o JOIN memberships m ON m.citizen_id = o.delegate_id
			AND m.community_id = d.community_id AND m.ended_at IS NULL
			WHERE o.delegation_id = d.id AND o.delegate_id <> ?)`, communityID, left.ID, left.ID)
}

// notifyKeyRegistered tells a citizen that a signing key was registered
// for her in a community, so that a key she did not register is noticed.
func (s *Store) notifyKeyRegistered(tx *gorm.DB, communityID, citizenID int64, keyID string) error {
	name, err := s.scopeName(tx, communityID, "c")
	if err != nil {
		return err
	}
	return s.notifyOne(tx, citizenID, Note{Kind: KindKeyRegistered, Key: "key:" + strconv.FormatInt(communityID, 10) + ":" + keyID,
		Link: "/profile", Params: []any{name, keyID}})
}

// EnqueueTrusteeShareDue tells the trustees of a secret ballot that it is
// tallying and awaits their decryption share; the caller is the step that
// moves the ballot to tallying. One notification per trustee and ballot
// (event key share:BALLOT): calling it again (a retried step, a second
// scheduler) adds nothing. Ids that name no citizen are skipped.
func (s *Store) EnqueueTrusteeShareDue(ctx context.Context, ballotID int64, trusteeIDs []int64) error {
	if len(trusteeIDs) == 0 {
		return nil
	}
	return s.tx(ctx, func(tx *gorm.DB) error {
		for i := 0; i < len(trusteeIDs); i += chunk {
			err := s.notifyShareDue(tx, ballotID, "SELECT id AS citizen_id FROM citizens WHERE id IN ?", trusteeIDs[i:min(i+chunk, len(trusteeIDs))])
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// notifyShareDue is EnqueueTrusteeShareDue inside the caller's
// transaction (the tallying step's own), for the trustees the SELECT
// recipients (one column: citizen_id) returns, e.g.
// "SELECT citizen_id FROM ballot_trustees WHERE ballot_id = ?".
func (s *Store) notifyShareDue(tx *gorm.DB, ballotID int64, recipients string, args ...any) error {
	var b Ballot
	if err := tx.Select("id", "title").First(&b, ballotID).Error; err != nil {
		return wrap(err, "ballot %d", ballotID)
	}
	return s.notify(tx, ballotNote(store.KindDecryptionShare, "share", b), recipients, args...)
}
