// Package web serves Koinon's pages and its JSON API (/api/v1) with echo.
// It owns HTTP: routing (one table with a permission per route,
// routes.go), middleware, handlers, view models, templates rendering and
// the caches of derived result data (cache.go). Handlers parse input, call
// the rules of domain and the store, and render or redirect; errors go to
// one handler (errors.go). It holds no SQL: it names store's records and
// reaches the database through narrow interfaces declared beside the
// handlers that use them (composed into Store), and must not import gorm,
// a database driver or store/sqlstore (TestWebLinksNoDatabase).
package web

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"koinon/internal/auth"
	"koinon/internal/closing"
	"koinon/internal/metrics"
	"koinon/internal/notify"
)

// Store is all the server needs of the database: the narrow interfaces
// declared beside the handlers that use them, and what the closer needs.
// *sqlstore.Store implements it; web imports no database package.
type Store interface {
	auditStore
	authzStore
	ballotActionsStore
	ballotNewStore
	ballotShowStore
	ballotsStore
	citizensStore
	communitiesStore
	delegationsStore
	deliberationStore
	homeStore
	logsStore
	middlewareStore
	notificationsStore
	offersStore
	oidcStore
	pageStore
	profilesStore
	proofsStore
	proposalsStore
	resultsStore
	rollStore
	routesStore
	secretStore
	statementsStore
	topicsStore
	votesStore
	witnessesStore
	closing.Store
}

// Deps are the server's collaborators, wired in one place (cmd/koinon).
type Deps struct {
	Store  Store
	Tokens *auth.Tokens
	Assets fs.FS // holds templates/, static/ and locales/
	Log    *slog.Logger
	Now    func() time.Time
	// Signer seals ballot proofs; Keys lists the platform's public keys.
	Signer Signer
	// SecureCookies marks every cookie Secure and sends HSTS (set when
	// users reach the server over https: koinon serve --public-url).
	SecureCookies bool
	// Metrics is served at /metrics; New creates one when nil.
	Metrics *metrics.Metrics
	// Unsubscribe checks mails' unsubscribe links (nil: no mail).
	Unsubscribe *notify.Unsubscriber
	// OIDC signs citizens in through a provider (nil: off);
	// NoPasswordSignin turns password sign-in and sign-up off.
	OIDC             *OIDC
	NoPasswordSignin bool
}

// Server is the HTTP application.
type Server struct {
	echo       *echo.Echo
	store      Store
	tokens     *auth.Tokens
	renderer   *renderer
	locales    *locales
	log        *slog.Logger
	now        func() time.Time
	signer     Signer
	secure     bool
	static     fs.FS
	limiter    *loginLimiter
	metrics    *metrics.Metrics
	results    resultCaches   // what result pages derive from sealed proofs (results.go)
	options    optionCache    // options of open and closed ballots (votes.go)
	voteScopes voteScopeCache // what a vote acts on (votescope.go)
	unsub      *notify.Unsubscriber
	oidc       *OIDC // oidc.go
	// postLimit bounds how fast a citizen posts (deliberation.go).
	postLimit *postLimiter
	// passwordSignin: sign-in and sign-up with a password are allowed.
	passwordSignin bool
}

// New builds the server and its routes.
func New(d Deps) (*Server, error) {
	if d.Now == nil {
		d.Now = func() time.Time { return time.Now().UTC() }
	}
	if d.Metrics == nil {
		d.Metrics = metrics.New()
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	locFS, err := fs.Sub(d.Assets, "locales")
	if err != nil {
		return nil, err
	}
	loc, err := loadLocales(locFS)
	if err != nil {
		return nil, err
	}
	tplFS, err := fs.Sub(d.Assets, "templates")
	if err != nil {
		return nil, err
	}
	r, err := newRenderer(tplFS, loc, templateFuncs())
	if err != nil {
		return nil, err
	}
	staticFS, err := fs.Sub(d.Assets, "static")
	if err != nil {
		return nil, err
	}
	s := &Server{
		echo:           echo.New(),
		store:          d.Store,
		tokens:         d.Tokens,
		renderer:       r,
		locales:        loc,
		log:            d.Log,
		now:            d.Now,
		signer:         d.Signer,
		secure:         d.SecureCookies,
		static:         staticFS,
		results:        newResultCaches(),
		limiter:        newLoginLimiter(d.Now),
		metrics:        d.Metrics,
		oidc:           d.OIDC,
		postLimit:      newPostLimiter(d.Now),
		passwordSignin: !d.NoPasswordSignin,
		unsub:          d.Unsubscribe,
	}
	e := s.echo
	e.HideBanner, e.HidePort = true, true
	e.IPExtractor = echo.ExtractIPDirect()
	e.HTTPErrorHandler = s.handleError
	s.middleware()
	s.routes()
	return s, nil
}

// ServeHTTP makes the server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.echo.ServeHTTP(w, r) }

// Routes lists "METHOD path" of every registered route (for the OpenAPI test).
func (s *Server) Routes() []string {
	var out []string
	for _, r := range s.echo.Routes() {
		out = append(out, r.Method+" "+r.Path)
	}
	return out
}

// ListenAndServe serves on addr until ctx ends, then shuts down
// gracefully: in-flight requests get up to 10 seconds to finish.
func (s *Server) ListenAndServe(ctx context.Context, addr string, ready func(addr string)) error {
	hs := &http.Server{
		Addr:              addr,
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	ln, err := listen(addr)
	if err != nil {
		return err
	}
	if ready != nil {
		ready(ln.Addr().String())
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("web: serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return hs.Shutdown(sctx)
}
