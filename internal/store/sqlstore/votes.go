package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"

	"koinon/internal/domain"
	"koinon/internal/statement"
)

// CastVote records or replaces a vote on an open ballot, checks that the
// citizen is on the frozen roll, and logs it. Concurrent submissions by
// one citizen leave exactly one vote: the row is keyed by (ballot,
// citizen); an UPDATE replaces it, and only when none was there an INSERT
// adds it (the affected-row count tells "cast" from "replaced", without a
// separate COUNT).
//
// Locking: on SQLite the transaction is serial (Store.tx). On PostgreSQL a
// vote holds the ballot row FOR SHARE, so votes of one ballot run side by
// side while the close, which takes the row FOR UPDATE, waits for the
// votes in flight and is then seen by every later vote (409). Only the
// log append is serial per ballot (appendEvent).
func (s *Store) CastVote(ctx context.Context, r CastRequest) (Vote, error) {
	var out Vote
	if b, ok := s.ballotHome(ctx, r.BallotID); ok && b.Secrecy == "public" {
		s.prepareCustodial(ctx, action{communityID: b.CommunityID, citizenID: r.CitizenID, kind: statement.Vote,
			scope: ballotScope(b.ID), content: statement.VoteContent{Choice: json.RawMessage(r.Choice)}})
	}
	err := s.txVote(ctx, voteKey{r.BallotID, r.CitizenID}, func(tx *gorm.DB) error {
		b, err := openForVoting(tx, s.dialect, r.BallotID, r.CitizenID, s.Now())
		if err != nil {
			return err
		}
		voter := r.Handle
		if voter == "" || b.Secrecy == "pseudonymous" {
			if voter, err = s.voterID(tx, b, r.CitizenID); err != nil {
				return err
			}
		}
		now := s.Now()
		nonce := NewSecret()
		receipt, err := r.Receipt(voter, now, nonce)
		if err != nil {
			return err
		}
		out = Vote{BallotID: b.ID, CitizenID: r.CitizenID, Choice: r.Choice, Receipt: receipt, ReceiptNonce: nonce, CastAt: now}
		replaced, err := writeVote(tx, &out)
		if err != nil {
			return err
		}
		kind := EventVoteCast
		if replaced {
			kind = EventVoteReplaced
		}
		if err = appendVoterEvent(tx, s.dialect, b.ID, kind, voteEvent(b, voter, receipt), logTime(b, now)); err != nil {
			return err
		}
		if err := s.recordVote(ctx, tx, b, r.CitizenID, statement.Vote, statement.VoteContent{Choice: json.RawMessage(r.Choice)}); err != nil || replaced {
			return err
		}
		return s.notifyDelegators(tx, b, r.CitizenID, r.Choice)
	})
	return out, err
}

// updateVoteSQL replaces a citizen's vote; insertVoteSQL adds their
// first, left for the end of a shared batch on PostgreSQL (deferWrite:
// another process's insert meanwhile runs the batch again).
const (
	updateVoteSQL = "UPDATE votes SET choice = ?, receipt = ?, receipt_nonce = ?, cast_at = ? WHERE ballot_id = ? AND citizen_id = ?"
	insertVoteSQL = `INSERT INTO votes (ballot_id, citizen_id, choice, receipt, receipt_nonce, cast_at)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`
)

