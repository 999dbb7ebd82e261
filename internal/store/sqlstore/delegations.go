package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strconv"
	"time"

	"gorm.io/gorm"

	"koinon/internal/domain"
	"koinon/internal/store"
)

// SetDelegation replaces citizenID's list for scope with delegates (in
// priority order; empty means "no delegation here", which blocks wider
// scopes). Delegates must be current members of the community, distinct
// and not the citizen. Start and stop events are recorded for each
// delegate gained or lost, and every open ballot the change reaches gets a
// "delegation" entry in its log.
func (s *Store) SetDelegation(ctx context.Context, citizenID int64, sc Scope, delegates []int64) error {
	if len(delegates) > 50 {
		return domain.Refuse("delegates", "delegates_max")
	}
	for i, d := range delegates {
		if d == citizenID {
			return domain.Refuse("delegates", "delegate_self")
		}
		if slices.Contains(delegates[:i], d) {
			return domain.Refuse("delegates", "delegate_twice")
		}
	}
	return s.tx(ctx, func(tx *gorm.DB) error {
		if err := checkScope(tx, sc); err != nil {
			return err
		}
		for _, d := range delegates {
			if _, err := currentMembership(tx, sc.CommunityID, d); err != nil {
				if errors.Is(err, ErrNotFound) {
					var c Citizen
					tx.Select("handle").First(&c, d)
					return domain.Refuse("delegates", "delegate_not_member", c.Handle)
				}
				return err
			}
		}
		now := s.Now()
		old, err := loadDelegation(tx, citizenID, sc)
		var oldIDs []int64
		switch {
		case err == nil:
			oldIDs = old.ids
			if err := tx.Exec("DELETE FROM delegation_delegates WHERE delegation_id = ?", old.ID).Error; err != nil {
				return wrap(err, "clear delegation %d", old.ID)
			}
			if err := tx.Exec("UPDATE delegations SET updated_at = ? WHERE id = ?", now, old.ID).Error; err != nil {
				return wrap(err, "touch delegation %d", old.ID)
			}
		case errors.Is(err, ErrNotFound):
			old.Delegation = Delegation{CitizenID: citizenID, CommunityID: sc.CommunityID, ScopeKey: sc.Key(), UpdatedAt: now}
			if sc.TopicID > 0 {
				old.TopicID = &sc.TopicID
			}
			if sc.BallotID > 0 {
				old.BallotID = &sc.BallotID
			}
			if err := tx.Create(&old.Delegation).Error; err != nil {
				return wrap(err, "create delegation")
			}
		default:
			return err
		}
		for i, d := range delegates {
			if err := tx.Create(&DelegationDelegate{DelegationID: old.ID, Position: i, DelegateID: d}).Error; err != nil {
				return wrap(err, "add delegate")
			}
		}
		if err := s.delegationChanged(tx, citizenID, sc, oldIDs, delegates, now); err != nil {
			return err
		}
		return s.recordDelegation(ctx, tx, citizenID, sc, delegates, false)
	})
}

// RemoveDelegation deletes citizenID's list for scope, so the next wider
// scope applies again. Removing a list that does not exist is not an error.
func (s *Store) RemoveDelegation(ctx context.Context, citizenID int64, sc Scope) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		if err := checkScope(tx, sc); err != nil {
			return err
		}
		old, err := loadDelegation(tx, citizenID, sc)
		if errors.Is(err, ErrNotFound) {
			if sub := SubmissionFrom(ctx); sub != nil && sub.Envelope != nil {
				return s.recordDelegation(ctx, tx, citizenID, sc, nil, true)
			}
			return nil
		}
		if err != nil {
			return err
		}
		if err := tx.Exec("DELETE FROM delegation_delegates WHERE delegation_id = ?", old.ID).Error; err != nil {
			return wrap(err, "remove delegation")
		}
		if err := tx.Exec("DELETE FROM delegations WHERE id = ?", old.ID).Error; err != nil {
			return wrap(err, "remove delegation")
		}
		if err := s.delegationChanged(tx, citizenID, sc, old.ids, nil, s.Now()); err != nil {
			return err
		}
		return s.recordDelegation(ctx, tx, citizenID, sc, nil, true)
	})
}

