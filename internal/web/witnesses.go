package web

import (
	"context"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"koinon/internal/clog"
	"koinon/internal/store"
)

// witnessesStore is what the witness handlers need of the store.
type witnessesStore interface {
	Witnesses(ctx context.Context, communityID int64) (store.WitnessConfig, error)
	SetWitnesses(ctx context.Context, communityID int64, cfg store.WitnessConfig) error
	Cosignatures(ctx context.Context, communityID, size int64, root string) ([]store.Cosignature, error)
	Log(ctx context.Context, communityID int64) (store.LogInfo, error)
}

// maxWitnesses bounds a community's witness list.
const maxWitnesses = 20

// witnessProblem is a refused witness configuration: the field (JSON
// path), an i18n key under witnesses.error. and its argument.
type witnessProblem struct {
	Field, Code, Arg string
}

func (p witnessProblem) english() string {
	switch p.Code {
	case "quorum":
		return "must be a whole number from 0 to the number of witnesses"
	case "too_many":
		return fmt.Sprintf("at most %d witnesses", maxWitnesses)
	case "vkey":
		return "not a cosignature/v1 witness key (name+hash+base64 of 0x04 and an Ed25519 key)"
	case "name":
		return "must be the name of the witness's key, " + p.Arg
	case "duplicate":
		return "names the same witness as an earlier line (" + p.Arg + ")"
	default: // url
		return "must be an http or https URL without query, fragment or password (the witness's add-checkpoint prefix)"
	}
}

// checkWitnesses validates a configuration and fills each witness's name
// from its key.
func checkWitnesses(cfg *store.WitnessConfig) *witnessProblem {
	if len(cfg.Witnesses) > maxWitnesses {
		return &witnessProblem{Field: "witnesses", Code: "too_many"}
	}
	seen := map[string]bool{}
	for i := range cfg.Witnesses {
		w := &cfg.Witnesses[i]
		at := fmt.Sprintf("witnesses[%d].", i)
		v, err := clog.CosignatureVerifier(strings.TrimSpace(w.VKey))
		if err != nil {
			return &witnessProblem{Field: at + "vkey", Code: "vkey"}
		}
		w.VKey = strings.TrimSpace(w.VKey)
		if w.Name != "" && w.Name != v.Name() {
			return &witnessProblem{Field: at + "name", Code: "name", Arg: v.Name()}
		}
		w.Name = v.Name()
		if seen[w.Name] {
			return &witnessProblem{Field: at + "vkey", Code: "duplicate", Arg: w.Name}
		}
		seen[w.Name] = true
		u, err := url.Parse(strings.TrimSpace(w.URL))
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
			return &witnessProblem{Field: at + "url", Code: "url"}
		}
		w.URL = u.String()
	}
	if cfg.Quorum < 0 || cfg.Quorum > len(cfg.Witnesses) {
		return &witnessProblem{Field: "quorum", Code: "quorum"}
	}
	return nil
}

// GET /api/v1/communities/:slug/witnesses: the community's witnesses,
// quorum, and the size each last cosigned.
func (s *Server) apiShowWitnesses(c echo.Context) error {
	cfg, err := s.store.Witnesses(c.Request().Context(), routeCommunityOf(c).ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, cfg)
}

// PUT /api/v1/communities/:slug/witnesses (board): replace the witnesses
// and the quorum; 422 naming the field when refused.
func (s *Server) apiSetWitnesses(c echo.Context) error {
	if err := s.logsOn(); err != nil {
		return err
	}
	var body struct {
		Quorum    *int `json:"quorum"`
		Witnesses []struct {
			Name string `json:"name"`
			VKey string `json:"vkey"`
			URL  string `json:"url"`
		} `json:"witnesses"`
	}
	if err := bindJSON(c, &body); err != nil {
		return err
	}
	if body.Quorum == nil {
		return fieldError(http.StatusUnprocessableEntity, "quorum", "is required")
	}
	cfg := store.WitnessConfig{Quorum: *body.Quorum, Witnesses: []store.LogWitness{}}
	for _, w := range body.Witnesses {
		cfg.Witnesses = append(cfg.Witnesses, store.LogWitness{Name: w.Name, VKey: w.VKey, URL: w.URL})
	}
	if p := checkWitnesses(&cfg); p != nil {
		return fieldError(http.StatusUnprocessableEntity, p.Field, p.english())
	}
	ctx := c.Request().Context()
	cm := routeCommunityOf(c)
	if err := s.store.SetWitnesses(ctx, cm.ID, cfg); err != nil {
		return err
	}
	saved, err := s.store.Witnesses(ctx, cm.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, saved)
}

