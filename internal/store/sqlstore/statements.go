package sqlstore

import (
	"cmp"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"

	"gorm.io/gorm"

	"koinon/internal/clog"
	"koinon/internal/domain"
	"koinon/internal/proof"
	"koinon/internal/statement"
	"koinon/internal/store"
)

// scratch is what a write keeps in its Submission between prepare,
// record and finishReceipt: pre is the replay prepare made, logged the
// receipt's part known at commit.
type scratch struct {
	pre         *citizenState
	logged      *Receipt
	communityID int64
	// custodial is what prepareCustodial signed on pre's chain, used
	// when the write makes exactly that statement.
	custodial *preparedStatement
	// checkpoint is the log's checkpoint signed once for the batch that
	// committed the statement (writer.go); done is the citizen's state
	// with it.
	checkpoint *batchCheckpoint
	done       *citizenState
}

// scratchOf returns sub's scratch, creating it on first use.
func scratchOf(sub *store.Submission) *scratch {
	if sc, ok := sub.Scratch.(*scratch); ok {
		return sc
	}
	sc := &scratch{}
	sub.Scratch = sc
	return sc
}

// prepare replays the submitting citizen's statements and checks the
// statement against them (State.Accept, signature included) before the
// write transaction, outside the write lock; record uses that work when
// the citizen's chain has not moved since. A statement refused here is
// checked again in the transaction, which refuses it with its reason.
func (s *Store) prepare(ctx context.Context) {
	sub := SubmissionFrom(ctx)
	if s.logs == nil || sub == nil || sub.Envelope == nil || sub.CommunityID == 0 || sub.CitizenID == 0 {
		return
	}
	cs, err := s.replayState(s.db.WithContext(ctx), sub.CommunityID, sub.CitizenID, true)
	if err != nil {
		return
	}
	cs.headBefore = cs.state.Head(cs.handle)
	if _, err := cs.state.Accept(sub.Envelope); err == nil {
		cs.accepted = []*statement.Envelope{sub.Envelope}
		scratchOf(sub).pre = cs
	}
}

// stateFor is the citizen's replayed state inside the write transaction:
// the one prepared before it when their latest statement is still the one
// it ends with, else a new replay.
func (s *Store) stateFor(tx *gorm.DB, sub *Submission, a action) (*citizenState, error) {
	cs := scratchOf(sub).pre
	scratchOf(sub).pre = nil
	if cs == nil || cs.communityID != a.communityID || cs.citizenID != a.citizenID {
		scratchOf(sub).custodial = nil
	}
	if cs != nil && cs.communityID == a.communityID && cs.citizenID == a.citizenID {
		head, err := chainHead(tx, a.communityID, a.citizenID)
		if err != nil {
			return nil, err
		}
		if head == cs.headBefore {
			return cs, nil
		}
	}
	scratchOf(sub).custodial = nil
	return s.citizenState(tx, a.communityID, a.citizenID)
}

// chainHead is the hash of the citizen's latest statement as tx sees it
// (with the statements its batch holds, or as the job's openForVoting
// read it), "" when there is none.
func chainHead(tx *gorm.DB, communityID, citizenID int64) (string, error) {
	if b := batchOf(tx); b != nil {
		if h, ok := b.logs.chainHead(communityID, citizenID); ok {
			return h, nil
		}
	}
	var head string
	_, err := queryRow(tx, "SELECT hash FROM statements WHERE community_id = ? AND citizen_id = ? ORDER BY log_index DESC LIMIT 1",
		[]any{communityID, citizenID}, &head)
	return head, wrap(err, "chain head of %d", citizenID)
}