// checkScope makes sure the topic or ballot belongs to the community and a
// ballot is not closed yet (its delegations froze when it closed).
func checkScope(tx *gorm.DB, sc Scope) error {
	if sc.TopicID > 0 && sc.BallotID > 0 {
		return domain.Refuse("ballot", "topic_or_ballot")
	}
	if sc.TopicID > 0 {
		var n int64
		if err := tx.Model(&Topic{}).Where("id = ? AND community_id = ?", sc.TopicID, sc.CommunityID).Count(&n).Error; err != nil {
			return wrap(err, "check topic")
		}
		if n == 0 {
			return domain.Refuse("topic", "no_topic")
		}
	}
	if sc.BallotID > 0 {
		var b Ballot
		q := tx.Select("id", "community_id", "state")
		if tx.Dialector.Name() == "postgres" {
			// Lock the ballot before this transaction inserts a row that
			// references it (a FOR KEY SHARE lock): upgrading that lock to
			// FOR UPDATE in appendEvent deadlocks with another such change.
			q = q.Clauses(forUpdate())
		}
		err := q.First(&b, sc.BallotID).Error
		if errors.Is(err, gorm.ErrRecordNotFound) || (err == nil && b.CommunityID != sc.CommunityID) {
			return domain.Refuse("ballot", "no_ballot")
		}
		if err != nil {
			return wrap(err, "check ballot")
		}
		if b.State == "closed" {
			return domain.Stated("ballot_closed", "the ballot is closed: its delegations are frozen")
		}
	}
	return nil
}

type delegationRow struct {
	Delegation
	ids []int64
}

func loadDelegation(tx *gorm.DB, citizenID int64, sc Scope) (delegationRow, error) {
	var d delegationRow
	err := tx.Where("citizen_id = ? AND community_id = ? AND scope_key = ?", citizenID, sc.CommunityID, sc.Key()).First(&d.Delegation).Error
	if err != nil {
		return d, wrap(err, "delegation of %d in %s", citizenID, sc.Key())
	}
	err = tx.Model(&DelegationDelegate{}).Where("delegation_id = ?", d.ID).Order("position").Pluck("delegate_id", &d.ids).Error
	return d, wrap(err, "delegates of %d", d.ID)
}

// delegationChanged records start/stop events and logs the change on the
// open public ballots it reaches. A pseudonymous ballot's log does not
// record delegation changes: an entry under the pseudonym, at the second
// the delegate is told of it, would unmask the delegator, and one
// community-wide change would write entries at that same second into every
// open pseudonymous ballot and link them (docs/security.md). The graph
// frozen into the proof at close is the record there.
func (s *Store) delegationChanged(tx *gorm.DB, citizenID int64, sc Scope, before, after []int64, now time.Time) error {
	key := sc.Key()
	var events []DelegationEvent
	for _, d := range after {
		if !slices.Contains(before, d) {
			events = append(events, DelegationEvent{CommunityID: sc.CommunityID, CitizenID: citizenID, DelegateID: d, ScopeKey: key, Kind: "start", At: now})
		}
	}
	for _, d := range before {
		if !slices.Contains(after, d) {
			events = append(events, DelegationEvent{CommunityID: sc.CommunityID, CitizenID: citizenID, DelegateID: d, ScopeKey: key, Kind: "stop", At: now})
		}
	}
	if len(events) > 0 {
		if err := tx.Create(&events).Error; err != nil {
			return wrap(err, "record delegation events")
		}
		if err := s.notifyDelegationEvents(tx, events); err != nil {
			return err
		}
		if events[0].Kind == "start" {
			if err := s.notifyCycle(tx, citizenID, sc, events[0].ID); err != nil {
				return err
			}
		}
	}
	q := tx.Model(&Ballot{}).Where("community_id = ? AND state = ? AND secrecy = ?", sc.CommunityID, "open", "public")
	switch {
	case sc.BallotID > 0:
		q = q.Where("id = ?", sc.BallotID)
	case sc.TopicID > 0:
		q = q.Where("topic_id = ?", sc.TopicID)
	}
	var open []Ballot
	if err := q.Select("id", "secrecy", "secret").Order("id").Find(&open).Error; err != nil {
		return wrap(err, "open ballots")
	}
	for _, b := range open {
		var onRoll int64
		if err := tx.Model(&BallotRoll{}).Where("ballot_id = ? AND citizen_id = ?", b.ID, citizenID).Count(&onRoll).Error; err != nil {
			return wrap(err, "roll")
		}
		if onRoll == 0 {
			continue
		}
		voter, err := s.voterID(tx, b, citizenID)
		if err != nil {
			return err
		}
		if _, err := appendEvent(tx, s.dialect, b.ID, EventDelegationChanged, map[string]any{"voter": voter, "scope": ScopeKind(key)}, now); err != nil {
			return err
		}
	}
	return nil
}

