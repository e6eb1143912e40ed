package annex

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/locale"
	"github.com/kluis/kluis/internal/pdftest"
)

// measuredAt is the fixed clock of the measures tests.
var measuredAt = time.Date(2026, 12, 5, 9, 30, 0, 0, time.UTC)

// fixedFindings is a compliance report at a fixed moment: some clauses
// met, one partly (two admins of three with MFA), one not met (no restore
// test yet), the organisational ones declared.
func fixedFindings() []Finding {
	f := func(c string, a Answer, ev, link string) Finding {
		return Finding{Clause: c, Answer: a, Evidence: ev, MeasuredAt: measuredAt, Link: link}
	}
	return []Finding{
		f("LOC-1", Met, "Databank en bijlagen in België (BE); geen verwerking buiten de EER in het register.", "/admin/subprocessors"),
		f("SEC-6", Declared, "Verklaard door de leverancier op 01.12.2026: versleutelde kopieën in een tweede datacenter.", "/admin/organisation"),
		f("SEC-4", NotMet, "Nog geen geslaagde hersteltest.", "/admin/backups"),
		f("ORG-1", Declared, "Verklaard door de leverancier op 01.12.2026: veiligheidsconsulent Jan Peeters, DPO An Claes.", "/admin/organisation"),
		f("ORG-2", Declared, "Verklaard door de leverancier op 01.12.2026: 3 geheimhoudingsverklaringen.", "/admin/organisation"),
		f("ORG-3", Declared, "Verklaard door de leverancier op 01.12.2026: melding per e-mail en telefoon.", "/admin/organisation"),
		f("BRE-1", Met, "Geen open datalekken; het laatste werd binnen 3 uur gemeld.", "/admin/breaches"),
		f("ORG-4", Declared, "Verklaard door de leverancier op 01.12.2026: 99,5 % beschikbaarheid.", "/admin/organisation"),
		f("ORG-5", Declared, "Verklaard door de leverancier op 01.12.2026: risicoanalyse van 15.10.2026.", "/admin/organisation"),
		f("ORG-6", Met, "Toegang per formulier voor 4 van 6 medewerkers.", "/admin/users"),
		f("USR-5", Met, "Rollen: 3 beheerders, 6 medewerkers, 1 DPO.", "/admin/users"),
		f("AUD-4", Met, "Geen open toegang van de leverancier.", "/admin/operators"),
		f("AUD-5", Met, "2 medewerkers van de leverancier met toegang.", "/admin/operators/staff"),
		f("SUB-1", Met, "2 subverwerkers, allebei aanvaard.", "/admin/subprocessors"),
		f("SUB-2", Met, "Geen aangekondigde wijzigingen.", "/admin/subprocessors"),
		f("SUB-3", Met, "Overzicht bijgewerkt op 01.12.2026.", "/admin/subprocessors"),
		f("SEC-5", Met, "De auditketen werd geverifieerd op 05.12.2026 09:00.", "/admin/audit/checkpoints"),
		f("USR-1", Met, "Beheerders beheren zelf hun gebruikers.", "/admin/users"),
		f("USR-4", Met, "Wachtwoordherstel per e-mail.", "/admin/users"),
		f("USR-2", Partly, "2 van 3 beheerders met tweestapsverificatie; zonder: Piet Janssens.", "/admin/users"),
		f("USR-3", Met, "Minstens 12 tekens.", "/admin/policy"),
		f("USR-6", Met, "Geblokkeerd na 5 mislukte pogingen.", "/admin/policy"),
		f("USR-7", Met, "Wachtwoorden met Argon2id; formulierantwoorden verzegeld.", "/admin/keys"),
		f("SEC-2", Met, "Verzegeld met de sleutel van de organisatie.", "/admin/keys"),
		f("AUD-1", Met, "Ook raadplegingen worden gelogd.", "/admin/audit"),
		f("AUD-2", Met, "Het logboek is open voor beheerders en de DPO.", "/admin/audit"),
		f("AUD-3", Met, "Handelingen van de leverancier in het platformlog.", "/admin/audit/platform"),
		f("SEC-3", Met, "De keten is intact tegen het ondertekende controlepunt van 05.12.2026 09:00.", "/admin/audit/checkpoints"),
		f("SEC-1", Met, "Laatste bewaarrun op 05.12.2026 03:00: 4 inzendingen geanonimiseerd.", "/admin/audit/retention"),
		f("END-2", Met, "Laatste back-up op 05.12.2026 02:00.", "/admin/backups"),
		f("END-1", Met, "Volledige export beschikbaar.", "/admin/full-export"),
		f("END-3", Met, "Export in JSON en CSV.", "/admin/full-export"),
		f("LOC-2", Met, "HTTPS met TLS 1.2 of hoger en HSTS.", ""),
		f("LOC-3", Met, "Strikte CSP en bescherming tegen cross-origin-verzoeken.", ""),
		f("LOC-4", Declared, "Verklaard door de leverancier op 01.12.2026: maandelijkse updates.", "/admin/organisation"),
		f("DSR-4", Met, "Privacyverklaring gepubliceerd.", "/privacy"),
	}
}