// prepareCustodial signs, before the write lock, the custodial statement
// a write without a device statement will make (a), on the citizen's
// chain as it is now, and accepts it into their replayed state: the
// signatures and their checks then run in the caller's goroutine, beside
// other requests, not in the writer. On the citizen's first statement it
// also makes their custodial key (kept sealed in the scratch until the
// transaction stores it) and signs its registration. record uses this
// work when the chain has not moved since and the write makes exactly
// that statement; else it signs again in the transaction.
func (s *Store) prepareCustodial(ctx context.Context, a action) {
	sub := SubmissionFrom(ctx)
	if s.logs == nil || s.box == nil || sub == nil || sub.Envelope != nil {
		return
	}
	db := s.db.WithContext(ctx)
	key, ck, err := s.storedCustodialKey(db, a.citizenID)
	if err != nil {
		return
	}
	if key == nil {
		if key, ck, err = s.newCustodialKey(a.citizenID); err != nil {
			return
		}
	}
	pub := key.Public().(ed25519.PublicKey)
	cs, err := s.replayState(db, a.communityID, a.citizenID, true)
	if err != nil {
		return
	}
	cs.headBefore = cs.state.Head(cs.handle)
	pc := &preparedStatement{}
	if k, ok := cs.state.Key(proof.KeyID(pub)); ok && k.Revoked {
		return
	} else if !ok {
		reg, err := s.signFor(cs, key, statement.KeyRegister, statement.ScopeCommunity, statement.KeyContent{
			Citizen: cs.handle, PublicKey: base64.StdEncoding.EncodeToString(pub), Custodial: true,
		})
		if err != nil {
			return
		}
		if _, err := cs.state.Accept(reg); err != nil {
			return
		}
		pc.register = reg
		if ck != nil {
			pc.newKey = ck
		}
	} else if ck != nil {
		return
	}
	if pc.env, err = s.signFor(cs, key, a.kind, a.scope, a.content); err != nil {
		return
	}
	if _, err := cs.state.Accept(pc.env); err != nil {
		return
	}
	if pc.register != nil {
		cs.at = pc.register.Parsed().At
	}
	cs.accepted = append(cs.accepted, pc.register, pc.env)
	sc := scratchOf(sub)
	sc.pre, sc.custodial = cs, pc
}

// preparedStatement is what prepareCustodial made: the statement, and
// before it the registration of the custodial key (and the key itself,
// when it is new).
type preparedStatement struct {
	env      *statement.Envelope
	register *statement.Envelope
	newKey   *custodialKey
}

// preparedCustodial logs, in the transaction, the statements
// prepareCustodial made when cs is the state they were signed on and the
// write makes exactly that statement (its key registration first); it
// returns the write's statement, or nil when the write must sign anew.
func (s *Store) preparedCustodial(tx *gorm.DB, add logAppend, sub *Submission, cs *citizenState, a action) (*statement.Envelope, error) {
	pc := scratchOf(sub).custodial
	scratchOf(sub).custodial = nil
	if pc == nil || len(cs.accepted) == 0 || cs.accepted[len(cs.accepted)-1] != pc.env {
		return nil, nil
	}
	st := pc.env.Parsed()
	raw, err := statement.Content(a.content)
	if err != nil || st.Kind != a.kind || st.Scope != a.scope || string(raw) != string(st.Content) {
		return nil, nil
	}
	const insertKey = "INSERT INTO custodial_keys (citizen_id, sealed_seed) VALUES (?, ?) ON CONFLICT DO NOTHING"
	if k := pc.newKey; k != nil && !batchOf(tx).deferWrite(insertKey, 1, k.CitizenID, k.SealedSeed) {
		added, err := execRaw(tx, insertKey, k.CitizenID, k.SealedSeed)
		if err != nil {
			return nil, wrap(err, "custodial key of %d", cs.citizenID)
		}
		if added == 0 { // made meanwhile by another write
			return nil, nil
		}
	}
	if pc.register != nil {
		if _, err := s.logStatement(tx, add, cs, pc.register, action{}, nil); err != nil {
			return nil, err
		}
	}
	return pc.env, nil
}

// statementRow is one accepted statement.
type statementRow struct {
	CommunityID int64
	Hash        string
	CitizenID   int64
	LogIndex    int64
	Envelope    string
	// prev is the statement's prev, for the batch's check that the
	// chain did not move (batch.endPostgres); not stored.
	prev string
}

func (statementRow) TableName() string { return "statements" }

type custodialKey struct {
	CitizenID  int64 `gorm:"primaryKey;autoIncrement:false"`
	SealedSeed string
}

type voteOpening struct {
	BallotID   int64
	LogIndex   int64
	Commitment string
	Nonce      string
	Envelope   string
}

// action is the statement a write makes: its kind, scope and content.
// ballot is set for votes and withdrawals.
type action struct {
	communityID, citizenID int64
	kind                   statement.Kind
	scope                  string
	content                any
	ballot                 *Ballot
}

