package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"koinon/internal/domain"
)

func forUpdate() clause.Expression { return clause.Locking{Strength: "UPDATE"} }

// BallotByID loads a ballot without its result and proof documents
// (ResultJSON and ProofJSON stay nil: a sealed ballot of a million voters
// has hundreds of megabytes there, and every ballot route loads the
// ballot). BallotResult, BallotProof and BallotWithDocuments read them.
// On PostgreSQL the log head of an open ballot is read from its log
// (votes append without updating the ballot row, see appendVoterEvent).
func (s *Store) BallotByID(ctx context.Context, id int64) (Ballot, error) {
	var b Ballot
	db := s.db.WithContext(ctx)
	if err := db.First(&b, id).Error; err != nil {
		return b, wrap(err, "ballot %d", id)
	}
	if s.dialect == "postgres" && b.State == StateOpen {
		h, err := logHead(db, id)
		if err != nil {
			return b, err
		}
		b.LogHead = h
	}
	return b, nil
}

// BallotWithDocuments is BallotByID with ResultJSON and ProofJSON loaded
// when the ballot is sealed (for tools and tests; handlers use
// BallotResult and BallotProof).
func (s *Store) BallotWithDocuments(ctx context.Context, id int64) (Ballot, error) {
	b, err := s.BallotByID(ctx, id)
	if err != nil || b.State != StateClosed {
		return b, err
	}
	return b, loadDocuments(s.db.WithContext(ctx), &b)
}

func loadDocuments(db *gorm.DB, b *Ballot) error {
	var d BallotDocument
	res := db.Where("ballot_id = ?", b.ID).Limit(1).Find(&d)
	if res.Error != nil {
		return wrap(res.Error, "documents of ballot %d", b.ID)
	}
	if res.RowsAffected == 0 {
		return nil
	}
	proof, err := readProof(db.Statement.Context, db, b.ID)
	if err != nil {
		return err
	}
	ps := bytesString(proof)
	b.ResultJSON, b.ProofJSON = &d.ResultJSON, &ps
	return nil
}

// BallotResult returns a closed ballot's stored result (the result object
// of proof.md); ErrNotFound when there is none.
func (s *Store) BallotResult(ctx context.Context, id int64) ([]byte, error) {
	return s.ballotDocument(ctx, id, "result_json")
}

// BallotProof returns a closed ballot's sealed proof document;
// ErrNotFound when there is none.
func (s *Store) BallotProof(ctx context.Context, id int64) ([]byte, error) {
	doc, err := readProof(ctx, s.db, id)
	if err == nil && doc == nil {
		err = wrap(gorm.ErrRecordNotFound, "proof of ballot %d", id)
	}
	return doc, err
}

// ballotDocument reads one document column as bytes (scanning into []byte
// avoids a string copy of tens of megabytes).
func (s *Store) ballotDocument(ctx context.Context, id int64, column string) ([]byte, error) {
	var doc []byte
	row := s.db.WithContext(ctx).Model(&BallotDocument{}).Select(column).Where("ballot_id = ?", id).Row()
	if err := row.Scan(&doc); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			err = gorm.ErrRecordNotFound
		}
		return nil, wrap(err, "%s of ballot %d", column, id)
	}
	if doc == nil {
		return nil, wrap(gorm.ErrRecordNotFound, "%s of ballot %d", column, id)
	}
	return doc, nil
}

// ProposalByID loads a proposal.
func (s *Store) ProposalByID(ctx context.Context, id int64) (Proposal, error) {
	var p Proposal
	err := s.db.WithContext(ctx).First(&p, id).Error
	return p, wrap(err, "proposal %d", id)
}

// voterID is how the ballot's proof and log name a citizen: the handle on
// a public ballot, the pseudonym on a pseudonymous one.
func (s *Store) voterID(tx *gorm.DB, b Ballot, citizenID int64) (string, error) {
	if b.Secrecy == "pseudonymous" {
		secret, err := s.ballotSecret(b)
		if err != nil {
			return "", err
		}
		return Pseudonym(secret, citizenID), nil
	}
	var c Citizen
	if err := tx.Select("id", "handle").First(&c, citizenID).Error; err != nil {
		return "", wrap(err, "citizen %d", citizenID)
	}
	return c.Handle, nil
}

// VoterID is VoterID for callers outside a transaction.
func (s *Store) VoterID(ctx context.Context, b Ballot, citizenID int64) (string, error) {
	return s.voterID(s.db.WithContext(ctx), b, citizenID)
}

// CreateBallot stores a draft ballot with its options (in order) and, when
// proposalIDs are given, links those proposals to it. ID, State,
// CreatedAt and Secret (sealed with the data key) are set here.
func (s *Store) CreateBallot(ctx context.Context, b *Ballot, options []BallotOption, proposalIDs []int64) error {
	secret, err := s.newBallotSecret()
	if err != nil {
		return err
	}
	return s.tx(ctx, func(tx *gorm.DB) error {
		b.State = StateDraft
		b.CreatedAt = s.Now()
		b.Secret = secret
		if err := tx.Create(b).Error; err != nil {
			return wrap(err, "create ballot")
		}
		for i := range options {
			options[i].BallotID, options[i].Position = b.ID, i
		}
		if err := tx.Create(&options).Error; err != nil {
			return wrap(err, "create ballot options")
		}
		if err := createTrustees(tx, b); err != nil {
			return err
		}
		for _, p := range proposalIDs {
			res := tx.Model(&Proposal{}).Where("id = ? AND community_id = ? AND ballot_id IS NULL", p, b.CommunityID).Update("ballot_id", b.ID)
			if res.Error != nil {
				return wrap(res.Error, "link proposal %d", p)
			}
			if res.RowsAffected == 0 {
				return domain.Stated("proposal_taken", "proposal %d already has a ballot", p)
			}
		}
		return nil
	})
}