// DelegationsOf returns citizenID's lists in a community: community scope
// first, then topics, then ballots.
func (s *Store) DelegationsOf(ctx context.Context, citizenID, communityID int64) ([]DelegationList, error) {
	db := s.db.WithContext(ctx)
	var ds []Delegation
	if err := db.Where("citizen_id = ? AND community_id = ?", citizenID, communityID).Order("ballot_id IS NOT NULL, topic_id IS NOT NULL, topic_id, ballot_id").Find(&ds).Error; err != nil {
		return nil, wrap(err, "delegations of %d", citizenID)
	}
	out := make([]DelegationList, len(ds))
	for i, d := range ds {
		out[i].Delegation = d
		if err := db.Table("delegation_delegates dd").Select("c.*").Joins("JOIN citizens c ON c.id = dd.delegate_id").
			Where("dd.delegation_id = ?", d.ID).Order("dd.position").Scan(&out[i].Delegates).Error; err != nil {
			return nil, wrap(err, "delegates of %d", d.ID)
		}
	}
	return out, nil
}

// DelegatorsOf lists who names delegateID in any list of the community.
func (s *Store) DelegatorsOf(ctx context.Context, delegateID, communityID int64) ([]Delegator, error) {
	type row struct {
		Citizen
		ScopeKey string
		Position int
		Weight   int64
	}
	var rows []row
	err := s.db.WithContext(ctx).Table("delegation_delegates dd").
		Select("c.*, d.scope_key, dd.position, COALESCE(m.weight, 0) AS weight").
		Joins("JOIN delegations d ON d.id = dd.delegation_id").
		Joins("JOIN citizens c ON c.id = d.citizen_id").
		Joins("LEFT JOIN memberships m ON m.community_id = d.community_id AND m.citizen_id = c.id AND m.ended_at IS NULL").
		Where("dd.delegate_id = ? AND d.community_id = ?", delegateID, communityID).
		Order("c.handle, d.scope_key").Scan(&rows).Error
	if err != nil {
		return nil, wrap(err, "delegators of %d", delegateID)
	}
	out := make([]Delegator, len(rows))
	for i, r := range rows {
		out[i] = Delegator{Citizen: r.Citizen, ScopeKey: r.ScopeKey, Position: r.Position, Weight: r.Weight}
	}
	return out, nil
}

// DelegationNotices returns the latest start/stop events naming delegateID
// as delegate in the community, newest first, each at its UTC day only: a
// delegate must not learn the second a delegator changed her list, which
// could be matched against other records of that moment.
func (s *Store) DelegationNotices(ctx context.Context, delegateID, communityID int64, limit int) ([]DelegationNotice, error) {
	var out []DelegationNotice
	err := s.db.WithContext(ctx).Table("delegation_events e").Select("e.*, c.handle").
		Joins("JOIN citizens c ON c.id = e.citizen_id").
		Where("e.delegate_id = ? AND e.community_id = ?", delegateID, communityID).
		Order("e.at DESC, e.id DESC").Limit(limit).Scan(&out).Error
	for i := range out {
		out[i].At = out[i].At.UTC().Truncate(24 * time.Hour)
	}
	return out, wrap(err, "delegation notices of %d", delegateID)
}