// record logs the statement of a write inside its transaction, after the
// write's rows changed (so that the log lock is always taken last): the
// device's signed statement from ctx, or one signed with the citizen's
// custodial key. A vote on an open ballot enters the log as a commitment
// and its opening is kept until the close. It does nothing when the logs
// are off.
func (s *Store) record(ctx context.Context, tx *gorm.DB, a action) error {
	if s.logs == nil {
		return nil
	}
	sub := SubmissionFrom(ctx)
	if sub == nil {
		sub = &Submission{}
	}
	add, err := s.logAppender(tx, a.communityID)
	if err != nil {
		return err
	}
	cs, err := s.stateFor(tx, sub, a)
	if err != nil {
		return err
	}
	env := sub.Envelope
	switch {
	case env != nil:
		if err := s.checkSigned(tx, cs, a, env); err != nil {
			return err
		}
	default:
		if env, err = s.preparedCustodial(tx, add, sub, cs, a); err != nil {
			return err
		}
		if env != nil {
			break
		}
		if cs.accepted != nil { // prepared for another statement: replay anew
			if cs, err = s.citizenState(tx, a.communityID, a.citizenID); err != nil {
				return err
			}
		}
		if env, err = s.custodialStatement(tx, add, cs, a); err != nil {
			return err
		}
	}
	index, err := s.logStatement(tx, add, cs, env, a, sub.Nonce)
	if err != nil {
		return err
	}
	scratchOf(sub).logged = &Receipt{Index: index, Hash: env.Hash().String(), Custodial: env.Custodial}
	scratchOf(sub).communityID = a.communityID
	scratchOf(sub).done = cs
	return nil
}

// finishReceipt completes the receipt of a statement logged by the
// transaction just committed: a signed checkpoint of the log as it is now
// (it includes the statement) and the inclusion proof. It runs after the
// commit, so that its reads and signature are outside the write lock.
func (s *Store) finishReceipt(ctx context.Context) error {
	sub := SubmissionFrom(ctx)
	if sub == nil || scratchOf(sub).logged == nil {
		return nil
	}
	sc := scratchOf(sub)
	rc, cp, done := sc.logged, sc.checkpoint, sc.done
	sc.logged, sc.checkpoint, sc.done = nil, nil, nil
	if done != nil {
		s.states.keep(done, false)
	}
	if cp != nil && cp.row.Size > rc.Index { // signed once for the batch
		p, err := clog.Open(s.hashes(s.db.WithContext(ctx), sc.communityID), cp.row.Size).InclusionProof(rc.Index, cp.row.Size)
		if err != nil {
			return err
		}
		rc.Checkpoint, rc.Inclusion = string(cp.signed), hexHashes(p)
		sub.Receipt = rc
		return nil
	}
	row, lg, err := s.openLog(s.db.WithContext(ctx), sc.communityID, false)
	if err != nil {
		return err
	}
	full, err := s.receipt(row, lg, rc.Index)
	if err != nil {
		return err
	}
	rc.Checkpoint, rc.Inclusion = full.Checkpoint, full.Inclusion
	sub.Receipt = rc
	return nil
}

// citizenState is a citizen's statements replayed: their keys and the head
// of their chain.
type citizenState struct {
	citizenID   int64
	handle      string
	slug        string
	state       *statement.State
	at          string // the latest statement's time
	communityID int64
	// accepted are statements prepare already accepted into state, on
	// the chain whose head was headBefore.
	accepted   []*statement.Envelope
	headBefore string
	// lastIndex and lastHash are the log index and hash of the last
	// stored statement replayed (-1 and "" for none).
	lastIndex int64
	lastHash  string
}

// citizenState replays the citizen's statements in the community. The
// replay is kept per process (stateCache) and reused while the stored
// chain still ends where it did, or extended by the statements stored
// since, so that a citizen's next statement does not check all their
// earlier signatures again. Only replays read outside the writer's
// transaction (committed rows) are kept.
func (s *Store) citizenState(tx *gorm.DB, communityID, citizenID int64) (*citizenState, error) {
	return s.replayState(tx, communityID, citizenID, false)
}

