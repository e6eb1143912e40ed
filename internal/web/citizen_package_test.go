package web

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/dsr"
	"github.com/kluis/kluis/internal/mail/mailtest"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

var packageLinkRE = regexp.MustCompile(`https://loket\.gent\.be(/gent/privacy/package/[A-Za-z0-9_-]+)\?lang=(nl|fr|en)`)

// citizenPackageLink files an access request as the citizen at address
// (the code through the real SMTP server), has the DPO approve and execute
// it on the request page, and returns the path of the link the
// answer-ready mail carries, with the mail.
func citizenPackageLink(t *testing.T, fe *formsEnv, env *storetest.Env, relay *mailtest.Server, seen *int, address, lang string) (string, mailtest.Message) {
	t.Helper()
	ctx := context.Background()
	id, err := env.DB.RequestCitizenCode(ctx, fe.gent.ID, fe.gent.LegalName, address, dsr.Access, lang)
	if err != nil {
		t.Fatal(err)
	}
	msgs := deliver(t, env, relay, seen)
	if len(msgs) != 1 {
		t.Fatalf("code mail: %s", brief(msgs))
	}
	r, err := env.DB.FileCitizenRequest(ctx, fe.gent.ID, id, sixDigitsRE.FindString(msgs[0].Body))
	if err != nil {
		t.Fatal(err)
	}
	fe.post(t, "/gent/admin/requests/"+r.ID+"/decide", url.Values{"decision": {"approve"}, "reason": {"Adres bevestigd"}}, http.StatusSeeOther)
	resp, body := fe.submit(t, "/gent/admin/requests/"+r.ID+"/execute", fe.dpo, url.Values{})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("execute: %d\n%s", resp.StatusCode, body)
	}
	msgs = deliver(t, env, relay, seen)
	if len(msgs) != 1 || msgs[0].To[0] != address {
		t.Fatalf("answer mail: %s", brief(msgs))
	}
	m := packageLinkRE.FindStringSubmatch(msgs[0].Body)
	if m == nil || m[2] != lang {
		t.Fatalf("no link in the answer mail:\n%s", msgs[0].Body)
	}
	if strings.Contains(strings.ToLower(m[1]), strings.ToLower(strings.Split(address, "@")[0])) {
		t.Fatalf("the link names the person: %s", m[1])
	}
	return m[1], msgs[0]
}