// writeVote replaces the citizen's vote or, when there is none, inserts
// it; replaced says which. On PostgreSQL two submissions of one citizen
// may both find no row: the second INSERT then does nothing (it waits for
// the first to commit) and the vote is replaced instead.
//
// In a shared batch a vote that replaces one its start found (openVotes)
// is kept in the batch and written at the batch's end with the others
// (batch.queueVotes); one it found none for is inserted, at the batch's
// end too on PostgreSQL (deferWrite), at once on SQLite.
func writeVote(tx *gorm.DB, v *Vote) (replaced bool, err error) {
	update := func() (bool, error) {
		n, err := execRaw(tx, updateVoteSQL, v.Choice, v.Receipt, v.ReceiptNonce, v.CastAt, v.BallotID, v.CitizenID)
		return n > 0, wrap(err, "cast vote")
	}
	bt := batchOf(tx)
	switch o, ok := bt.openedVote(v.BallotID, v.CitizenID); {
	case ok && o.voted:
		bt.votes = append(bt.votes, *v)
		return true, nil
	case ok: // none at the batch's start: try the INSERT first
		if bt.deferWrite(insertVoteSQL, 1, v.BallotID, v.CitizenID, v.Choice, v.Receipt, v.ReceiptNonce, v.CastAt) {
			// A later vote of the citizen in the batch replaces it.
			o.voted, o.inserting = true, true
			bt.opened[voteKey{v.BallotID, v.CitizenID}] = o
			return false, nil
		}
	default:
		if replaced, err = update(); err != nil || replaced {
			return replaced, err
		}
	}
	added, err := execRaw(tx, insertVoteSQL, v.BallotID, v.CitizenID, v.Choice, v.Receipt, v.ReceiptNonce, v.CastAt)
	if err != nil {
		return false, wrap(err, "cast vote")
	}
	if added > 0 {
		return false, nil
	}
	if replaced, err = update(); err == nil && !replaced {
		err = wrap(gorm.ErrRecordNotFound, "vote of %d on ballot %d", v.CitizenID, v.BallotID)
	}
	return true, err
}

// WithdrawVote removes the citizen's vote, so that their delegation applies
// again. Withdrawing when there is no vote is ErrNotFound.
func (s *Store) WithdrawVote(ctx context.Context, ballotID, citizenID int64) error {
	return s.withdraw(ctx, ballotID, citizenID, func(tx *gorm.DB, b Ballot) error {
		voter, err := s.voterID(tx, b, citizenID)
		if err != nil {
			return err
		}
		if err = appendVoterEvent(tx, s.dialect, b.ID, EventVoteWithdrawn, voteEvent(b, voter, ""), logTime(b, s.Now())); err != nil {
			return err
		}
		return s.recordVote(ctx, tx, b, citizenID, statement.VoteWithdraw, struct{}{})
	})
}

// withdraw is a vote withdrawal's transaction: the ballot must take votes
// and have the citizen on its roll, their vote row is removed
// (ErrNotFound when there is none), then rest logs what the ballot's
// secrecy calls for.
func (s *Store) withdraw(ctx context.Context, ballotID, citizenID int64, rest func(tx *gorm.DB, b Ballot) error) error {
	return s.txVote(ctx, voteKey{ballotID, citizenID}, func(tx *gorm.DB) error {
		b, err := openForVoting(tx, s.dialect, ballotID, citizenID, s.Now())
		if err != nil {
			return err
		}
		if o, _ := batchOf(tx).openedVote(ballotID, citizenID); o.inserting {
			return errNextBatch // the citizen's first vote waits for the batch's end
		}
		res := tx.Where("ballot_id = ? AND citizen_id = ?", ballotID, citizenID).Delete(&Vote{})
		if res.Error != nil {
			return wrap(res.Error, "withdraw vote")
		}
		if res.RowsAffected == 0 {
			return wrap(gorm.ErrRecordNotFound, "vote of %d on ballot %d", citizenID, ballotID)
		}
		if bt := batchOf(tx); bt != nil {
			if o, ok := bt.openedVote(ballotID, citizenID); ok { // a later vote in the batch inserts again
				o.voted = false
				bt.opened[voteKey{ballotID, citizenID}] = o
			}
			bt.dropVotes(ballotID, citizenID)
		}
		return rest(tx, b)
	})
}

// voteEvent is the log payload of a vote event. A public ballot names the
// voter; a pseudonymous one does not, so that its open log never says
// which pseudonym voted directly (docs/security.md). The cast receipt is
// a hiding commitment (proof.CastReceipt), which only its voter can open
// and find again.
func voteEvent(b Ballot, voter, receipt string) map[string]any {
	p := map[string]any{}
	if b.Secrecy == "public" {
		p["voter"] = voter
	}
	if receipt != "" {
		p["cast_receipt"] = receipt
	}
	return p
}

// logTime is the time a vote event is logged at: the second on a public
// ballot, the UTC day on a pseudonymous one, so that times cannot link a
// citizen's pseudonyms across ballots or to a moment someone saw them vote.
func logTime(b Ballot, at time.Time) time.Time {
	if b.Secrecy == "public" {
		return at
	}
	return at.UTC().Truncate(24 * time.Hour)
}

