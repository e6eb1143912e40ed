package compliance

import (
	"html/template"
	"io"

	"github.com/kluis/kluis/internal/locale"
)

// The report as one HTML file (kluis compliance report --format html):
// the same view as the back-office page, standing alone, to keep or send.
// Links are the back-office paths; base, when given, makes them absolute.

var htmlTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"t": func(l locale.Lang, key string, args ...any) string { return locale.T(l, key, args...) },
	"icon": func(s Status) string {
		switch s {
		case Met:
			return "✓"
		case Partly:
			return "◐"
		case NotMet:
			return "✗"
		}
		return "✎"
	},
}).Parse(`<!doctype html>
<html lang="{{.V.Lang.HTMLLang}}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{t .V.Lang "compliance.title"}} – {{.V.TenantName}}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:60rem;margin:1rem auto;padding:0 1rem;color:#1b1f23;line-height:1.5}
.s{display:inline-block;padding:0 .5rem;border:2px solid currentColor;border-radius:.25rem;font-weight:600}
.met{color:#00703c}.partly{color:#8a4b00}.not_met{color:#b00020}.declared{color:#0a4a8a;border-style:dashed}
article{border-top:1px solid #cfd6dd;padding:.5rem 0}.hint{color:#4a5560}code{overflow-wrap:anywhere}
</style></head>
<body>
<h1>{{t .V.Lang "compliance.title"}} – {{.V.TenantName}}</h1>
<p>{{t .V.Lang "compliance.lead"}}</p>
<p class="hint">{{t .V.Lang "compliance.generated" .V.At}}</p>
<ul>{{range .V.Counts}}<li><span class="s {{.Status}}"><span aria-hidden="true">{{icon .Status}}</span> {{.Label}}</span> {{.N}}</li>{{end}}</ul>
{{range $s := .V.Sections}}<section><h2>{{$s.N}}. {{$s.Title}}</h2>
{{range $s.Items}}<article><h3>{{.ID}} {{.Title}}</h3>
<p><span class="s {{.Status}}"><span aria-hidden="true">{{icon .Status}}</span> {{.StatusLabel}}</span></p>
<p>{{.Reason}}</p>
{{if .Evidence}}<ul>{{range .Evidence}}<li>{{if .Link}}<a href="{{$.Base}}{{.Link}}">{{.Text}}</a>{{else}}{{.Text}}{{end}} <span class="hint">{{t $.V.Lang "compliance.measured_at" .MeasuredAt}}</span></li>{{end}}</ul>{{end}}
{{if .Tests}}<p class="hint">{{t $.V.Lang "compliance.tests" (len .Tests)}}: {{range $i, $n := .Tests}}{{if $i}}, {{end}}<code>{{$n}}</code>{{end}}</p>{{else}}<p class="hint">{{t $.V.Lang "compliance.no_tests"}}</p>{{end}}
</article>{{end}}</section>
{{end}}</body></html>
`))

// WriteHTML writes r in lang as a standalone HTML document; base ("https://loket.gent.be")
// prefixes the evidence links, "" leaves them as paths.
func WriteHTML(w io.Writer, r Report, lang locale.Lang, base string) error {
	return htmlTemplate.Execute(w, struct {
		V    View
		Base string
	}{ViewIn(r, lang), base})
}
