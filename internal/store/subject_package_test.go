package store_test

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/dsr"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

var packageLink = regexp.MustCompile(`https://kluis\.test/gent/privacy/package/([A-Za-z0-9_-]+)\?lang=([a-z]{2})`)

// fakeOverview stands in for the web's PDF: it proves the store hands it
// the package, the language and the forms, and stores what it returns.
func fakeOverview(in store.OverviewInput) ([]byte, error) {
	if len(in.Forms) == 0 {
		return nil, errors.New("no forms for the overview")
	}
	return []byte("%PDF-1.4 overview " + in.Lang + " " + in.Package.RequestID), nil
}

// citizenAccess files an access request as An (address proven by code)
// in lang and returns it, approved when approve is set.
func citizenAccess(t *testing.T, env *storetest.Env, fx inboxFixture, lang string, approve bool) store.SubjectRequest {
	t.Helper()
	claimedSent(t, env)
	id, err := env.DB.RequestCitizenCode(ctx, fx.tn.ID, fx.tn.LegalName, anAddress, dsr.Access, lang)
	if err != nil {
		t.Fatal(err)
	}
	r, err := env.DB.FileCitizenRequest(ctx, fx.tn.ID, id, codeFrom(t, env, anAddress))
	if err != nil {
		t.Fatal(err)
	}
	if approve {
		if err := env.DB.DecideSubjectRequest(ctx, dsrDPO, fx.tn.ID, r.ID, true, "Adres bevestigd"); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

// executeWithLink executes r with a package and returns the link's token
// from the answer-ready mail.
func executeWithLink(t *testing.T, env *storetest.Env, tenantID, id, lang string) string {
	t.Helper()
	if err := env.DB.ExecuteSubjectRequestWith(ctx, dsrDPO, tenantID, id,
		store.PackageOptions{Overview: fakeOverview, LinkBase: "https://kluis.test"}); err != nil {
		t.Fatal(err)
	}
	mails := claimedSent(t, env)
	if len(mails) != 1 || mails[0].Kind != "dsr.answer" || mails[0].To != anAddress || mails[0].Lang != lang {
		t.Fatalf("answer mail: %+v", mails)
	}
	m := packageLink.FindStringSubmatch(mails[0].Body)
	if m == nil || m[2] != lang {
		t.Fatalf("no link in %q", mails[0].Body)
	}
	return m[1]
}

// packageCode asks a download code and returns it from its mail.
func packageCode(t *testing.T, env *storetest.Env, fx inboxFixture, token, lang string) string {
	t.Helper()
	if err := env.DB.RequestPackageCode(ctx, fx.tn.ID, fx.tn.LegalName, token); err != nil {
		t.Fatal(err)
	}
	mails := claimedSent(t, env)
	if len(mails) != 1 || mails[0].To != anAddress || mails[0].Kind != "dsr.package.code" || mails[0].Lang != lang {
		t.Fatalf("code mail: %+v", mails)
	}
	code := sixDigits.FindString(mails[0].Body)
	if code == "" {
		t.Fatalf("no code in %q", mails[0].Body)
	}
	return code
}

// claimedSent claims the queued mails and marks them sent, so that none
// comes back when the clock moves.
func claimedSent(t *testing.T, env *storetest.Env) []store.QueuedMail {
	t.Helper()
	mails := claimed(t, env)
	for _, m := range mails {
		if err := env.DB.MailSent(ctx, m.ID); err != nil {
			t.Fatal(err)
		}
	}
	return mails
}

func zipEntries(t *testing.T, b []byte) map[string][]byte {
	t.Helper()
	z, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, f := range z.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		out[f.Name], _ = io.ReadAll(rc)
		rc.Close()
	}
	return out
}

func packageRows(t *testing.T, env *storetest.Env, tenantID string) int {
	t.Helper()
	var n int
	if err := env.Raw(t).QueryRow(`SELECT count(*) FROM subject_packages WHERE tenant_id = $1`, tenantID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestClauseDSR1_PackageStoredSealedBehindLinkAndCode: executing a
// citizen's approved access request builds the package once and stores it
// sealed (the raw row holds neither a ZIP nor a seeded answer, the token
// only as a keyed hash); the answer-ready mail carries a link without
// personal data; the download needs a code mailed to the request's
// address, is audited under the citizen's pseudonym, and hands out a ZIP
// with JSON, schema, CSV, the overview in the request's language and the
// files — An's submissions found by the proven address (two of three: the
// third names only her national number) and nothing of the near-identical
// address. Staff get the same ZIP only as the controller.
func TestClauseDSR1_PackageStoredSealedBehindLinkAndCode(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fx, mine, theirs := personOnThreeForms(t, env)
		r := citizenAccess(t, env, fx, "fr", true)
		executedAt := env.Clock.Now()
		token := executeWithLink(t, env, fx.tn.ID, r.ID, "fr")
		if packageRows(t, env, fx.tn.ID) != 1 {
			t.Fatal("no package stored")
		}
		var content, hash []byte
		if err := env.Raw(t).QueryRow(`SELECT content, token_hash FROM subject_packages WHERE tenant_id = $1`, fx.tn.ID).Scan(&content, &hash); err != nil {
			t.Fatal(err)
		}
		for _, plain := range []string{"PK\x03\x04", "package.json", "MARKER-mine-vraag", "%PDF"} {
			if bytes.Contains(content, []byte(plain)) {
				t.Fatalf("the stored package holds %q in plaintext", plain)
			}
		}
		if bytes.Contains(hash, []byte(token)) {
			t.Fatal("the token stored as it is")
		}
		if found := storetest.FindPlaintext(t, env, fx.tn.LegalName, "MARKER-mine-vraag", "MARKER-NOTE-mine", token); len(found) > 0 {
			t.Fatalf("plaintext at rest: %v", found)
		}
		l, err := env.DB.SubjectPackageLink(ctx, fx.tn.ID, token)
		if err != nil || l.Lang != "fr" || l.Kind != dsr.Access || l.Left != store.PackageDownloadsMax || l.Size == 0 ||
			!l.ExpiresAt.Equal(executedAt.Add(store.PackageTTL)) {
			t.Fatalf("link: %+v %v", l, err)
		}
		if _, err := env.DB.SubjectPackageLink(ctx, fx.tn.ID, token+"x"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("a wrong token: %v", err)
		}
		other := newTenant(t, env, "brugge")
		if _, err := env.DB.SubjectPackageLink(ctx, other.ID, token); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("another tenant's link: %v", err)
		}
		if _, _, err := env.DB.DownloadSubjectPackage(ctx, fx.tn.ID, token, "123456"); !errors.Is(err, store.ErrWrongCode) {
			t.Fatalf("a download before any code: %v", err)
		}
		code := packageCode(t, env, fx, token, "fr")
		b, lang, err := env.DB.DownloadSubjectPackage(ctx, fx.tn.ID, token, code)
		if err != nil || lang != "fr" {
			t.Fatalf("download: %v %q", err, lang)
		}
		last := lastEvent(t, env, fx.tn.ID)
		if last.Action != "dsr.download" || last.Actor.Kind != audit.KindCitizen || last.Actor.ID != last.Subject || last.Subject == "" ||
			last.ObjectID != r.ID {
			t.Fatalf("download recorded as %+v", last)
		}
		if _, _, err := env.DB.DownloadSubjectPackage(ctx, fx.tn.ID, token, code); !errors.Is(err, store.ErrWrongCode) {
			t.Fatalf("a used code downloaded again: %v", err)
		}
		files := zipEntries(t, b)
		for _, name := range []string{"package.json", "package.schema.json", "package.csv", "submissions.csv", "apercu.pdf"} {
			if len(files[name]) == 0 {
				t.Fatalf("the ZIP lacks %s: %v", name, slices.Sorted(maps.Keys(files)))
			}
		}
		if string(files["apercu.pdf"]) != "%PDF-1.4 overview fr "+r.ID {
			t.Fatalf("overview: %q", files["apercu.pdf"])
		}
		var attached bool
		for name, data := range files {
			attached = attached || (strings.HasPrefix(name, "files/") && strings.HasSuffix(name, "/certificate-mine-toelage.pdf") &&
				string(data) == "%PDF-1.4 mine-toelage")
		}
		if !attached {
			t.Fatalf("the attachment's file is not in the ZIP: %v", slices.Sorted(maps.Keys(files)))
		}
		var p dsr.Package
		if err := json.Unmarshal(files["package.json"], &p); err != nil || p.Schema != dsr.PackageSchema || len(p.Submissions) != 2 {
			t.Fatalf("package.json: %v %+v", err, p)
		}
		for i, s := range p.Submissions {
			if s.ID != mine[i] {
				t.Fatalf("submission %d is %s, want %s", i, s.ID, mine[i])
			}
		}
		for name, data := range files {
			if bytes.Contains(data, []byte(theirs)) || bytes.Contains(data, []byte("MARKER-theirs")) || bytes.Contains(data, []byte("MARKER-NOTE-theirs")) {
				t.Fatalf("%s holds the other citizen's data", name)
			}
		}
		if !bytes.Contains(files["package.csv"], []byte("MARKER-mine-vraag")) {
			t.Fatalf("package.csv lacks the answers: %s", files["package.csv"])
		}
		var schema map[string]any
		if err := json.Unmarshal(files["package.schema.json"], &schema); err != nil || schema["$id"] != dsr.PackageSchema {
			t.Fatalf("schema: %v %v", err, schema["$id"])
		}
		// Staff download the same ZIP as the controller only.
		if _, _, err := env.DB.SubjectPackageZip(ctx, dsrClerk, fx.tn.ID, r.ID); !errors.Is(err, store.ErrNotApproved) {
			t.Fatalf("a clerk downloaded the stored package: %v", err)
		}
		staff, _, err := env.DB.SubjectPackageZip(ctx, dsrAdmin, fx.tn.ID, r.ID)
		if err != nil || !bytes.Equal(staff, b) {
			t.Fatalf("staff download: %v (same: %v)", err, bytes.Equal(staff, b))
		}
		if e := lastEvent(t, env, fx.tn.ID); e.Action != "dsr.download" || e.Actor.ID != dsrAdmin.ID {
			t.Fatalf("staff download recorded as %+v", e)
		}
	})
}