// openForVoting reads the columns a vote needs of the ballot, whether
// the citizen is on its frozen roll and, for the job's later chain check
// (chainHead), the head of their stored statement chain, in one query,
// holding the ballot row FOR SHARE on PostgreSQL until the transaction
// ends; a shared batch read them for all its jobs at its start
// (openVotes). A ballot that does not take votes is its domain.CanVote
// error; a citizen not on the roll is domain.ErrForbidden.
func openForVoting(tx *gorm.DB, dialect string, id, citizenID int64, now time.Time) (Ballot, error) {
	bt := batchOf(tx)
	o, ok := bt.openedVote(id, citizenID)
	if !ok {
		q := `SELECT ` + openColumns + ` FROM ballots b WHERE b.id = ?`
		if dialect == "postgres" {
			q += " FOR SHARE OF b"
		}
		found, err := queryRow(tx, q, []any{citizenID, citizenID, citizenID, citizenID, id}, o.dest()...)
		if err == nil && !found {
			err = gorm.ErrRecordNotFound
		}
		if err != nil {
			return o.b, wrap(err, "ballot %d", id)
		}
	}
	if bt != nil {
		bt.logs.knowHead(o.b.CommunityID, citizenID, o.head.String)
	}
	if err := domain.CanVote(o.b.State, o.b.ClosesAt, now); err != nil {
		return o.b, err
	}
	if !o.onRoll {
		return o.b, domain.ErrForbidden
	}
	return o.b, nil
}

// openColumns are the columns openForVoting reads of a ballot b, for
// the citizen ? (four times), then the ballot's id. delegated says
// whether someone lists the citizen first in a scope of the ballot
// (store.ScopeKeys), for notifyDelegators: no delegation changes while a
// shared batch runs (a change runs in an exclusive batch).
const openColumns = `b.id, b.community_id, b.topic_id, b.title, b.delegation, b.state, b.closes_at, b.secrecy, b.secret,
	EXISTS (SELECT 1 FROM ballot_roll r WHERE r.ballot_id = b.id AND r.citizen_id = ?) AS on_roll,
	(SELECT s.hash FROM statements s WHERE s.community_id = b.community_id AND s.citizen_id = ? ORDER BY s.log_index DESC LIMIT 1) AS head,
	EXISTS (SELECT 1 FROM votes v WHERE v.ballot_id = b.id AND v.citizen_id = ?) AS voted,
	EXISTS (SELECT 1 FROM delegation_delegates dd JOIN delegations d ON d.id = dd.delegation_id
		WHERE dd.delegate_id = ? AND dd.position = 0 AND d.community_id = b.community_id
		AND d.scope_key IN ('b:' || b.id, 't:' || b.topic_id, 'c')) AS delegated`

// voteKey is a vote's ballot and citizen.
type voteKey struct{ ballotID, citizenID int64 }

// openedVote is what openForVoting reads for one vote; voted says that
// the citizen's vote row was there, or that a job of the batch inserts
// it at the batch's end (inserting).
type openedVote struct {
	b                                   Ballot
	onRoll, voted, inserting, delegated bool
	head                                sql.NullString
}

func (o *openedVote) dest() []any {
	return []any{&o.b.ID, &o.b.CommunityID, &o.b.TopicID, &o.b.Title, &o.b.Delegation, &o.b.State, &o.b.ClosesAt,
		&o.b.Secrecy, &o.b.Secret, &o.onRoll, &o.head, &o.voted, &o.delegated}
}

// openedVote returns what a shared batch read at its start for the vote,
// if it did (b may be nil).
func (b *batch) openedVote(ballotID, citizenID int64) (openedVote, bool) {
	if b == nil || !b.shared {
		return openedVote{}, false
	}
	o, ok := b.opened[voteKey{ballotID, citizenID}]
	return o, ok
}