// replayState is citizenState; with kept, a replay the process keeps is
// used as it is, without reading whether the stored chain moved since.
// prepare and prepareCustodial use it: the write transaction checks the
// chain's head before it uses their work (stateFor) and replays anew
// when it moved.
func (s *Store) replayState(tx *gorm.DB, communityID, citizenID int64, kept bool) (*citizenState, error) {
	replaying := true
	isBoard := func(string) bool {
		if replaying { // accepted when it was appended
			return true
		}
		m, err := currentMembership(tx, communityID, citizenID)
		return err == nil && m.Role == domain.RoleBoard
	}
	defer func() { replaying = false }()
	if b := batchOf(tx); b != nil {
		if _, ok := b.logs.head(communityID, citizenID); ok {
			if err := b.logs.flush(tx, communityID); err != nil {
				return nil, err
			}
		}
	}
	if kept {
		if cs, ok := s.states.get(communityID, citizenID, isBoard); ok {
			return cs, nil
		}
	}
	if cs, ok := s.states.resume(tx, communityID, citizenID, isBoard); ok {
		return cs, nil
	}
	// A citizen's first statement comes here: two plain queries.
	var slug, handle string
	found, err := queryRow(tx, "SELECT c.slug, t.handle FROM communities c, citizens t WHERE c.id = ? AND t.id = ?",
		[]any{communityID, citizenID}, &slug, &handle)
	if err != nil || !found {
		return nil, wrap(cmp.Or(err, gorm.ErrRecordNotFound), "community %d and citizen %d", communityID, citizenID)
	}
	cs := &citizenState{citizenID: citizenID, handle: handle, slug: slug, communityID: communityID,
		state: statement.NewState(slug, isBoard), lastIndex: -1}
	rows, err := statementsAfter(tx, communityID, citizenID, -1)
	if err != nil {
		return nil, wrap(err, "statements of %d", citizenID)
	}
	if err := cs.replay(rows); err != nil {
		return nil, err
	}
	if batchOf(tx) == nil {
		s.states.keep(cs, true)
	}
	return cs, nil
}

// statementsAfter reads a citizen's stored statements after log index
// after, in log order: index, hash and envelope.
func statementsAfter(tx *gorm.DB, communityID, citizenID, after int64) ([]statementRow, error) {
	rs, err := queryRows(tx, "SELECT log_index, hash, envelope FROM statements WHERE community_id = ? AND citizen_id = ? AND log_index > ? ORDER BY log_index",
		communityID, citizenID, after)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var rows []statementRow
	for rs.Next() {
		r := statementRow{CommunityID: communityID, CitizenID: citizenID}
		if err := rs.Scan(&r.LogIndex, &r.Hash, &r.Envelope); err != nil {
			return nil, err
		}
		rows = append(rows, r)
	}
	return rows, rs.Err()
}

// replay accepts stored statements after the ones cs holds.
func (cs *citizenState) replay(rows []statementRow) error {
	for _, r := range rows {
		env, err := statement.Parse([]byte(r.Envelope))
		if err == nil {
			_, err = cs.state.Accept(env)
		}
		if err != nil {
			return fmt.Errorf("store: stored statement %s of citizen %d does not replay: %w", r.Hash, cs.citizenID, err)
		}
		cs.at = env.Parsed().At
		cs.lastIndex, cs.lastHash = r.LogIndex, r.Hash
	}
	return nil
}

// stateCache keeps replayed citizen states, each never changed once kept
// (users get clones), up to stateCacheSize of them.
type stateCache struct {
	mu sync.Mutex
	m  map[[2]int64]*citizenState
}

const stateCacheSize = 200_000

// keep stores a clone of cs, read from committed rows (replace) or
// committed since (then it does not replace a later state).
func (c *stateCache) keep(cs *citizenState, replace bool) {
	k := *cs
	k.state = cs.state.Clone(nil)
	k.accepted, k.headBefore = nil, ""
	key := [2]int64{cs.communityID, cs.citizenID}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= stateCacheSize {
		c.m = map[[2]int64]*citizenState{}
	}
	if old := c.m[key]; !replace && old != nil && old.lastIndex >= cs.lastIndex {
		return
	}
	c.m[key] = &k
}

// get returns a clone of the kept state of the citizen, if any.
func (c *stateCache) get(communityID, citizenID int64, isBoard func(string) bool) (*citizenState, bool) {
	c.mu.Lock()
	kept := c.m[[2]int64{communityID, citizenID}]
	c.mu.Unlock()
	if kept == nil {
		return nil, false
	}
	cs := *kept
	cs.state = kept.state.Clone(isBoard)
	return &cs, true
}

// resume returns a clone of the kept state of the citizen when the
// stored chain still ends where it did, or extends it with the
// statements stored since; ok is false when there is none or the stored
// chain is not an extension of it (then the caller replays from the
// start).
func (c *stateCache) resume(tx *gorm.DB, communityID, citizenID int64, isBoard func(string) bool) (*citizenState, bool) {
	c.mu.Lock()
	kept := c.m[[2]int64{communityID, citizenID}]
	c.mu.Unlock()
	if kept == nil {
		return nil, false
	}
	var last []statementRow
	if err := tx.Select("log_index", "hash").Where("community_id = ? AND citizen_id = ?", communityID, citizenID).
		Order("log_index DESC").Limit(1).Find(&last).Error; err != nil || len(last) == 0 || last[0].LogIndex < kept.lastIndex {
		return nil, false
	}
	cs := *kept
	cs.state = kept.state.Clone(isBoard)
	if last[0].LogIndex == kept.lastIndex {
		return &cs, last[0].Hash == kept.lastHash
	}
	rows, err := statementsAfter(tx, communityID, citizenID, kept.lastIndex)
	if err != nil || cs.replay(rows) != nil {
		return nil, false
	}
	if batchOf(tx) == nil {
		c.keep(&cs, false)
	}
	return &cs, true
}

