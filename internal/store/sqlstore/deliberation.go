package sqlstore

import (
	"context"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"koinon/internal/domain"
)

// discussing loads the proposal for update (PostgreSQL) and its ballot,
// and refuses unless it is in the discussion phase.
func (s *Store) discussing(tx *gorm.DB, id int64) (Proposal, error) {
	var p Proposal
	q := tx.Where("id = ?", id)
	if s.dialect == "postgres" {
		q = q.Clauses(forUpdate())
	}
	if err := q.First(&p).Error; err != nil {
		return p, wrap(err, "proposal %d", id)
	}
	var b *Ballot
	if p.BallotID != nil {
		var bb Ballot
		if err := tx.Select("id", "state").First(&bb, *p.BallotID).Error; err != nil {
			return p, wrap(err, "ballot %d", *p.BallotID)
		}
		b = &bb
	}
	if ph := Phase(p, b, s.Now()); ph != PhaseDiscussion {
		return p, &domain.StateError{Code: "not_discussing", Message: "the proposal is " + ph + ": its text and suggestions can no longer change"}
	}
	return p, nil
}

// ProposalVersions lists every version, oldest first; a proposal never
// revised has only version 1, its current text.
func (s *Store) ProposalVersions(ctx context.Context, p Proposal) ([]ProposalVersion, error) {
	var vs []ProposalVersion
	if err := s.db.WithContext(ctx).Where("proposal_id = ?", p.ID).Order("version").Find(&vs).Error; err != nil {
		return nil, wrap(err, "versions of proposal %d", p.ID)
	}
	if len(vs) == 0 {
		vs = []ProposalVersion{{ProposalID: p.ID, Version: 1, Title: p.Title, Body: p.Body, CreatedAt: p.CreatedAt}}
	}
	return vs, nil
}

// ReviseProposal makes a new version of the proposal, by its author, in
// the discussion phase; the earlier versions are kept.
func (s *Store) ReviseProposal(ctx context.Context, id, authorID int64, title, body, note string) (ProposalVersion, error) {
	var v ProposalVersion
	err := s.tx(ctx, func(tx *gorm.DB) error {
		p, err := s.discussing(tx, id)
		if err != nil {
			return err
		}
		if p.AuthorID != authorID {
			return domain.ErrForbidden
		}
		var last ProposalVersion
		err = tx.Where("proposal_id = ?", id).Order("version DESC").First(&last).Error
		switch {
		case isNotFound(err):
			last = ProposalVersion{ProposalID: id, Version: 1, Title: p.Title, Body: p.Body, CreatedAt: p.CreatedAt}
			if err := tx.Create(&last).Error; err != nil {
				return wrap(err, "version 1 of proposal %d", id)
			}
		case err != nil:
			return wrap(err, "versions of proposal %d", id)
		}
		v = ProposalVersion{ProposalID: id, Version: last.Version + 1, Title: title, Body: body, Note: note, CreatedAt: s.stamp()}
		if err := tx.Create(&v).Error; err != nil {
			return wrap(err, "revise proposal %d", id)
		}
		return wrap(tx.Model(&Proposal{}).Where("id = ?", id).Updates(map[string]any{"title": title, "body": body}).Error, "revise proposal %d", id)
	})
	return v, err
}

// SetDiscussionEnd sets when the discussion phase ends (now or later),
// while it lasts.
func (s *Store) SetDiscussionEnd(ctx context.Context, id int64, at time.Time) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		if _, err := s.discussing(tx, id); err != nil {
			return err
		}
		return wrap(tx.Model(&Proposal{}).Where("id = ?", id).Update("discussion_ends_at", at.UTC().Truncate(time.Second)).Error, "freeze proposal %d", id)
	})
}

// AddPost stores an argument or comment; a reply's parent must be a post
// on the same proposal. Posting ends when the ballot closes.
func (s *Store) AddPost(ctx context.Context, p *Post) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		var pr Proposal
		if err := tx.First(&pr, p.ProposalID).Error; err != nil {
			return wrap(err, "proposal %d", p.ProposalID)
		}
		if pr.BallotID != nil {
			var n int64
			if err := tx.Model(&Ballot{}).Where("id = ? AND state = ?", *pr.BallotID, StateClosed).Count(&n).Error; err != nil {
				return wrap(err, "ballot of proposal %d", pr.ID)
			}
			if n > 0 {
				return &domain.StateError{Code: "closed", Message: "the ballot on this proposal is closed"}
			}
		}
		if p.ParentID != nil {
			var n int64
			if err := tx.Model(&Post{}).Where("id = ? AND proposal_id = ?", *p.ParentID, p.ProposalID).Count(&n).Error; err != nil {
				return wrap(err, "parent post")
			}
			if n == 0 {
				return domain.Refuse("parent", "no_parent")
			}
		}
		p.ID, p.CreatedAt = 0, s.stamp()
		return wrap(tx.Create(p).Error, "add post")
	})
}