// TestClauseDSR2_PackageRefusedBeforeApproval: no package is built or
// downloadable before the controller approved and executed the request.
func TestClauseDSR2_PackageRefusedBeforeApproval(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fx, _, _ := personOnThreeForms(t, env)
		r := citizenAccess(t, env, fx, "nl", false)
		err := env.DB.ExecuteSubjectRequestWith(ctx, dsrDPO, fx.tn.ID, r.ID, store.PackageOptions{Overview: fakeOverview})
		if !errors.Is(err, store.ErrNotApproved) {
			t.Fatalf("executed before approval: %v", err)
		}
		if packageRows(t, env, fx.tn.ID) != 0 {
			t.Fatal("a package was stored before approval")
		}
		if _, _, err := env.DB.SubjectPackageZip(ctx, dsrDPO, fx.tn.ID, r.ID); !errors.Is(err, store.ErrNotApproved) {
			t.Fatalf("a package downloaded before approval: %v", err)
		}
		if mails := claimed(t, env); len(mails) != 0 {
			t.Fatalf("mailed before approval: %+v", mails)
		}
		// A rectification executed after approval builds no package.
		rect := fileRequest(t, env, fx.tn.ID, dsrClerk, dsr.Rectification, anPeeters)
		if err := env.DB.DecideSubjectRequest(ctx, dsrDPO, fx.tn.ID, rect.ID, true, "ok"); err != nil {
			t.Fatal(err)
		}
		if err := env.DB.ExecuteSubjectRequestWith(ctx, dsrDPO, fx.tn.ID, rect.ID, store.PackageOptions{Overview: fakeOverview}); err != nil {
			t.Fatal(err)
		}
		if packageRows(t, env, fx.tn.ID) != 0 {
			t.Fatal("a rectification stored a package")
		}
	})
}