// checkSigned checks that a device's envelope is the caller's and makes
// the write's statement.
func (s *Store) checkSigned(tx *gorm.DB, cs *citizenState, a action, env *statement.Envelope) error {
	st := env.Parsed()
	if st.Community != cs.slug {
		return RefuseStatement(fmt.Errorf("%w: %q, not %q", statement.ErrOtherCommunity, st.Community, cs.slug))
	}
	if st.Kind == statement.KeyRegister {
		var kc statement.KeyContent
		if err := json.Unmarshal(st.Content, &kc); err != nil {
			return RefuseStatement(fmt.Errorf("%w: %v", statement.ErrContent, err))
		}
		if kc.Citizen != cs.handle {
			return RefuseStatement(fmt.Errorf("%w: registering a key for %s", statement.ErrNotOwner, kc.Citizen))
		}
		if env.Custodial {
			return RefuseStatement(fmt.Errorf("%w: only the server registers custodial keys", statement.ErrCustodialMismatch))
		}
	}
	var k CitizenKey
	res := tx.Where("community_id = ? AND key_id = ?", cs.communityID, st.Key).Limit(1).Find(&k)
	if res.Error != nil {
		return wrap(res.Error, "key %s", st.Key)
	}
	switch {
	case res.RowsAffected > 0 && st.Kind == statement.KeyRegister:
		return RefuseStatement(fmt.Errorf("%w: %s", statement.ErrKeyInUse, st.Key))
	case res.RowsAffected > 0 && k.CitizenID != cs.citizenID:
		return RefuseStatement(fmt.Errorf("%w: key %s", statement.ErrNotOwner, st.Key))
	case res.RowsAffected == 0 && st.Kind != statement.KeyRegister:
		return RefuseStatement(fmt.Errorf("%w: %s", statement.ErrUnknownKey, st.Key))
	}
	if a.content == nil { // a statement with no write of its own
		return nil
	}
	want, err := statement.Content(a.content)
	if err == nil {
		want, err = proof.Canonicalize(want)
	}
	if err != nil {
		return err
	}
	got, err := proof.Canonicalize(st.Content)
	if err != nil || st.Kind != a.kind || st.Scope != a.scope || string(got) != string(want) {
		return RefuseStatement(fmt.Errorf("%w: the statement (%s on %s, %s) is not the request's (%s on %s, %s)",
			statement.ErrContent, st.Kind, st.Scope, st.Content, a.kind, a.scope, want))
	}
	return nil
}

// custodialStatement signs the write's statement with the citizen's
// custodial key, registering that key in the log first if needed.
func (s *Store) custodialStatement(tx *gorm.DB, add logAppend, cs *citizenState, a action) (*statement.Envelope, error) {
	key, err := s.custodialKey(tx, cs.citizenID)
	if err != nil {
		return nil, err
	}
	pub := key.Public().(ed25519.PublicKey)
	id := proof.KeyID(pub)
	k, ok := cs.state.Key(id)
	if ok && k.Revoked {
		return nil, RefuseStatement(fmt.Errorf("%w: the custodial key %s was revoked: sign on your device", statement.ErrRevokedKey, id))
	}
	if !ok {
		reg, err := s.signFor(cs, key, statement.KeyRegister, statement.ScopeCommunity, statement.KeyContent{
			Citizen: cs.handle, PublicKey: base64.StdEncoding.EncodeToString(pub), Custodial: true,
		})
		if err != nil {
			return nil, err
		}
		if _, err := s.logStatement(tx, add, cs, reg, action{}, nil); err != nil {
			return nil, err
		}
	}
	return s.signFor(cs, key, a.kind, a.scope, a.content)
}

// signFor signs a custodial statement on the citizen's chain head, dated
// now (or their latest statement's time, if a device's clock ran ahead).
func (s *Store) signFor(cs *citizenState, key ed25519.PrivateKey, kind statement.Kind, scope string, content any) (*statement.Envelope, error) {
	raw, err := statement.Content(content)
	if err != nil {
		return nil, err
	}
	at := max(s.Now().Format(statement.TimeLayout), cs.at)
	return statement.Sign(statement.Statement{
		Format: statement.Format, Kind: kind, Community: cs.slug, Scope: scope, Content: raw,
		Prev: cs.state.Head(cs.handle), At: at, Key: proof.KeyID(key.Public().(ed25519.PublicKey)),
	}, key, nil, true)
}