// Posts lists a proposal's posts oldest first, with support counts and
// whether reader (0: nobody) supports each.
func (s *Store) Posts(ctx context.Context, proposalID, reader int64) ([]PostView, error) {
	var out []PostView
	err := s.db.WithContext(ctx).Table("posts p").
		Select(`p.*, c.handle AS author_handle,
			(SELECT COUNT(*) FROM post_supports s WHERE s.post_id = p.id) AS supporters,
			EXISTS (SELECT 1 FROM post_supports s WHERE s.post_id = p.id AND s.citizen_id = ?) AS supported`, reader).
		Joins("JOIN citizens c ON c.id = p.author_id").
		Where("p.proposal_id = ?", proposalID).Order("p.created_at, p.id").Scan(&out).Error
	return out, wrap(err, "posts of proposal %d", proposalID)
}

// PostOf loads a post of the proposal.
func (s *Store) PostOf(ctx context.Context, proposalID, postID int64) (Post, error) {
	var p Post
	err := s.db.WithContext(ctx).Where("id = ? AND proposal_id = ?", postID, proposalID).First(&p).Error
	return p, wrap(err, "post %d", postID)
}

// SetPostSupport adds or withdraws a citizen's support of a post.
func (s *Store) SetPostSupport(ctx context.Context, postID, citizenID int64, on bool) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		if !on {
			return wrap(tx.Where("post_id = ? AND citizen_id = ?", postID, citizenID).Delete(&postSupport{}).Error, "withdraw support")
		}
		row := postSupport{PostID: postID, CitizenID: citizenID, CreatedAt: s.stamp()}
		return wrap(tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&row).Error, "support post %d", postID)
	})
}

type postSupport struct {
	PostID    int64 `gorm:"primaryKey;autoIncrement:false"`
	CitizenID int64 `gorm:"primaryKey;autoIncrement:false"`
	CreatedAt time.Time
}

func (postSupport) TableName() string { return "post_supports" }

// HidePost hides a post with the board's stated reason and logs it, in
// one transaction; a post already hidden is a StateError.
func (s *Store) HidePost(ctx context.Context, communityID, postID, boardID int64, reason string) error {
	now := s.stamp()
	return s.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&Post{}).Where("id = ? AND hidden_at IS NULL", postID).
			Updates(map[string]any{"hidden_at": now, "hidden_reason": reason})
		if res.Error != nil {
			return wrap(res.Error, "hide post %d", postID)
		}
		if res.RowsAffected == 0 {
			return &domain.StateError{Code: "hidden", Message: "this post is already hidden"}
		}
		e := ModerationEntry{CommunityID: communityID, PostID: postID, BoardID: boardID, Reason: reason, CreatedAt: now}
		return wrap(tx.Create(&e).Error, "log moderation")
	})
}

// ModerationLog lists a community's moderation entries, newest first.
func (s *Store) ModerationLog(ctx context.Context, communityID int64, limit int) ([]ModerationView, error) {
	var out []ModerationView
	err := s.db.WithContext(ctx).Table("moderation_log m").
		Select("m.*, c.handle AS board_handle, pr.id AS proposal_id, pr.title AS proposal_title").
		Joins("JOIN citizens c ON c.id = m.board_id").
		Joins("JOIN posts p ON p.id = m.post_id").
		Joins("JOIN proposals pr ON pr.id = p.proposal_id").
		Where("m.community_id = ?", communityID).Order("m.created_at DESC, m.id DESC").Limit(limit).Scan(&out).Error
	return out, wrap(err, "moderation log")
}

// AddSuggestion stores a suggested change, in the discussion phase.
func (s *Store) AddSuggestion(ctx context.Context, sg *Suggestion) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		if _, err := s.discussing(tx, sg.ProposalID); err != nil {
			return err
		}
		sg.ID, sg.State, sg.CreatedAt, sg.DecidedAt = 0, SuggestionOpen, s.stamp(), nil
		return wrap(tx.Create(sg).Error, "add suggestion")
	})
}

// DecideSuggestion marks a suggestion adopted or rejected, by the
// proposal's author, in the discussion phase.
func (s *Store) DecideSuggestion(ctx context.Context, proposalID, suggestionID, authorID int64, state string) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		p, err := s.discussing(tx, proposalID)
		if err != nil {
			return err
		}
		if p.AuthorID != authorID {
			return domain.ErrForbidden
		}
		now := s.stamp()
		res := tx.Model(&Suggestion{}).Where("id = ? AND proposal_id = ?", suggestionID, proposalID).
			Updates(map[string]any{"state": state, "decided_at": now})
		if res.Error == nil && res.RowsAffected == 0 {
			return wrap(gorm.ErrRecordNotFound, "suggestion %d", suggestionID)
		}
		return wrap(res.Error, "decide suggestion %d", suggestionID)
	})
}

// Suggestions lists a proposal's suggestions, oldest first.
func (s *Store) Suggestions(ctx context.Context, proposalID int64) ([]SuggestionView, error) {
	var out []SuggestionView
	err := s.db.WithContext(ctx).Table("suggestions sg").Select("sg.*, c.handle AS author_handle").
		Joins("JOIN citizens c ON c.id = sg.author_id").
		Where("sg.proposal_id = ?", proposalID).Order("sg.created_at, sg.id").Scan(&out).Error
	return out, wrap(err, "suggestions of proposal %d", proposalID)
}