func fixedInput() MeasuresInput {
	return MeasuresInput{Controller: "Gemeente Demo", KBO: "0207.451.227", Generated: measuredAt.Add(15 * time.Minute),
		Findings: fixedFindings(), Link: func(p string) string { return "https://loket.example/demo" + p }}
}

// TestClauseADT1_MeasuresPDFFollowsVOBChecklist: the measures checklist
// for a fixed report and clock, read back with pdftotext, is VO-B annex
// 1's checklist — physical, organisational and technical measures, each
// with its "OK?" answer, evidence, time of measurement and link — word for
// word as the golden text.
func TestClauseADT1_MeasuresPDFFollowsVOBChecklist(t *testing.T) {
	for _, lang := range []locale.Lang{locale.NL, locale.FR} {
		b, err := Measures(fixedInput(), lang).PDF(measuredAt)
		if err != nil {
			t.Fatal(err)
		}
		pdftest.Golden(t, filepath.Join("testdata", "measures_"+string(lang)+".golden"), strings.Join(pdftest.Raw(t, b), "\n----\n"))
	}
}

// TestClauseADT1_AnnexTwoPDFTicksFromTheReport: VO-A annex 2's list, read
// back, ticks what is met or declared and leaves the rest open with its
// answer.
func TestClauseADT1_AnnexTwoPDFTicksFromTheReport(t *testing.T) {
	b, err := AnnexTwo(fixedInput(), locale.NL).PDF(measuredAt)
	if err != nil {
		t.Fatal(err)
	}
	pdftest.Golden(t, filepath.Join("testdata", "annex2_nl.golden"), strings.Join(pdftest.Raw(t, b), "\n----\n"))
}

// okAnswer is the "OK?" answer pdftotext reads in the measures PDF for the
// row of clauses: the cell after the row's clause ids starts with it.
func okAnswer(t *testing.T, pdf []byte, lang locale.Lang, clauses string) string {
	t.Helper()
	lines := strings.Split(strings.Join(pdftest.Raw(t, pdf), "\n"), "\n")
	for i, l := range lines {
		if strings.HasSuffix(l, "("+clauses+")") && i+1 < len(lines) {
			for _, a := range []Answer{Partly, NotMet, Declared, Met} {
				if w := locale.T(lang, "measures.answer."+string(a)); strings.HasPrefix(lines[i+1], w+" ") {
					return w
				}
			}
			t.Fatalf("no answer after %q: %q", l, lines[i+1])
		}
	}
	t.Fatalf("no row (%s) in the PDF", clauses)
	return ""
}

// TestClauseADT1_MeasuresRowFollowsItsFinding: the MFA row answers "Ja"
// when every admin has a second factor, "Gedeeltelijk" when one lacks it,
// and "Neen" when the report has no finding for it at all (fail closed).
func TestClauseADT1_MeasuresRowFollowsItsFinding(t *testing.T) {
	in := fixedInput()
	set := func(a Answer) {
		for i := range in.Findings {
			if in.Findings[i].Clause == "USR-2" {
				in.Findings[i].Answer = a
			}
		}
	}
	for _, tt := range []struct {
		answer Answer
		want   string
	}{{Met, "Ja"}, {Partly, "Gedeeltelijk"}, {NotMet, "Neen"}} {
		set(tt.answer)
		b, err := Measures(in, locale.NL).PDF(measuredAt)
		if err != nil {
			t.Fatal(err)
		}
		if got := okAnswer(t, b, locale.NL, "USR-2"); got != tt.want {
			t.Errorf("USR-2 %s: OK? = %q, want %q", tt.answer, got, tt.want)
		}
	}
	in.Findings = slices.DeleteFunc(in.Findings, func(f Finding) bool { return f.Clause == "USR-2" })
	b, err := Measures(in, locale.NL).PDF(measuredAt)
	if err != nil {
		t.Fatal(err)
	}
	if got := okAnswer(t, b, locale.NL, "USR-2"); got != "Neen" {
		t.Errorf("USR-2 without a finding: OK? = %q, want Neen", got)
	}
}

// TestMeasuresCombine: a row of several clauses is "Ja" only when each is
// met or declared beside a met one.
func TestMeasuresCombine(t *testing.T) {
	for _, tt := range []struct {
		in   []Answer
		want Answer
	}{
		{[]Answer{Met, Met}, Met},
		{[]Answer{Met, Declared}, Met},
		{[]Answer{Declared, Declared}, Declared},
		{[]Answer{NotMet}, NotMet},
		{[]Answer{Met, NotMet}, Partly},
		{[]Answer{Declared, NotMet}, Partly},
		{[]Answer{Met, Partly}, Partly},
	} {
		if got := combine(tt.in); got != tt.want {
			t.Errorf("combine(%v) = %s, want %s", tt.in, got, tt.want)
		}
	}
}