// custodialKey returns the citizen's custodial key, making one (sealed
// with the data key) on first use.
func (s *Store) custodialKey(tx *gorm.DB, citizenID int64) (ed25519.PrivateKey, error) {
	key, _, err := s.storedCustodialKey(tx, citizenID)
	if err != nil || key != nil {
		return key, err
	}
	key, ck, err := s.newCustodialKey(citizenID)
	if err != nil {
		return nil, err
	}
	if err := tx.Create(ck).Error; err != nil {
		return nil, wrap(err, "custodial key of %d", citizenID)
	}
	return key, nil
}

// newCustodialKey makes a custodial key for the citizen and its row (the
// seed sealed with the data key), not yet stored.
func (s *Store) newCustodialKey(citizenID int64) (ed25519.PrivateKey, *custodialKey, error) {
	seed := make([]byte, ed25519.SeedSize)
	if _, err := rand.Read(seed); err != nil {
		return nil, nil, err
	}
	sealed, err := s.box.Seal(seed)
	if err != nil {
		return nil, nil, err
	}
	return ed25519.NewKeyFromSeed(seed), &custodialKey{CitizenID: citizenID, SealedSeed: sealed}, nil
}

// storedCustodialKey returns the citizen's stored custodial key, or nil
// when they have none. A stored key never changes, so it is kept per
// process once read from committed rows (keyCache): a citizen's next
// statement neither reads nor unseals it again.
func (s *Store) storedCustodialKey(db *gorm.DB, citizenID int64) (ed25519.PrivateKey, *custodialKey, error) {
	if key, ok := s.keys.get(citizenID); ok {
		return key, nil, nil
	}
	var ck custodialKey
	found, err := queryRow(db, "SELECT sealed_seed FROM custodial_keys WHERE citizen_id = ?", []any{citizenID}, &ck.SealedSeed)
	if err != nil {
		return nil, nil, wrap(err, "custodial key of %d", citizenID)
	}
	if !found {
		return nil, nil, nil
	}
	seed, err := s.box.Open(ck.SealedSeed)
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, nil, fmt.Errorf("store: open custodial key of %d: %v", citizenID, err)
	}
	key := ed25519.NewKeyFromSeed(seed)
	if batchOf(db) == nil {
		s.keys.put(citizenID, key)
	}
	return key, nil, nil
}

// keyCache keeps unsealed custodial keys, up to keyCacheSize of them.
type keyCache struct {
	mu sync.Mutex
	m  map[int64]ed25519.PrivateKey
}

const keyCacheSize = 200_000

func (c *keyCache) get(citizenID int64) (ed25519.PrivateKey, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k, ok := c.m[citizenID]
	return k, ok
}

func (c *keyCache) put(citizenID int64, key ed25519.PrivateKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= keyCacheSize {
		c.m = map[int64]ed25519.PrivateKey{}
	}
	c.m[citizenID] = key
}

// logAppend appends one entry to a community's log in a write
// transaction, with the statement's row and a vote's opening (op may be
// nil), and returns its index, which it sets in both.
type logAppend func(data []byte, st *statementRow, op *voteOpening) (int64, error)

// logAppender returns the community's logAppend for tx: in a group-commit
// batch the entry and its rows wait in the batch (logBatch), else they
// are stored at once.
func (s *Store) logAppender(tx *gorm.DB, communityID int64) (logAppend, error) {
	if b := batchOf(tx); b != nil {
		return func(data []byte, st *statementRow, op *voteOpening) (int64, error) {
			return b.logs.add(communityID, data, st, op), nil
		}, nil
	}
	row, lg, err := s.openLog(tx, communityID, true)
	if err != nil {
		return nil, err
	}
	return func(data []byte, st *statementRow, op *voteOpening) (int64, error) {
		index, err := appendLog(tx, &row, lg, [][]byte{data})
		if err != nil {
			return 0, err
		}
		st.LogIndex = index
		var ops []voteOpening
		if op != nil {
			op.LogIndex = index
			ops = []voteOpening{*op}
		}
		return index, insertStatements(tx, []statementRow{*st}, ops)
	}, nil
}

