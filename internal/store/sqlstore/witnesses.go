package sqlstore

import (
	"context"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"koinon/internal/store"
)

// Witnesses returns a community's witness configuration, each witness
// with the size of the latest checkpoint it cosigned for this server.
func (s *Store) Witnesses(ctx context.Context, communityID int64) (store.WitnessConfig, error) {
	return loadWitnesses(s.db.WithContext(ctx), communityID)
}

func loadWitnesses(db *gorm.DB, communityID int64) (store.WitnessConfig, error) {
	var cfg store.WitnessConfig
	if err := db.Where("community_id = ?", communityID).Order("position").Find(&cfg.Witnesses).Error; err != nil {
		return cfg, wrap(err, "witnesses of community %d", communityID)
	}
	if err := db.Raw("SELECT quorum FROM log_witness_quorums WHERE community_id = ?", communityID).Scan(&cfg.Quorum).Error; err != nil {
		return cfg, wrap(err, "witness quorum of community %d", communityID)
	}
	var latest []struct {
		Witness string
		Size    int64
	}
	if err := db.Raw("SELECT witness, MAX(size) AS size FROM log_cosignatures WHERE community_id = ? GROUP BY witness", communityID).
		Scan(&latest).Error; err != nil {
		return cfg, wrap(err, "cosignatures of community %d", communityID)
	}
	for _, l := range latest {
		for i := range cfg.Witnesses {
			if cfg.Witnesses[i].Name == l.Witness {
				cfg.Witnesses[i].Cosigned = l.Size
			}
		}
	}
	if cfg.Witnesses == nil {
		cfg.Witnesses = []store.LogWitness{}
	}
	return cfg, nil
}

// SetWitnesses replaces a community's witnesses and quorum (validated by
// the caller). Cosignatures already collected are kept.
func (s *Store) SetWitnesses(ctx context.Context, communityID int64, cfg store.WitnessConfig) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Where("community_id = ?", communityID).Delete(&store.LogWitness{}).Error; err != nil {
			return wrap(err, "witnesses of community %d", communityID)
		}
		for i, w := range cfg.Witnesses {
			w.CommunityID, w.Position, w.LastError = communityID, i, ""
			if err := tx.Create(&w).Error; err != nil {
				return wrap(err, "witness %s", w.Name)
			}
		}
		return wrap(tx.Exec(`INSERT INTO log_witness_quorums (community_id, quorum) VALUES (?, ?)
			ON CONFLICT (community_id) DO UPDATE SET quorum = excluded.quorum`, communityID, cfg.Quorum).Error,
			"witness quorum of community %d", communityID)
	})
}

// WitnessedCommunities lists the communities that have witnesses.
func (s *Store) WitnessedCommunities(ctx context.Context) ([]int64, error) {
	var ids []int64
	err := s.db.WithContext(ctx).Raw("SELECT DISTINCT community_id FROM log_witnesses ORDER BY community_id").Scan(&ids).Error
	return ids, wrap(err, "witnessed communities")
}

// SaveCosignatures stores cosignatures (one already stored is kept) and
// clears their witnesses' last error.
func (s *Store) SaveCosignatures(ctx context.Context, cs []store.Cosignature) error {
	if len(cs) == 0 {
		return nil
	}
	return s.tx(ctx, func(tx *gorm.DB) error { return saveCosignatures(tx, cs) })
}

func saveCosignatures(tx *gorm.DB, cs []store.Cosignature) error {
	if len(cs) == 0 {
		return nil
	}
	if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&cs).Error; err != nil {
		return wrap(err, "store cosignatures")
	}
	for _, c := range cs {
		if err := tx.Model(&store.LogWitness{}).Where("community_id = ? AND name = ?", c.CommunityID, c.Witness).
			Update("last_error", "").Error; err != nil {
			return wrap(err, "witness %s", c.Witness)
		}
	}
	return nil
}

// SetWitnessError records the latest failure submitting to a witness.
func (s *Store) SetWitnessError(ctx context.Context, communityID int64, name, msg string) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		return wrap(tx.Model(&store.LogWitness{}).Where("community_id = ? AND name = ?", communityID, name).
			Update("last_error", msg).Error, "witness %s", name)
	})
}

// Cosignatures returns the stored cosignatures of the checkpoint of size
// with root (hex), in the witnesses' configured order; those of witnesses
// no longer configured are left out.
func (s *Store) Cosignatures(ctx context.Context, communityID, size int64, root string) ([]store.Cosignature, error) {
	var lines []store.Cosignature
	err := s.db.WithContext(ctx).Raw(`SELECT c.* FROM log_cosignatures c
		JOIN log_witnesses w ON w.community_id = c.community_id AND w.name = c.witness
		WHERE c.community_id = ? AND c.size = ? AND c.root = ? ORDER BY w.position`, communityID, size, root).Scan(&lines).Error
	return lines, wrap(err, "cosignatures of community %d", communityID)
}
