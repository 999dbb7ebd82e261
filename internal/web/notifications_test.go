package web_test

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"koinon"
	"koinon/internal/closing"
	"koinon/internal/notify"
	"koinon/internal/notify/smtptest"
	"koinon/internal/proof"
	"koinon/internal/statement"
	"koinon/internal/store"
	"koinon/internal/store/sqlstore"
	"koinon/internal/store/storetest"
	"koinon/internal/web"
)

// mailWorld is a ballot world whose server has unsubscribe links, a real
// SMTP server and the outbox worker sending to it. The worker runs 31 hours
// ahead, so that delegation notices (dated to the day, visible from the
// next midnight) and the reminders of remind go out too.
type mailWorld struct {
	*ballotWorld
	SMTP   *smtptest.Server
	Server *web.Server
}

func newMailWorld(t *testing.T, st *sqlstore.Store) *mailWorld {
	t.Helper()
	bw := newBallotWorld(t, st)
	unsub := notify.NewUnsubscriber([]byte("0123456789abcdef0123456789abcdef"))
	srv, err := web.New(web.Deps{Store: st, Tokens: testTokens(), Assets: koinon.Assets, Signer: bw.Signer, Unsubscribe: unsub})
	if err != nil {
		t.Fatal(err)
	}
	bw.TS.Config.Handler = srv
	mw := &mailWorld{ballotWorld: bw, SMTP: smtptest.Start(t), Server: srv}
	ahead := sqlstore.WithClock(st, func() time.Time { return time.Now().UTC().Add(31 * time.Hour) })
	w := &notify.Worker{Store: ahead, SMTP: notify.SMTP{Addr: mw.SMTP.Addr, From: "koinon@example.org"},
		Render: &notify.Renderer{Texts: srv.MailTexts(), BaseURL: bw.TS.URL, From: "koinon@example.org", Unsub: unsub},
		Conns:  2, Poll: 20 * time.Millisecond, Backoff: 20 * time.Millisecond, Now: func() time.Time { return time.Now().Add(31 * time.Hour) }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return mw
}

// mailTo waits for a mail to handle whose subject contains subject.
func (mw *mailWorld) mailTo(t *testing.T, handle, subject string) smtptest.Mail {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, m := range mw.SMTP.To(handle + "@example.org") {
			if strings.Contains(m.Subject, subject) {
				return m
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	var got []string
	for _, m := range mw.SMTP.To(handle + "@example.org") {
		got = append(got, m.Subject)
	}
	t.Fatalf("no mail to %s with subject %q; got %q", handle, subject, got)
	return smtptest.Mail{}
}

// lineAfter returns the line of body after the line starting with label.
func lineAfter(t *testing.T, body, label string) string {
	t.Helper()
	lines := strings.Split(body, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, label) && i+1 < len(lines) {
			return strings.TrimSpace(lines[i+1])
		}
	}
	t.Fatalf("no line %q in mail:\n%s", label, body)
	return ""
}

// checkMail checks a mail's language, text and that its link opens (as
// the recipient, or anonymously with anon).
func (mw *mailWorld) checkMail(t *testing.T, m smtptest.Mail, handle, lang string, anon bool, want ...string) string {
	t.Helper()
	if got := m.Header.Get("Content-Language"); got != lang {
		t.Errorf("mail %q: language %q, want %q", m.Subject, got, lang)
	}
	if !strings.HasPrefix(m.Header.Get("Message-ID"), "<outbox-") {
		t.Errorf("mail %q: Message-ID %q", m.Subject, m.Header.Get("Message-ID"))
	}
	for _, w := range want {
		if !strings.Contains(m.Body, w) {
			t.Errorf("mail %q lacks %q:\n%s", m.Subject, w, m.Body)
		}
	}
	open := map[string]string{"en": "Open in Koinon:", "de": "In Koinon öffnen:"}[lang]
	link := lineAfter(t, m.Body, open)
	if !strings.HasPrefix(link, mw.TS.URL+"/") {
		t.Fatalf("mail %q: link %q is not on the site", m.Subject, link)
	}
	who := handle
	if anon {
		who = ""
	}
	if st, body, _ := mw.page(t, who, "GET", strings.TrimPrefix(link, mw.TS.URL), nil); st != 200 {
		t.Errorf("mail %q: link %s = %d: %s", m.Subject, link, st, trim([]byte(body)))
	}
	return link
}

func TestNotificationMailForEveryKind(t *testing.T) {
	storetest.EachMail(t, func(t *testing.T, st *sqlstore.Store) {
		mw := newMailWorld(t, st)
		// bob reads Koinon in German: his mail comes in German.
		if code, _, _ := mw.page(t, "bob", "GET", "/lang/de", nil); code != 303 {
			t.Fatalf("GET /lang/de = %d", code)
		}

		// Invitation: the board adds an existing citizen to the roll.
		mw.W.Citizen("newbie")
		mw.expect(t, "board", "POST", "/api/v1/communities/commons/members", map[string]any{"handle": "newbie", "role": "member", "weight": 1}, 200, "")
		m := mw.mailTo(t, "newbie", "You are on the roll of commons")
		mw.checkMail(t, m, "newbie", "en", true, "You are now on the roll of commons")

		// A roll import creates a citizen: her mail carries the
		// invitation link, which opens without signing in.
		req, _ := http.NewRequest("POST", mw.TS.URL+"/api/v1/communities/commons/roll/import",
			strings.NewReader("handle,email,display_name,role,weight\nfresh,fresh@example.org,Fresh,member,1\n"))
		req.Header.Set("Content-Type", "text/csv")
		req.Header.Set("Authorization", "Bearer "+mw.tok(t, "board"))
		res, err := http.DefaultClient.Do(req)
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("roll import: %v %v", err, res)
		}
		res.Body.Close()
		m = mw.mailTo(t, "fresh", "You are on the roll of commons")
		if link := mw.checkMail(t, m, "fresh", "en", true); !strings.Contains(link, "/invitations/") {
			t.Errorf("the new citizen's mail links to %s, want her invitation", link)
		}

		// Someone starts delegating: bob (German) hears it with his weight.
		mw.expect(t, "ann", "PUT", "/api/v1/delegations", map[string]any{"community": "commons", "delegates": []string{"bob"}}, 200, "")
		m = mw.mailTo(t, "bob", "delegiert jetzt an Sie")
		mw.checkMail(t, m, "bob", "de", false, "ann (@ann)", "jetzt zuerst nennen: 1, mit einem Stimmgewicht von 1")

		// A cycle without backups: cat → dan → cat.
		mw.expect(t, "cat", "PUT", "/api/v1/delegations", map[string]any{"community": "commons", "delegates": []string{"dan"}}, 200, "")
		mw.expect(t, "dan", "PUT", "/api/v1/delegations", map[string]any{"community": "commons", "delegates": []string{"cat"}}, 200, "")
		for _, h := range []string{"cat", "dan"} {
			m = mw.mailTo(t, h, "goes round in a circle")
			mw.checkMail(t, m, h, "en", false, "a circle of 2 citizens")
		}

		// A ballot opens: everyone on the roll hears it.
		id := mw.createOpen(t, map[string]any{"title": "Adopt the charter", "method": "majority", "delegation": true, "secrecy": "public"})
		m = mw.mailTo(t, "gus", "Vote open: Adopt the charter")
		mw.checkMail(t, m, "gus", "en", true, "Voting has opened on “Adopt the charter”")
		m = mw.mailTo(t, "bob", "Abstimmung offen: Adopt the charter")
		mw.checkMail(t, m, "bob", "de", true, "Die Abstimmung „Adopt the charter“ hat begonnen")

		// The delegate votes on a public ballot: ann learns how.
		mw.expect(t, "bob", "PUT", "/api/v1/ballots/"+id+"/vote", map[string]any{"choice": "yes"}, 200, "")
		m = mw.mailTo(t, "ann", "Your delegate voted: Adopt the charter")
		mw.checkMail(t, m, "ann", "en", true, "bob (@bob) voted on “Adopt the charter”: Yes")

		// The delegate leaves: eve, whose only delegate was fay, is lost.
		mw.expect(t, "eve", "PUT", "/api/v1/delegations", map[string]any{"community": "commons", "delegates": []string{"fay"}}, 200, "")
		mw.expect(t, "board", "DELETE", "/api/v1/communities/commons/members/fay", nil, 204, "")
		m = mw.mailTo(t, "eve", "Your delegate left commons")
		mw.checkMail(t, m, "eve", "en", false, "fay (@fay) has left commons")

		// The result is sealed.
		mw.closeAndNotify(t, id)
		m = mw.mailTo(t, "gus", "Result sealed: Adopt the charter")
		mw.checkMail(t, m, "gus", "en", true, "is counted and sealed")

		// The unsubscribe link works without signing in, after a confirmation.
		unsub := lineAfter(t, m.Body, "Stop these mails (no sign-in needed):")
		u, _ := url.Parse(unsub)
		mw.mustPage(t, "", u.RequestURI(), "Stop mail about: A result is sealed?")
		code, body, _ := mw.page(t, "", "POST", "/unsubscribe", url.Values{"q": {u.RawQuery}})
		if code != 200 || !strings.Contains(body, "you will no longer get mail about: A result is sealed") {
			t.Fatalf("POST /unsubscribe = %d: %s", code, trim([]byte(body)))
		}
		forged := strings.Replace(u.RawQuery, "k=result_sealed", "k=ballot_opened", 1)
		if code, _, _ := mw.page(t, "", "POST", "/unsubscribe", url.Values{"q": {forged}}); code != 400 {
			t.Errorf("a link whose kind was changed = %d, want 400", code)
		}
		id2 := mw.createOpen(t, map[string]any{"title": "Second", "method": "majority", "delegation": true, "secrecy": "public"})
		mw.closeAndNotify(t, id2)
		mw.mailTo(t, "gus", "Vote open: Second")
		mw.mailTo(t, "ann", "Result sealed: Second")
		time.Sleep(300 * time.Millisecond)
		for _, m := range mw.SMTP.To("gus@example.org") {
			if m.Subject == "Result sealed: Second" {
				t.Error("gus unsubscribed from results but got one")
			}
		}

		// Nothing was mailed twice.
		seen := map[string]bool{}
		for _, m := range mw.SMTP.Mails() {
			k := m.To + " " + m.Header.Get("Message-ID")
			if seen[k] {
				t.Errorf("mail %q to %s sent twice", m.Subject, m.To)
			}
			seen[k] = true
		}
	})
}

func TestNotificationClosingSoonAndSecrecy(t *testing.T) {
	storetest.EachMail(t, func(t *testing.T, st *sqlstore.Store) {
		mw := newMailWorld(t, st)
		mw.expect(t, "ann", "PUT", "/api/v1/delegations", map[string]any{"community": "commons", "delegates": []string{"bob"}}, 200, "")
		closes := time.Now().UTC().Add(48 * time.Hour).Truncate(time.Second)
		id := mw.createOpen(t, map[string]any{"title": "Budget 2027", "method": "majority", "delegation": true,
			"secrecy": "pseudonymous", "closes_at": closes.Format(time.RFC3339)})
		// The delegate votes on a pseudonymous ballot: ann learns only that.
		mw.expect(t, "bob", "PUT", "/api/v1/ballots/"+id+"/vote", map[string]any{"choice": "no"}, 200, "")
		m := mw.mailTo(t, "ann", "Your delegate voted: Budget 2027")
		mw.checkMail(t, m, "ann", "en", true, "bob (@bob) voted on “Budget 2027”, so your vote is carried")
		if strings.Contains(m.Body, "No") || strings.Contains(m.Body, ": no") {
			t.Errorf("a pseudonymous ballot's mail tells the delegate's choice:\n%s", m.Body)
		}

		// A day before the close: cat's delegate dan has not voted, gus
		// has no delegate and has not voted; ann's vote is carried by bob.
		mw.expect(t, "cat", "PUT", "/api/v1/delegations", map[string]any{"community": "commons", "delegates": []string{"dan"}}, 200, "")
		if n := remind(t, st); n != 1 {
			t.Fatalf("reminded %d ballots, want 1", n)
		}
		m = mw.mailTo(t, "cat", "Your delegate has not voted: Budget 2027")
		mw.checkMail(t, m, "cat", "en", true, "Your delegate dan (@dan) has not voted; vote yourself or add a backup delegate")
		m = mw.mailTo(t, "gus", "Closes within a day: Budget 2027")
		mw.checkMail(t, m, "gus", "en", true, "you have not voted")
		if n := remind(t, st); n != 0 {
			t.Fatalf("second run reminded %d ballots, want 0", n)
		}
		time.Sleep(300 * time.Millisecond)
		for _, h := range []string{"ann", "bob"} {
			for _, m := range mw.SMTP.To(h + "@example.org") {
				if strings.Contains(m.Subject, "has not voted") || strings.Contains(m.Subject, "Closes within") {
					t.Errorf("%s, whose vote is cast or carried, got %q", h, m.Subject)
				}
			}
		}
		if got := len(mw.SMTP.To("cat@example.org")); got != 2 { // opened, reminder
			t.Errorf("cat got %d mails, want 2 (opened, reminder)", got)
		}
	})
}

// remind runs the scheduler's reminders as if it were 30 hours later.
func remind(t *testing.T, st *sqlstore.Store) int {
	t.Helper()
	later := sqlstore.WithClock(st, func() time.Time { return time.Now().UTC().Add(30 * time.Hour) })
	n, err := closing.New(later, nil, nil).RemindDue(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// While the SMTP server refuses, the notifications page says mail is
// delayed (and still lists the notification); once it accepts, the mail
// goes out and the page stops saying so.
func TestNotificationPageSaysMailIsDelayed(t *testing.T) {
	st := storetest.MailSQLite(t)
	mw := newMailWorld(t, st)
	mw.SMTP.SetMode(smtptest.Refuse)
	mw.W.Citizen("newbie")
	mw.expect(t, "board", "POST", "/api/v1/communities/commons/members", map[string]any{"handle": "newbie", "role": "member", "weight": 1}, 200, "")
	deadline := time.Now().Add(10 * time.Second)
	for len(mw.SMTP.Tries()) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // the refusal is recorded
	mw.mustPage(t, "newbie", "/notifications", "Mail is delayed", "You are now on the roll of commons")
	mw.SMTP.SetMode(smtptest.Accept)
	mw.mailTo(t, "newbie", "You are on the roll of commons")
	time.Sleep(100 * time.Millisecond)
	if body := mw.mustPage(t, "newbie", "/notifications"); strings.Contains(body, "Mail is delayed") {
		t.Error("the page still says mail is delayed after it went out")
	}
}

// "Your delegate voted" follows the list that applies to the ballot: a
// topic list overrides the community one, and a replaced vote is not told
// again.
func TestNotificationDelegateVotedFollowsTheScope(t *testing.T) {
	mw := newMailWorld(t, storetest.MailSQLite(t))
	mw.expect(t, "ann", "PUT", "/api/v1/delegations", map[string]any{"community": "commons", "delegates": []string{"bob"}}, 200, "")
	mw.expect(t, "ann", "PUT", "/api/v1/delegations", map[string]any{"community": "commons", "topic": "infra", "delegates": []string{"cat"}}, 200, "")
	id := mw.createOpen(t, map[string]any{"title": "New servers", "method": "majority", "delegation": true, "secrecy": "public", "topic": "infra"})
	mw.expect(t, "bob", "PUT", "/api/v1/ballots/"+id+"/vote", map[string]any{"choice": "no"}, 200, "")
	mw.expect(t, "cat", "PUT", "/api/v1/ballots/"+id+"/vote", map[string]any{"choice": "yes"}, 200, "")
	mw.expect(t, "cat", "PUT", "/api/v1/ballots/"+id+"/vote", map[string]any{"choice": "abstain"}, 200, "")
	m := mw.mailTo(t, "ann", "Your delegate voted: New servers")
	mw.checkMail(t, m, "ann", "en", true, "cat (@cat) voted on “New servers”: Yes")
	time.Sleep(300 * time.Millisecond)
	var told []string
	for _, m := range mw.SMTP.To("ann@example.org") {
		if strings.HasPrefix(m.Subject, "Your delegate voted") {
			told = append(told, m.Body)
		}
	}
	if len(told) != 1 {
		t.Errorf("ann was told %d times, want once (cat's first vote, not bob's):\n%q", len(told), told)
	}
}

// A signing key registered for a citizen (a signed statement through the
// API) is mailed to her, so that a key she did not register is noticed.
func TestNotificationKeyRegistered(t *testing.T) {
	st := storetest.MailSQLite(t)
	storetest.Logs(t, st, "https://vote.example.org/logs/")
	mw := newMailWorld(t, st)
	_, key, _ := ed25519.GenerateKey(nil)
	pub := key.Public().(ed25519.PublicKey)
	raw, _ := statement.Content(statement.KeyContent{Citizen: "ann", PublicKey: base64.StdEncoding.EncodeToString(pub)})
	env, err := statement.Sign(statement.Statement{Format: statement.Format, Kind: statement.KeyRegister, Community: "commons",
		Scope: statement.ScopeCommunity, Content: raw, At: "2026-12-05T10:00:00Z", Key: proof.KeyID(pub)}, key, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	mw.expect(t, "ann", "POST", "/api/v1/communities/commons/statements", env, 200, "")
	m := mw.mailTo(t, "ann", "New signing key for your account in commons")
	mw.checkMail(t, m, "ann", "en", false, proof.KeyID(pub), "If you did not register it, revoke it")
}

// A secret ballot that enters tallying tells its trustees that their
// decryption share is awaited (store.EnqueueTrusteeShareDue, called by the
// tallying step): in each trustee's language, with a link to the ballot
// and an unsubscribe link for this kind; enqueuing again sends nothing.
func TestNotificationDecryptionShareDue(t *testing.T) {
	storetest.EachMail(t, func(t *testing.T, st *sqlstore.Store) {
		mw := newMailWorld(t, st)
		if code, _, _ := mw.page(t, "bob", "GET", "/lang/de", nil); code != 303 {
			t.Fatalf("GET /lang/de = %d", code)
		}
		id := mw.createOpen(t, map[string]any{"title": "Board election", "method": "majority", "delegation": false, "secrecy": "public"})
		ballotID, _ := strconv.ParseInt(id, 10, 64)
		trustees := []int64{mw.W.ID("bob"), mw.W.ID("cat"), 1 << 40} // the last names nobody
		for range 2 {
			if err := st.EnqueueTrusteeShareDue(context.Background(), ballotID, trustees); err != nil {
				t.Fatal(err)
			}
		}
		m := mw.mailTo(t, "cat", "Your decryption share is awaited: Board election")
		mw.checkMail(t, m, "cat", "en", true, "As one of its trustees, submit your decryption share", "Voting on “Board election” has ended")
		if lineAfter(t, m.Body, "Open in Koinon:") != mw.TS.URL+"/ballots/"+id {
			t.Errorf("the mail links elsewhere than the ballot:\n%s", m.Body)
		}
		unsub, _ := url.Parse(lineAfter(t, m.Body, "Stop these mails (no sign-in needed):"))
		if unsub.Query().Get("k") != "decryption_share" {
			t.Errorf("unsubscribe link %s is not for this kind", unsub)
		}
		m = mw.mailTo(t, "bob", "Ihr Entschlüsselungsanteil wird erwartet: Board election")
		mw.checkMail(t, m, "bob", "de", true, "Als eine der Treuhänderinnen und Treuhänder")
		mw.mustPage(t, "cat", "/notifications", "As one of its trustees, submit your decryption share")
		mw.mustPage(t, "cat", "/notifications", "A secret ballot awaits your decryption share (trustees)") // the switch
		time.Sleep(300 * time.Millisecond)
		for _, h := range []string{"bob", "cat"} {
			n := 0
			for _, m := range mw.SMTP.To(h + "@example.org") {
				if strings.Contains(m.Subject, "Board election") && !strings.Contains(m.Subject, "Vote open") && !strings.Contains(m.Subject, "Abstimmung offen") {
					n++
				}
			}
			if n != 1 {
				t.Errorf("%s got %d share mails, want 1", h, n)
			}
		}
		if err := st.EnqueueTrusteeShareDue(context.Background(), 1<<40, trustees); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown ballot: %v, want ErrNotFound", err)
		}
	})
}

// A delegator who takes a delegate off her list: the delegate hears it,
// with the weight she now carries there.
func TestNotificationDelegationStopped(t *testing.T) {
	mw := newMailWorld(t, storetest.MailSQLite(t))
	mw.expect(t, "ann", "PUT", "/api/v1/delegations", map[string]any{"community": "commons", "delegates": []string{"bob"}}, 200, "")
	mw.expect(t, "cat", "PUT", "/api/v1/delegations", map[string]any{"community": "commons", "delegates": []string{"bob"}}, 200, "")
	mw.mailTo(t, "bob", "ann (@ann) now delegates to you")
	mw.expect(t, "ann", "DELETE", "/api/v1/delegations", map[string]any{"community": "commons"}, 200, "")
	m := mw.mailTo(t, "bob", "ann (@ann) no longer delegates to you")
	mw.checkMail(t, m, "bob", "en", false, "took you off their delegates for commons", "Citizens who now list you first there: 1, with a roll weight of 1")
}

// A day before a public ballot closes, a citizen whose only delegate
// left the community before it opened (so is not on its roll) and who has
// not voted hears that her vote will not count.
func TestNotificationClosingSoonLost(t *testing.T) {
	st := storetest.MailSQLite(t)
	mw := newMailWorld(t, st)
	mw.expect(t, "eve", "PUT", "/api/v1/delegations", map[string]any{"community": "commons", "delegates": []string{"fay"}}, 200, "")
	mw.expect(t, "board", "DELETE", "/api/v1/communities/commons/members/fay", nil, 204, "")
	closes := time.Now().UTC().Add(48 * time.Hour).Truncate(time.Second)
	mw.createOpen(t, map[string]any{"title": "Bike racks", "method": "majority", "delegation": true,
		"secrecy": "public", "closes_at": closes.Format(time.RFC3339)})
	if n := remind(t, st); n != 1 {
		t.Fatalf("reminded %d ballots, want 1", n)
	}
	m := mw.mailTo(t, "eve", "Your vote will not count: Bike racks")
	mw.checkMail(t, m, "eve", "en", true, "your delegation leads to no vote, so your vote will not count")
}

// closeAndNotify closes a ballot through the API and sends its voters the
// "result sealed" notices, as the server's scheduler does after a close.
func (bw *ballotWorld) closeAndNotify(t *testing.T, id string) {
	t.Helper()
	bw.expect(t, "board", "POST", "/api/v1/ballots/"+id+"/close", nil, 200, "")
	if n, err := bw.W.S.FanOut(context.Background()); n != 1 || err != nil {
		t.Fatalf("FanOut after closing ballot %s = %d, %v", id, n, err)
	}
}