// insertStatements stores statements' rows and votes' openings, each
// kind in one multi-row insert.
func insertStatements(tx *gorm.DB, rows []statementRow, openings []voteOpening) error {
	err := insertRows(tx, "statements", []string{"community_id", "hash", "citizen_id", "log_index", "envelope"}, len(rows), func(i int, args []any) []any {
		r := &rows[i]
		return append(args, r.CommunityID, r.Hash, r.CitizenID, r.LogIndex, r.Envelope)
	})
	if err != nil {
		return wrap(err, "store statements")
	}
	err = insertRows(tx, "vote_openings", []string{"ballot_id", "log_index", "commitment", "nonce", "envelope"}, len(openings), func(i int, args []any) []any {
		o := &openings[i]
		return append(args, o.BallotID, o.LogIndex, o.Commitment, o.Nonce, o.Envelope)
	})
	return wrap(err, "keep vote openings")
}

// flushStatements stores the statements a batch holds for the community,
// so that tx reads them (logBatch.flush).
func flushStatements(tx *gorm.DB, communityID int64) error {
	if b := batchOf(tx); b != nil {
		return b.logs.flush(tx, communityID)
	}
	return nil
}

// logStatement checks a statement against the citizen's state and applies
// it (State.Accept: key, signature, chain; 422 when refused), appends it
// (a vote on an open ballot as its commitment) and stores it. On error
// the caller's transaction rolls back, and the state is dropped with it.
func (s *Store) logStatement(tx *gorm.DB, add logAppend, cs *citizenState, env *statement.Envelope, a action, nonce []byte) (int64, error) {
	st := env.Parsed()
	if !slices.Contains(cs.accepted, env) { // prepare accepted it already, on this same chain
		if _, err := cs.state.Accept(env); err != nil {
			return 0, RefuseStatement(err)
		}
	}
	entry := clog.StatementEntry(env)
	var opening *voteOpening
	if st.Kind == statement.Vote && a.ballot != nil && a.ballot.State == StateOpen {
		if nonce == nil {
			var err error
			if nonce, err = statement.NewNonce(rand.Reader); err != nil {
				return 0, err
			}
		}
		c, err := statement.Commit(nonce, env)
		if err != nil {
			return 0, RefuseStatement(err)
		}
		if entry, err = clog.CommitmentEntry(env, c); err != nil {
			return 0, RefuseStatement(err)
		}
		opening = &voteOpening{BallotID: a.ballot.ID, Commitment: c.String(), Nonce: hex.EncodeToString(nonce), Envelope: string(env.Bytes())}
	}
	data, err := entry.Bytes()
	if err != nil {
		return 0, RefuseStatement(err)
	}
	hash := env.Hash().String()
	index, err := add(data, &statementRow{CommunityID: cs.communityID, Hash: hash, CitizenID: cs.citizenID, Envelope: string(env.Bytes()), prev: st.Prev}, opening)
	if err != nil {
		return 0, err
	}
	cs.at = st.At
	cs.lastIndex, cs.lastHash = index, hash
	return index, s.applyKeys(tx, cs, env)
}

// applyKeys keeps citizen_keys in step with key registrations and
// revocations.
func (s *Store) applyKeys(tx *gorm.DB, cs *citizenState, env *statement.Envelope) error {
	st := env.Parsed()
	revoke := func(id string) error {
		return wrap(tx.Model(&CitizenKey{}).Where("community_id = ? AND key_id = ?", cs.communityID, id).
			Update("revoked", true).Error, "revoke key %s", id)
	}
	switch st.Kind {
	case statement.KeyRegister:
		var kc statement.KeyContent
		if err := json.Unmarshal(st.Content, &kc); err != nil {
			return err
		}
		row := CitizenKey{CommunityID: cs.communityID, KeyID: st.Key, CitizenID: cs.citizenID, PublicKey: kc.PublicKey, Custodial: kc.Custodial}
		// A custodial key is new (prepareCustodial): its row cannot be
		// refused, and may wait for the batch's end.
		if !row.Custodial || !batchOf(tx).deferWrite(`INSERT INTO citizen_keys (community_id, key_id, citizen_id, public_key, custodial, revoked)
			VALUES (?, ?, ?, ?, true, false) ON CONFLICT DO NOTHING`, 1, row.CommunityID, row.KeyID, row.CitizenID, row.PublicKey) {
			if err := tx.Create(&row).Error; err != nil {
				if errors.Is(err, gorm.ErrDuplicatedKey) {
					return RefuseStatement(fmt.Errorf("%w: %s", statement.ErrKeyInUse, st.Key))
				}
				return wrap(err, "register key")
			}
		}
		if err := s.notifyKeyRegistered(tx, cs.communityID, cs.citizenID, st.Key); err != nil {
			return err
		}
		if kc.OldKey != "" {
			return revoke(kc.OldKey)
		}
	case statement.KeyRevoke:
		var rc statement.RevokeContent
		if err := json.Unmarshal(st.Content, &rc); err != nil {
			return err
		}
		return revoke(rc.Revoked)
	}
	return nil
}