// TestClauseDSR1_PackageDownloadPage: the answer-ready mail's link opens a
// page in the citizen's language that says until when and what; a wrong
// token is a 404 that reveals nothing; the code goes to the request's
// address; a wrong code is a field error (422) and hands out nothing; the
// right one hands out the ZIP with the overview PDF in the citizen's
// language; after PackageTTL (the injectable clock) the link is gone
// (410). Each step in French and Dutch.
func TestClauseDSR1_PackageDownloadPage(t *testing.T) {
	relay := mailtest.Start(t, mailtest.Options{})
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fe := newFormsEnv(t, env)
		publishForms(t, env, fe.gent)
		var seen int
		submitQuestion(t, fe, "fr", "burger.fr@gent.be", "pkg", false)
		deliver(t, env, relay, &seen)
		link, answer := citizenPackageLink(t, fe, env, relay, &seen, "burger.fr@gent.be", "fr")
		if !strings.Contains(answer.Body, "Le lien fonctionne jusqu'au") {
			t.Fatalf("answer mail in French:\n%s", answer.Body)
		}
		until := env.Clock.Now().Add(store.PackageTTL - 1).In(brussels).Format("02.01.2006")

		resp, page := fe.get(t, link+"?lang=fr", "")
		for _, want := range []string{"Télécharger vos données", "Téléchargeable jusqu&#39;au</dt><dd>" + until, "apercu.pdf", "M&#39;envoyer un code"} {
			if resp.StatusCode != http.StatusOK || !strings.Contains(page, want) {
				t.Fatalf("link page lacks %q: %d\n%s", want, resp.StatusCode, page)
			}
		}
		if strings.Contains(page, "burger.fr") || strings.Contains(page, "MARKER") {
			t.Fatal("the page reveals personal data before the code")
		}
		resp, page = fe.get(t, link+"?lang=nl", "")
		if resp.StatusCode != http.StatusOK || !strings.Contains(page, "Te downloaden tot en met</dt><dd>"+until) || !strings.Contains(page, "overzicht.pdf") {
			t.Fatalf("Dutch page: %d\n%s", resp.StatusCode, page)
		}
		resp, page = fe.get(t, link+"x?lang=fr", "")
		if resp.StatusCode != http.StatusNotFound || !strings.Contains(page, "Ce lien ne fonctionne pas") {
			t.Fatalf("wrong token: %d\n%s", resp.StatusCode, page)
		}

		resp, page = fe.submit(t, link+"/code", "lang=fr", url.Values{})
		if resp.StatusCode != http.StatusOK || !strings.Contains(page, `autocomplete="one-time-code"`) || !strings.Contains(page, "Consultez votre boîte mail") {
			t.Fatalf("code step: %d\n%s", resp.StatusCode, page)
		}
		msgs := deliver(t, env, relay, &seen)
		if len(msgs) != 1 || msgs[0].To[0] != "burger.fr@gent.be" || !strings.Contains(msgs[0].Subject, "télécharger") {
			t.Fatalf("code mail: %s", brief(msgs))
		}
		code := sixDigitsRE.FindString(msgs[0].Body)
		wrong := "000000"
		if code == wrong {
			wrong = "000001"
		}
		resp, page = fe.submit(t, link+"/download", "lang=fr", url.Values{"code": {wrong}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `href="#code">Ce code est incorrect ou a expiré`) ||
			!strings.Contains(page, `aria-describedby="code-hint code-error"`) || resp.Header.Get("Content-Type") == "application/zip" {
			t.Fatalf("wrong code: %d\n%s", resp.StatusCode, page)
		}
		resp, body := fe.submit(t, link+"/download", "lang=fr", url.Values{"code": {code[:3] + " " + code[3:]}})
		b := []byte(body)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/zip" ||
			!strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment;") || resp.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("download: %d %v\n%s", resp.StatusCode, resp.Header, b)
		}
		z, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatal(err)
		}
		names := map[string]bool{}
		for _, f := range z.File {
			names[f.Name] = true
			if f.Name == "apercu.pdf" {
				rc, _ := f.Open()
				pdf, _ := io.ReadAll(rc)
				rc.Close()
				if !bytes.HasPrefix(pdf, []byte("%PDF")) || !bytes.Contains(pdf, []byte("/Lang (fr")) {
					t.Fatalf("overview: %q", pdf[:min(len(pdf), 200)])
				}
			}
		}
		for _, want := range []string{"package.json", "package.schema.json", "package.csv", "submissions.csv", "apercu.pdf"} {
			if !names[want] {
				t.Fatalf("the ZIP lacks %s: %v", want, names)
			}
		}
		var downloaded bool
		env.DB.EachAuditEvent(context.Background(), fe.gent.ID, func(e *audit.Event) error {
			downloaded = downloaded || (e.Action == "dsr.download" && e.Actor.Kind == audit.KindCitizen && e.Actor.ID == e.Subject)
			return nil
		})
		if !downloaded {
			t.Fatal("the download is not recorded under the citizen's pseudonym")
		}

		// The controller downloads the same ZIP from the request page; a
		// clerk may not.
		list, err := env.DB.SubjectRequests(context.Background(), audit.System("test"), fe.gent.ID, 10)
		if err != nil || len(list) != 1 {
			t.Fatalf("requests: %d %v", len(list), err)
		}
		staffZip := "/gent/admin/requests/" + list[0].ID + "/package?format=zip"
		if resp, body := fe.get(t, staffZip, fe.dpo); resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/zip" ||
			!bytes.Equal([]byte(body), b) {
			t.Fatalf("staff ZIP: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if resp, _ := fe.get(t, staffZip, fe.clerk); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("a clerk's ZIP: %d", resp.StatusCode)
		}

		env.Clock.Advance(store.PackageTTL)
		for _, c := range []struct{ lang, want string }{{"fr", "Ce lien a expiré"}, {"nl", "Deze link is verlopen"}} {
			resp, page = fe.get(t, link+"?lang="+c.lang, "")
			if resp.StatusCode != http.StatusGone || !strings.Contains(page, c.want) {
				t.Fatalf("expired link (%s): %d\n%s", c.lang, resp.StatusCode, page)
			}
		}
		resp, _ = fe.submit(t, link+"/code", "lang=fr", url.Values{})
		if resp.StatusCode != http.StatusGone {
			t.Fatalf("a code for an expired link: %d", resp.StatusCode)
		}
		if msgs := deliver(t, env, relay, &seen); len(msgs) != 0 {
			t.Fatalf("mailed for an expired link: %s", brief(msgs))
		}
	})
}