// EffectiveLists returns each citizen's effective delegate list for a
// ballot by scope precedence (tally.md §2): the ballot's list, else the
// topic's, else the community's. A citizen without any list is absent
// from the map; an explicit empty list maps to an empty, non-nil slice.
// With delegation off the map is empty.
func (s *Store) EffectiveLists(ctx context.Context, b Ballot) (map[int64][]int64, error) {
	return effectiveLists(s.db.WithContext(ctx), b)
}

func effectiveLists(db *gorm.DB, b Ballot) (map[int64][]int64, error) {
	lists, err := effectiveListsMany(db, []Ballot{b})
	return lists[b.ID], err
}

// delegationRowOf is one delegate (or none, for an empty list) of one
// citizen's list, as effectiveListsMany reads them.
type delegationRowOf struct {
	CommunityID int64
	CitizenID   int64
	ScopeKey    string
	DelegateID  *int64
}

// effectiveListsMany is effectiveLists for several ballots in one query:
// the lists of every scope any of them uses, then each ballot's pick.
func effectiveListsMany(db *gorm.DB, ballots []Ballot) (map[int64]map[int64][]int64, error) {
	out := make(map[int64]map[int64][]int64, len(ballots))
	var communities []int64
	var keys []string
	for _, b := range ballots {
		out[b.ID] = map[int64][]int64{}
		if b.Delegation {
			communities = append(communities, b.CommunityID)
			keys = append(keys, store.ScopeKeys(b)...)
		}
	}
	if len(communities) == 0 {
		return out, nil
	}
	var rows []delegationRowOf
	err := db.Raw(`SELECT d.community_id, d.citizen_id, d.scope_key, dd.delegate_id
		FROM delegations d LEFT JOIN delegation_delegates dd ON dd.delegation_id = d.id
		WHERE d.community_id IN ? AND d.scope_key IN ?
		ORDER BY d.citizen_id, d.scope_key, dd.position`, communities, keys).Scan(&rows).Error
	if err != nil {
		return nil, wrap(err, "effective lists")
	}
	for _, b := range ballots {
		if !b.Delegation {
			continue
		}
		p := newListPicker(b)
		for _, r := range rows {
			if r.CommunityID == b.CommunityID {
				p.add(r.CitizenID, r.ScopeKey, r.DelegateID)
			}
		}
		out[b.ID] = p.lists.byCitizen()
	}
	return out, nil
}

// flatLists is effectiveLists in citizen id order without a map or a
// slice per voter: owners[i] holds delegates[from:to].
type flatLists struct {
	owners    []listOwner
	delegates []int64
}

type listOwner struct {
	citizen  int64
	from, to int
}

// byCitizen is the lists as a map; an empty list is an empty, non-nil slice.
func (l flatLists) byCitizen() map[int64][]int64 {
	out := make(map[int64][]int64, len(l.owners))
	for _, o := range l.owners {
		out[o.citizen] = l.delegates[o.from:o.to:o.to]
	}
	return out
}

// listPicker is the one implementation of scope precedence (tally.md §2):
// fed delegation rows ordered by citizen, it keeps each citizen's most
// specific list for one ballot (the ballot's, else its topic's, else the
// community's). The close and the live views both use it.
type listPicker struct {
	keys  []string // store.ScopeKeys of the ballot
	lists flatLists
	best  int
}

func newListPicker(b Ballot) *listPicker {
	return &listPicker{keys: store.ScopeKeys(b)}
}

// rank is the precedence of a list under key (store.ScopeRank), 0 for a
// list that does not apply to the ballot.
func (p *listPicker) rank(key string) int {
	if !slices.Contains(p.keys, key) {
		return 0
	}
	return store.ScopeRank(key)
}

// add takes one row: a delegate (nil for an empty list) of citizen's list
// under key. Rows of one citizen must come together, each list in position
// order.
func (p *listPicker) add(citizen int64, key string, delegate *int64) {
	var d int64
	if delegate != nil {
		d = *delegate
	}
	p.take(citizen, p.rank(key), d)
}