// TestClauseDSR1_PackageCodeAndLinkExpire: a wrong code counts, five wrong
// ones kill the code, an expired code downloads nothing; the link is used
// up after PackageDownloadsMax downloads and gone after PackageTTL, when
// the retention run deletes the package.
func TestClauseDSR1_PackageCodeAndLinkExpire(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fx, _, _ := personOnThreeForms(t, env)
		r := citizenAccess(t, env, fx, "nl", true)
		token := executeWithLink(t, env, fx.tn.ID, r.ID, "nl")
		wrongOf := func(code string) string {
			if code == "000000" {
				return "000001"
			}
			return "000000"
		}
		code := packageCode(t, env, fx, token, "nl")
		for i := 0; i < store.CitizenCodeAttempts; i++ {
			if _, _, err := env.DB.DownloadSubjectPackage(ctx, fx.tn.ID, token, wrongOf(code)); !errors.Is(err, store.ErrWrongCode) {
				t.Fatalf("wrong code %d: %v", i, err)
			}
		}
		if _, _, err := env.DB.DownloadSubjectPackage(ctx, fx.tn.ID, token, code); !errors.Is(err, store.ErrWrongCode) {
			t.Fatalf("the right code after %d wrong ones: %v", store.CitizenCodeAttempts, err)
		}
		code = packageCode(t, env, fx, token, "nl")
		env.Clock.Advance(store.CitizenCodeTTL)
		if _, _, err := env.DB.DownloadSubjectPackage(ctx, fx.tn.ID, token, code); !errors.Is(err, store.ErrWrongCode) {
			t.Fatalf("an expired code: %v", err)
		}
		for i := 0; i < store.PackageDownloadsMax; i++ {
			if _, _, err := env.DB.DownloadSubjectPackage(ctx, fx.tn.ID, token, packageCode(t, env, fx, token, "nl")); err != nil {
				t.Fatalf("download %d: %v", i+1, err)
			}
		}
		if _, err := env.DB.SubjectPackageLink(ctx, fx.tn.ID, token); !errors.Is(err, store.ErrPackageGone) {
			t.Fatalf("a used-up link: %v", err)
		}
		if err := env.DB.RequestPackageCode(ctx, fx.tn.ID, fx.tn.LegalName, token); !errors.Is(err, store.ErrPackageGone) {
			t.Fatalf("a code for a used-up link: %v", err)
		}
		// A second citizen request's package expires with the clock.
		if err := env.DB.CloseSubjectRequest(ctx, dsrDPO, fx.tn.ID, r.ID); err != nil {
			t.Fatal(err)
		}
		r2 := citizenAccess(t, env, fx, "nl", true)
		token2 := executeWithLink(t, env, fx.tn.ID, r2.ID, "nl")
		code = packageCode(t, env, fx, token2, "nl")
		runRetention(t, env, fx.tn.ID, store.RetentionOptions{})
		if packageRows(t, env, fx.tn.ID) != 2 {
			t.Fatal("the retention run deleted a package before its expiry")
		}
		env.Clock.Advance(store.PackageTTL)
		if _, err := env.DB.SubjectPackageLink(ctx, fx.tn.ID, token2); !errors.Is(err, store.ErrPackageGone) {
			t.Fatalf("an expired link: %v", err)
		}
		if _, _, err := env.DB.DownloadSubjectPackage(ctx, fx.tn.ID, token2, code); !errors.Is(err, store.ErrPackageGone) {
			t.Fatalf("a download after expiry: %v", err)
		}
		if _, _, err := env.DB.SubjectPackageZip(ctx, dsrDPO, fx.tn.ID, r2.ID); !errors.Is(err, store.ErrPackageGone) {
			t.Fatalf("staff download after expiry: %v", err)
		}
		runRetention(t, env, fx.tn.ID, store.RetentionOptions{})
		if n := packageRows(t, env, fx.tn.ID); n != 0 {
			t.Fatalf("%d expired packages kept", n)
		}
		var swept bool
		env.DB.EachAuditEvent(ctx, fx.tn.ID, func(e *audit.Event) error {
			swept = swept || (e.Action == "retention.package" && e.ObjectID == "2")
			return nil
		})
		if !swept {
			t.Fatal("the deletion is not recorded")
		}
	})
}