// BallotOptions returns a ballot's options in order.
func (s *Store) BallotOptions(ctx context.Context, ballotID int64) ([]BallotOption, error) {
	var out []BallotOption
	err := s.db.WithContext(ctx).Where("ballot_id = ?", ballotID).Order("position").Find(&out).Error
	return out, wrap(err, "options of ballot %d", ballotID)
}

// OpenBallot opens a draft ballot: it freezes the voter roll (current
// members with weight ≥ 1, with their weights) and logs the opening.
func (s *Store) OpenBallot(ctx context.Context, id int64) (Ballot, error) {
	var out Ballot
	err := s.tx(ctx, func(tx *gorm.DB) error {
		b, err := lockBallot(tx, s.dialect, id)
		if err != nil {
			return err
		}
		if b.State != StateDraft {
			return domain.Stated("ballot_"+b.State, "the ballot is %s, not a draft", b.State)
		}
		now := s.Now()
		if !b.ClosesAt.After(now) {
			return domain.Refuse("closes_at", "closes_passed")
		}
		if err := secretKeyReady(tx, b); err != nil {
			return err
		}
		if err := tx.Exec(`INSERT INTO ballot_roll (ballot_id, citizen_id, weight)
			SELECT ?, citizen_id, weight FROM memberships
			WHERE community_id = ? AND ended_at IS NULL AND weight > 0`, b.ID, b.CommunityID).Error; err != nil {
			return wrap(err, "freeze roll of ballot %d", id)
		}
		var roll struct{ N, W int64 }
		if err := tx.Raw("SELECT COUNT(*) AS n, COALESCE(SUM(weight), 0) AS w FROM ballot_roll WHERE ballot_id = ?", b.ID).Scan(&roll).Error; err != nil {
			return wrap(err, "roll of ballot %d", id)
		}
		b.State, b.OpensAt = StateOpen, &now
		if err := tx.Model(&Ballot{}).Where("id = ?", b.ID).Updates(map[string]any{"state": StateOpen, "opens_at": now}).Error; err != nil {
			return wrap(err, "open ballot %d", id)
		}
		head, err := appendEvent(tx, s.dialect, b.ID, EventOpened, map[string]any{
			"voters": roll.N, "eligible_weight": roll.W, "closes_at": b.ClosesAt.UTC().Format(time.RFC3339),
		}, now)
		if err != nil {
			return err
		}
		b.LogHead = head
		out = b
		return s.notify(tx, ballotNote(KindBallotOpened, "opened", b, mailTime(b.ClosesAt)), rollRecipients, b.ID)
	})
	return out, err
}

// ListBallots lists a community's ballots, open ones first, then newest.
func (s *Store) ListBallots(ctx context.Context, f BallotFilter) ([]Ballot, error) {
	q := s.db.WithContext(ctx).Omit("secret").Where("community_id = ?", f.CommunityID)
	if f.State != "" {
		q = q.Where("state = ?", f.State)
	}
	if f.HideDrafts {
		q = q.Where("state <> ?", StateDraft)
	}
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	var out []Ballot
	err := q.Order("CASE state WHEN 'open' THEN 0 WHEN 'draft' THEN 1 ELSE 2 END, id DESC").Limit(f.Limit).Offset(f.Offset).Find(&out).Error
	return out, wrap(err, "list ballots")
}

// OpenBallotsOf lists the open ballots of a community, soonest closing first.
func (s *Store) OpenBallotsOf(ctx context.Context, communityID int64) ([]Ballot, error) {
	var out []Ballot
	err := s.db.WithContext(ctx).Where("community_id = ? AND state = ?", communityID, StateOpen).Order("closes_at, id").Find(&out).Error
	return out, wrap(err, "open ballots")
}

// BallotParticipation returns the roll size and direct participation.
func (s *Store) BallotParticipation(ctx context.Context, ballotID int64) (Participation, error) {
	var p Participation
	db := s.db.WithContext(ctx)
	err := db.Raw("SELECT COUNT(*) AS voters, COALESCE(SUM(weight), 0) AS eligible FROM ballot_roll WHERE ballot_id = ?", ballotID).Scan(&p).Error
	if err != nil {
		return p, wrap(err, "participation of %d", ballotID)
	}
	var v struct{ N, W int64 }
	err = db.Raw(`SELECT COUNT(*) AS n, COALESCE(SUM(r.weight), 0) AS w FROM votes v
		JOIN ballot_roll r ON r.ballot_id = v.ballot_id AND r.citizen_id = v.citizen_id WHERE v.ballot_id = ?`, ballotID).Scan(&v).Error
	p.VotesCast, p.DirectWeight = v.N, v.W
	return p, wrap(err, "participation of %d", ballotID)
}

// RollWeight returns the citizen's weight on the ballot's frozen roll, or
// ErrNotFound when they are not on it.
func (s *Store) RollWeight(ctx context.Context, ballotID, citizenID int64) (int64, error) {
	var r BallotRoll
	err := s.db.WithContext(ctx).Where("ballot_id = ? AND citizen_id = ?", ballotID, citizenID).First(&r).Error
	return r.Weight, wrap(err, "roll entry %d/%d", ballotID, citizenID)
}

// DueBallots lists the ids of open ballots whose closing time has passed.
func (s *Store) DueBallots(ctx context.Context, now time.Time) ([]int64, error) {
	var ids []int64
	err := s.db.WithContext(ctx).Model(&Ballot{}).Where("state = ? AND closes_at <= ?", StateOpen, now).Order("closes_at, id").Pluck("id", &ids).Error
	return ids, wrap(err, "due ballots")
}