// RecordStatement logs a statement that changes no other row: a key
// registration or revocation, or a board statement. The envelope comes
// with ctx (WithSubmission).
func (s *Store) RecordStatement(ctx context.Context, communityID, citizenID int64) error {
	sub := SubmissionFrom(ctx)
	if sub == nil || sub.Envelope == nil {
		return domain.Invalidf("statement", "is required")
	}
	st := sub.Envelope.Parsed()
	switch st.Kind {
	case statement.KeyRegister, statement.KeyRevoke, statement.RollChange, statement.BallotDefine, statement.BallotOpen, statement.BallotClose:
	default:
		return RefuseStatement(fmt.Errorf("%w: %s changes votes or delegations: send it through its own write", statement.ErrKind, st.Kind))
	}
	return s.tx(ctx, func(tx *gorm.DB) error {
		return s.record(ctx, tx, action{communityID: communityID, citizenID: citizenID, kind: st.Kind, scope: st.Scope})
	})
}

// CitizenKeys lists the keys registered for a citizen in a community.
func (s *Store) CitizenKeys(ctx context.Context, communityID, citizenID int64) ([]CitizenKey, error) {
	var keys []CitizenKey
	err := s.db.WithContext(ctx).Where("community_id = ? AND citizen_id = ?", communityID, citizenID).Order("key_id").Find(&keys).Error
	return keys, wrap(err, "keys of %d", citizenID)
}

// StatementsOf returns a citizen's statements in a community, in log
// order, with their log indexes (a vote's is its commitment's).
func (s *Store) StatementsOf(ctx context.Context, communityID, citizenID int64) ([]LoggedStatement, error) {
	var rows []statementRow
	if err := s.db.WithContext(ctx).Where("community_id = ? AND citizen_id = ?", communityID, citizenID).Order("log_index").Find(&rows).Error; err != nil {
		return nil, wrap(err, "statements of %d", citizenID)
	}
	out := make([]LoggedStatement, len(rows))
	for i, r := range rows {
		out[i] = LoggedStatement{Index: r.LogIndex, Hash: r.Hash, Envelope: json.RawMessage(r.Envelope)}
	}
	return out, nil
}

// ballotScope is the statement scope of a ballot.
func ballotScope(id int64) string { return statement.BallotScope(strconv.FormatInt(id, 10)) }

// recordVote logs a vote or withdrawal on a public ballot (pseudonymous
// ballots keep their own log: a citizen key there would name the voter).
func (s *Store) recordVote(ctx context.Context, tx *gorm.DB, b Ballot, citizenID int64, kind statement.Kind, content any) error {
	if b.Secrecy != "public" {
		return nil
	}
	return s.record(ctx, tx, action{communityID: b.CommunityID, citizenID: citizenID, kind: kind, scope: ballotScope(b.ID), content: content, ballot: &b})
}

// recordDelegation logs a delegation change: the new list (handles) for
// the scope, or its removal.
func (s *Store) recordDelegation(ctx context.Context, tx *gorm.DB, citizenID int64, sc Scope, delegates []int64, remove bool) error {
	if s.logs == nil {
		return nil
	}
	scope := statement.ScopeCommunity
	switch {
	case sc.BallotID > 0:
		scope = ballotScope(sc.BallotID)
	case sc.TopicID > 0:
		var t Topic
		if err := tx.Select("slug").First(&t, sc.TopicID).Error; err != nil {
			return wrap(err, "topic %d", sc.TopicID)
		}
		scope = statement.TopicScope(t.Slug)
	}
	handles := make([]string, len(delegates))
	if len(delegates) > 0 {
		var rows []Citizen
		if err := tx.Select("id", "handle").Where("id IN ?", delegates).Find(&rows).Error; err != nil {
			return wrap(err, "delegates")
		}
		byID := make(map[int64]string, len(rows))
		for _, r := range rows {
			byID[r.ID] = r.Handle
		}
		for i, d := range delegates {
			handles[i] = byID[d]
		}
	}
	return s.record(ctx, tx, action{communityID: sc.CommunityID, citizenID: citizenID, kind: statement.Delegate, scope: scope,
		content: statement.DelegateContent{Delegates: handles, Remove: remove}})
}