// BenchmarkSubjectAccessPackagePDF1000 times the execution of an approved
// access request for a person with 1,000 submissions as the request page
// runs it: every submission read and opened, the overview PDF drawn in the
// person's language, the ZIP written, sealed and stored (target with
// BenchmarkSubjectAccessPackage1000: ≤ 2 s).
//
//	go test ./internal/web -run '^$' -bench SubjectAccessPackagePDF1000 -benchtime 3x
func BenchmarkSubjectAccessPackagePDF1000(b *testing.B) {
	storetest.EachDialectB(b, func(b *testing.B, env *storetest.Env) {
		ctx := context.Background()
		benchTenant(b, env)
		tn, err := env.DB.TenantBySlug(ctx, "gent")
		if err != nil {
			b.Fatal(err)
		}
		a := New(Options{Store: env.DB, BaseURL: "https://loket.gent.be"})
		fv, err := env.DB.FormByStatus(ctx, tn.ID, "vraag", "published")
		if err != nil {
			b.Fatal(err)
		}
		citizen := audit.Actor{Kind: audit.KindCitizen, ID: "anonymous"}
		const address = "an.peeters@gent.be"
		for i := 0; i < 1000; i++ {
			answers := []byte(`{"name":{"v":"An ` + strings.Repeat("x", i%7) + `"},"email":{"v":"` + address + `"},"topic":{"v":"waste"},"message":{"v":"De straatverlichting brandt niet."}}`)
			in := store.NewFormSubmission{FormKey: fv.Key, FormVersion: fv.Version, RegisterVersion: fv.RegisterVersion, Answers: answers,
				Subject: address, Idempotency: "tok-" + strconv.Itoa(i), Receipt: "rc-" + strconv.Itoa(i), Contact: address, Lang: "fr"}
			if _, _, err := env.DB.SubmitForm(ctx, citizen, tn.ID, in); err != nil {
				b.Fatal(err)
			}
		}
		dpo := audit.Actor{Kind: audit.KindUser, ID: "dpo-1", Role: "dpo"}
		clerk := audit.Actor{Kind: audit.KindUser, ID: "clerk-1", Role: "user"}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			r, err := env.DB.FileSubjectRequest(ctx, clerk, tn.ID, store.NewSubjectRequest{Kind: dsr.Access,
				Person: store.SubjectPerson{Name: "An", Email: address, Lang: "fr"}})
			if err != nil {
				b.Fatal(err)
			}
			if err := env.DB.DecideSubjectRequest(ctx, dpo, tn.ID, r.ID, true, "ok"); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			if err := a.executeSubjectRequest(ctx, dpo, tn.ID, r.ID); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		var size int64
		env.Raw(b).QueryRow(`SELECT max(size) FROM subject_packages WHERE tenant_id = $1`, tn.ID).Scan(&size)
		b.ReportMetric(float64(size), "zip-bytes")
	})
}