// openVotes is openForVoting for all the votes of a shared batch at once,
// one query instead of one per job: the ballots' states cannot change
// until the batch ends (a close runs in an exclusive batch), nor their
// rolls, and a chain head read here is checked again at the batch's end
// on PostgreSQL (batch.endPostgres; a SQLite batch holds the database's
// write lock from its start). The keys go as two arrays: unnest on
// PostgreSQL (queued with the writer lock, batch.begin), json_each on
// SQLite.
func openVotes(tx *gorm.DB, keys []voteKey) (map[voteKey]openedVote, error) {
	ballots, citizens := voteArrays(keys)
	b, err := json.Marshal(ballots)
	if err != nil {
		return nil, err
	}
	c, err := json.Marshal(citizens)
	if err != nil {
		return nil, err
	}
	rows, err := tx.Statement.ConnPool.QueryContext(tx.Statement.Context, openVotesSQLite, string(b), string(c))
	if err != nil {
		return nil, wrap(err, "open ballots")
	}
	defer rows.Close()
	return scanOpened(rows, len(keys))
}

// voteArrays returns the keys' ballots and citizens.
func voteArrays(keys []voteKey) (ballots, citizens []int64) {
	ballots, citizens = make([]int64, len(keys)), make([]int64, len(keys))
	for i, k := range keys {
		ballots[i], citizens[i] = k.ballotID, k.citizenID
	}
	return ballots, citizens
}

// scanOpened reads the rows of openVotes's query (database/sql's or pgx's).
func scanOpened(rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}, n int) (map[voteKey]openedVote, error) {
	out := make(map[voteKey]openedVote, n)
	for rows.Next() {
		var (
			o       openedVote
			citizen int64
		)
		if err := rows.Scan(append([]any{&citizen}, o.dest()...)...); err != nil {
			return nil, wrap(err, "open ballots")
		}
		out[voteKey{o.b.ID, citizen}] = o
	}
	return out, wrap(rows.Err(), "open ballots")
}

// openVotes's queries: the keys are k(ballot, citizen).
var (
	openVotesPostgres = `SELECT k.citizen, ` + strings.ReplaceAll(openColumns, "?", "k.citizen") + `
		FROM unnest($1::bigint[], $2::bigint[]) AS k(ballot, citizen) JOIN ballots b ON b.id = k.ballot FOR SHARE OF b`
	openVotesSQLite = `SELECT k.citizen, ` + strings.ReplaceAll(openColumns, "?", "k.citizen") + `
		FROM (SELECT kb.value AS ballot, kc.value AS citizen FROM json_each(?) kb JOIN json_each(?) kc ON kc.key = kb.key) k
		JOIN ballots b ON b.id = k.ballot`
)

// dropVotes forgets the replacing votes of the citizen the batch kept for
// its end: a withdrawal after them in the batch removed the row they
// would update. The slice is copied, not filtered in place, so that a
// mark taken before (batch.mark) still holds them if the withdrawal is
// rolled back.
func (b *batch) dropVotes(ballotID, citizenID int64) {
	if len(b.votes) == 0 {
		return
	}
	kept := make([]Vote, 0, len(b.votes))
	for _, v := range b.votes {
		if v.BallotID != ballotID || v.CitizenID != citizenID {
			kept = append(kept, v)
		}
	}
	b.votes = kept
}

// latestVotes returns the votes the batch kept (writeVote) for its end,
// a citizen's latest only, in (ballot, citizen) order. They are written
// before the batch locks its logs: on PostgreSQL in one statement
// (queueVotes), where a row another process removed since the batch's
// start sends the batch to run again (errChainMoved); on SQLite one
// cached UPDATE each (updateVotesOneByOne; the batch has held the write
// lock since its start).
func (b *batch) latestVotes() []Vote {
	votes := slices.Clone(b.votes)
	slices.Reverse(votes)
	slices.SortStableFunc(votes, func(x, y Vote) int {
		return cmp.Or(cmp.Compare(x.BallotID, y.BallotID), cmp.Compare(x.CitizenID, y.CitizenID))
	})
	return slices.CompactFunc(votes, func(x, y Vote) bool { return x.BallotID == y.BallotID && x.CitizenID == y.CitizenID })
}

