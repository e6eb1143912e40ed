package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/form"
	"github.com/kluis/kluis/internal/storetest"
)

// TestFormBuilderPrefill: an editor chooses the register data a field is
// prefilled with and whether the citizen may correct it; a kind that does
// not fit the field's type is refused at its input, nothing saved; the
// publish checklist names the field whose category does not cover the
// data (REG-4), in nl and fr.
func TestFormBuilderPrefill(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fe := newFormsEnv(t, env)
		fe.buildPublishable(t)
		_, page := fe.get(t, "/gent/admin/forms/vraag/fields/vraag", fe.admin)
		for _, want := range []string{`<select id="prefill_data" name="prefill_data"`, `<option value="full_name">Voornamen en familienaam</option>`,
			`id="prefill_read_only"`} {
			if !strings.Contains(page, want) {
				t.Fatalf("the field page lacks %s", want)
			}
		}
		if _, fr := fe.get(t, "/gent/admin/forms/vraag/fields/vraag?lang=fr", fe.admin); !strings.Contains(fr, "Préremplir depuis le Registre national") {
			t.Error("the prefill choice is not in French")
		}
		// A birth date does not fit a text area.
		before := fe.draft(t, "vraag")
		body := fe.post(t, "/gent/admin/forms/vraag/fields/vraag", url.Values{"key": {"vraag"}, "type": {"textarea"}, "label_nl": {"Uw vraag"},
			"category": {"web-forms"}, "purpose": {"online-services"}, "prefill_data": {"birth_date"}}, http.StatusUnprocessableEntity)
		if !strings.Contains(body, `href="#prefill_data"`) || !strings.Contains(body, "een geboortedatum vult enkel een datumveld in") ||
			!strings.Contains(body, `aria-describedby="prefill_data-hint prefill_data-error"`) {
			t.Fatalf("a prefill that does not fit the type:\n%s", body)
		}
		if after := fe.draft(t, "vraag"); !after.UpdatedAt.Equal(before.UpdatedAt) {
			t.Fatal("a refused prefill was saved")
		}
		// A name into a text field, read-only: saved and shown back.
		fe.post(t, "/gent/admin/forms/vraag/fields/vraag", url.Values{"key": {"vraag"}, "type": {"text"}, "label_nl": {"Uw naam"},
			"category": {"web-forms"}, "purpose": {"online-services"}, "prefill_data": {"full_name"}, "prefill_read_only": {"on"}},
			http.StatusSeeOther)
		got := fe.draft(t, "vraag").Form.Fields()[0].Prefill
		if got == nil || *got != (form.Prefill{Source: form.PrefillSource, Data: form.PrefillFullName, ReadOnly: true}) {
			t.Fatalf("saved prefill %+v", got)
		}
		_, page = fe.get(t, "/gent/admin/forms/vraag/fields/vraag", fe.admin)
		if !strings.Contains(page, `<option value="full_name" selected>`) || !strings.Contains(page, `id="prefill_read_only" name="prefill_read_only" value="on" aria-describedby="prefill_read_only-hint" checked`) {
			t.Fatal("the field page does not show the saved prefill")
		}
		// A national register number field prefilled into contact details
		// (3.00): the checklist names the field.
		fe.post(t, "/gent/admin/forms/vraag/pages/vraag/fields", url.Values{"field_label": {"Rijksregisternummer"}, "field_type": {"insz"},
			"field_key": {"rrn"}}, http.StatusSeeOther)
		fe.post(t, "/gent/admin/forms/vraag/fields/rrn", url.Values{"key": {"rrn"}, "type": {"insz"}, "label_nl": {"Rijksregisternummer"},
			"label_fr": {"Numéro de registre national"}, "category": {"contact"}, "purpose": {"online-services"}, "prefill_data": {"insz"}},
			http.StatusSeeOther)
		_, page = fe.get(t, "/gent/admin/forms/vraag", fe.admin)
		want := `<a href="/gent/admin/forms/vraag/fields/rrn#prefill_data"><span lang="nl-BE">Rijksregisternummer</span></a>: veld &#34;rrn&#34; wordt vooraf ingevuld met het rijksregisternummer, maar categorie &#34;contact&#34; is klasse 3.00`
		if !strings.Contains(page, want) {
			t.Fatalf("the checklist does not name the field:\n%s", page)
		}
	})
}