// withCosignatures appends to a signed checkpoint the cosignature lines
// collected for it (C2SP: more signature lines of the same note).
func (s *Server) withCosignatures(ctx context.Context, communityID int64, signed []byte) ([]byte, []store.Cosignature, error) {
	text, _, _ := strings.Cut(string(signed), "\n\n")
	cp, err := clog.ParseCheckpoint(text + "\n")
	if err != nil {
		return nil, nil, err
	}
	cs, err := s.store.Cosignatures(ctx, communityID, cp.Size, hex.EncodeToString(cp.Root[:]))
	if err != nil {
		return nil, nil, err
	}
	for _, c := range cs {
		signed = append(signed, c.Line+"\n"...)
	}
	return signed, cs, nil
}

// --- the log page ---

type logPage struct {
	Page
	Community  store.Community
	Log        store.LogInfo
	Checkpoint string // the signed checkpoint with its cosignatures
	Cosigned   []string
	Witnesses  store.WitnessConfig
	IsBoard    bool
	Values     map[string]string
	Errors     fieldErrors
}

// GET /communities/:slug/log: the community log's latest checkpoint, who
// cosigned it, and the witnesses (the board configures them here).
func (s *Server) showLog(c echo.Context) error {
	return s.renderLog(c, http.StatusOK, nil, nil)
}

func (s *Server) renderLog(c echo.Context, status int, values map[string]string, errs fieldErrors) error {
	if err := s.logsOn(); err != nil {
		return err
	}
	ctx := c.Request().Context()
	cm := routeCommunityOf(c)
	p := logPage{Page: s.page(c, "log.title"), Community: *cm, IsBoard: isBoard(c), Values: values, Errors: errs}
	var err error
	if p.Witnesses, err = s.store.Witnesses(ctx, cm.ID); err != nil {
		return err
	}
	if p.Log, err = s.store.Log(ctx, cm.ID); err != nil {
		return err
	}
	signed, err := s.store.LogCheckpoint(ctx, cm.ID)
	if err != nil {
		return err
	}
	signed, cs, err := s.withCosignatures(ctx, cm.ID, signed)
	if err != nil {
		return err
	}
	p.Checkpoint = string(signed)
	for _, c := range cs {
		p.Cosigned = append(p.Cosigned, c.Witness)
	}
	if p.Values == nil {
		lines := make([]string, len(p.Witnesses.Witnesses))
		for i, w := range p.Witnesses.Witnesses {
			lines[i] = w.VKey + " " + w.URL
		}
		p.Values = map[string]string{"witnesses": strings.Join(lines, "\n"), "quorum": strconv.Itoa(p.Witnesses.Quorum)}
	}
	if p.Errors == nil {
		p.Errors = fieldErrors{}
	}
	return s.render(c, status, "community_log", p)
}

// POST /communities/:slug/witnesses (board): the witnesses, one per line
// "VKEY URL", and the quorum.
func (s *Server) setWitnessesPage(c echo.Context) error {
	values := formValues(c, "witnesses", "quorum")
	cfg := store.WitnessConfig{Witnesses: []store.LogWitness{}}
	errs := fieldErrors{}
	q, err := strconv.Atoi(strings.TrimSpace(values["quorum"]))
	if err != nil {
		errs["quorum"] = s.tr(c, "witnesses.error.quorum")
	}
	cfg.Quorum = q
	var lineOf []int
	for n, line := range strings.Split(values["witnesses"], "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) != 2 {
			errs["witnesses"] = s.tr(c, "witnesses.error.line", n+1)
			break
		}
		cfg.Witnesses = append(cfg.Witnesses, store.LogWitness{VKey: f[0], URL: f[1]})
		lineOf = append(lineOf, n+1)
	}
	if len(errs) == 0 {
		if p := checkWitnesses(&cfg); p != nil {
			field, msg := p.Field, s.tr(c, "witnesses.error."+p.Code, p.Arg)
			if field != "quorum" {
				var i int
				fmt.Sscanf(field, "witnesses[%d]", &i)
				if i < len(lineOf) {
					msg = s.tr(c, "witnesses.error.at_line", lineOf[i], msg)
				}
				field = "witnesses"
			}
			errs[field] = msg
		}
	}
	if len(errs) > 0 {
		return s.renderLog(c, http.StatusUnprocessableEntity, values, errs)
	}
	cm := routeCommunityOf(c)
	if err := s.store.SetWitnesses(c.Request().Context(), cm.ID, cfg); err != nil {
		return err
	}
	s.flash(c, s.tr(c, "witnesses.saved"))
	return redirect(c, "/communities/"+cm.Slug+"/log")
}