// TestClauseDSR1_ErasureDropsTheStoredPackage: an executed erasure deletes
// the person's stored access package with the rest, and the link is dead.
func TestClauseDSR1_ErasureDropsTheStoredPackage(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fx, _, _ := personOnThreeForms(t, env)
		r := citizenAccess(t, env, fx, "nl", true)
		token := executeWithLink(t, env, fx.tn.ID, r.ID, "nl")
		er := fileRequest(t, env, fx.tn.ID, dsrClerk, dsr.Erasure, anPeeters)
		if err := env.DB.DecideSubjectRequest(ctx, dsrDPO, fx.tn.ID, er.ID, true, "Wissing gevraagd"); err != nil {
			t.Fatal(err)
		}
		if packageRows(t, env, fx.tn.ID) != 1 {
			t.Fatal("no package before the erasure")
		}
		if err := env.DB.ExecuteSubjectRequest(ctx, dsrDPO, fx.tn.ID, er.ID); err != nil {
			t.Fatal(err)
		}
		if n := packageRows(t, env, fx.tn.ID); n != 0 {
			t.Fatalf("%d packages kept after the erasure", n)
		}
		if _, err := env.DB.SubjectPackageLink(ctx, fx.tn.ID, token); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("the link after the erasure: %v", err)
		}
	})
}