// queueVotes queues the UPDATE of latestVotes on PostgreSQL.
func (b *batch) queueVotes(q *pgx.Batch) {
	votes := b.latestVotes()
	if len(votes) == 0 {
		return
	}
	var (
		ballots, citizens         []int64
		choices, receipts, nonces []string
		at                        []time.Time
	)
	for _, v := range votes {
		ballots, citizens = append(ballots, v.BallotID), append(citizens, v.CitizenID)
		choices, receipts, nonces = append(choices, v.Choice), append(receipts, v.Receipt), append(nonces, v.ReceiptNonce)
		at = append(at, v.CastAt)
	}
	q.Queue(`UPDATE votes v
		SET choice = u.choice, receipt = u.receipt, receipt_nonce = u.nonce, cast_at = u.cast_at
		FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::timestamptz[])
			AS u(ballot_id, citizen_id, choice, receipt, nonce, cast_at)
		WHERE v.ballot_id = u.ballot_id AND v.citizen_id = u.citizen_id`, ballots, citizens, choices, receipts, nonces, at).
		Exec(func(ct pgconn.CommandTag) error {
			if ct.RowsAffected() != int64(len(votes)) {
				return errChainMoved
			}
			return nil
		})
}

// updateVotesOneByOne writes latestVotes on SQLite.
func updateVotesOneByOne(tx *gorm.DB, votes []Vote) error {
	for _, v := range votes {
		res, err := tx.Statement.ConnPool.ExecContext(tx.Statement.Context, updateVoteSQL, v.Choice, v.Receipt, v.ReceiptNonce, v.CastAt, v.BallotID, v.CitizenID)
		if err != nil {
			return wrap(err, "cast votes")
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return errChainMoved
		}
	}
	return nil
}

// queryRow runs a one-row query of the vote path on db's connection (a
// transaction's, or the pool) itself, without gorm's statement building
// and reflection, and scans the row into dest; found is false when there
// is none. q uses ? placeholders.
func queryRow(db *gorm.DB, q string, args []any, dest ...any) (found bool, err error) {
	rows, err := queryRows(db, q, args...)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	if !rows.Next() {
		return false, rows.Err()
	}
	if err := rows.Scan(dest...); err != nil {
		return true, err
	}
	return true, rows.Close()
}

// queryRows runs a query of the vote path as queryRow does and returns
// its rows. q uses ? placeholders.
func queryRows(db *gorm.DB, q string, args ...any) (*sql.Rows, error) {
	if db.Dialector.Name() == "postgres" {
		q = numberPlaceholders(q)
	}
	conn, err := jobConn(db)
	if err != nil {
		return nil, err
	}
	return conn.QueryContext(db.Statement.Context, q, args...)
}

// jobConn returns db's connection for a statement sent without gorm: in a
// batch's job, the job's savepoint is set first (batch.savepoint), as
// gorm's statements do through their callback.
func jobConn(db *gorm.DB) (gorm.ConnPool, error) {
	if b := batchOf(db); b != nil {
		if err := b.savepoint(db); err != nil {
			return nil, err
		}
	}
	return db.Statement.ConnPool, nil
}

// numberPlaceholders turns q's ? placeholders into PostgreSQL's $1, $2, ….
func numberPlaceholders(q string) string {
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// VoteOf returns the citizen's current vote on a ballot, or ErrNotFound.
func (s *Store) VoteOf(ctx context.Context, ballotID, citizenID int64) (Vote, error) {
	var v Vote
	err := s.db.WithContext(ctx).Where("ballot_id = ? AND citizen_id = ?", ballotID, citizenID).First(&v).Error
	return v, wrap(err, "vote of %d on ballot %d", citizenID, ballotID)
}

// ballotHome returns a ballot's community and secrecy, which never change
// once the ballot is past its draft, from a per-process cache (read once
// per ballot); ok is false when the ballot cannot be read. Only what is
// prepared outside the write transaction uses it: the transaction reads
// the ballot itself.
func (s *Store) ballotHome(ctx context.Context, id int64) (Ballot, bool) {
	if b, ok := s.homes.Load(id); ok {
		return b.(Ballot), true
	}
	var b Ballot
	if err := s.db.WithContext(ctx).Select("id", "community_id", "secrecy", "state").First(&b, id).Error; err != nil {
		return b, false
	}
	if b.State != StateDraft {
		s.homes.Store(id, Ballot{ID: b.ID, CommunityID: b.CommunityID, Secrecy: b.Secrecy})
	}
	return b, true
}