// take is add with the key's rank (listPicker.rank) and 0 for no delegate.
func (p *listPicker) take(citizen int64, r int, delegate int64) {
	if r == 0 {
		return
	}
	l := &p.lists
	last := len(l.owners) - 1
	switch {
	case last < 0 || l.owners[last].citizen != citizen:
		l.owners = append(l.owners, listOwner{citizen: citizen, from: len(l.delegates), to: len(l.delegates)})
		p.best = r
	case r > p.best: // a more specific list replaces the one so far
		l.delegates = l.delegates[:l.owners[last].from]
		l.owners[last].to = l.owners[last].from
		p.best = r
	case r < p.best:
		return
	}
	if delegate != 0 {
		l.delegates = append(l.delegates, delegate)
		l.owners[len(l.owners)-1].to = len(l.delegates)
	}
}

// listRow is one delegate (0 for an empty list) of a citizen's list, with
// the rank of the list's key (listPicker.rank), as a close reads it.
type listRow struct {
	citizen  int64
	rank     int8
	delegate int64
}

// listRows reads the rows of the lists that apply to b, for the close of
// a large ballot (pickLists picks from them). They come in table order,
// which needs no sort in the database (in citizen order SQLite sorted
// 900,000 rows), and each key's rank comes as a number (no string per
// row). n is the expected number of rows.
func listRows(db *gorm.DB, b Ballot, n int64) ([]listRow, error) {
	if !b.Delegation {
		return nil, nil
	}
	keys := store.ScopeKeys(b)
	rank := "CASE d.scope_key"
	args := make([]any, 0, len(keys)+2)
	for _, k := range keys {
		rank += " WHEN ? THEN " + strconv.Itoa(store.ScopeRank(k))
		args = append(args, k)
	}
	rows, err := db.Raw(`SELECT d.citizen_id, `+rank+` END, dd.delegate_id
		FROM delegations d LEFT JOIN delegation_delegates dd ON dd.delegation_id = d.id
		WHERE d.community_id = ? AND d.scope_key IN ?
		ORDER BY d.id, dd.position`, append(args, b.CommunityID, keys)...).Rows()
	if err != nil {
		return nil, wrap(err, "effective lists of ballot %d", b.ID)
	}
	defer rows.Close()
	var (
		out      = make([]listRow, 0, n)
		r        listRow
		delegate sql.NullInt64
	)
	for rows.Next() {
		if err := rows.Scan(&r.citizen, &r.rank, &delegate); err != nil {
			return nil, wrap(err, "scan delegation")
		}
		r.delegate = delegate.Int64
		out = append(out, r)
	}
	return out, wrap(rows.Err(), "effective lists of ballot %d", b.ID)
}

// pickLists is effectiveLists of rows (listRows) for the citizens on
// roll (no other list is counted), without a map or a slice per citizen:
// a counting sort over the roll's places brings each citizen's rows
// together, in the order they came.
func pickLists(b Ballot, rows []listRow, roll rollIndex) flatLists {
	place := make([]int32, len(rows)) // 1 + the row's owner's place; 0 off the roll
	at := make([]int32, len(roll.ids)+1)
	for k, r := range rows {
		if i, ok := roll.find(r.citizen); ok {
			place[k] = int32(i + 1)
			at[i+1]++
		}
	}
	for i := 1; i < len(at); i++ {
		at[i] += at[i-1]
	}
	order := make([]int32, at[len(at)-1])
	for k, pl := range place {
		if pl > 0 {
			order[at[pl-1]] = int32(k)
			at[pl-1]++
		}
	}
	p := newListPicker(b)
	p.lists = flatLists{owners: make([]listOwner, 0, min(len(order), len(roll.ids))), delegates: make([]int64, 0, len(order))}
	for _, k := range order {
		r := &rows[k]
		p.take(r.citizen, int(r.rank), r.delegate)
	}
	return p.lists
}
