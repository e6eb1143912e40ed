package webhook

import (
	"net/url"
	"slices"
	"strings"

	"github.com/kluis/kluis/internal/register"
)

// Kinds of register entry a destination can match.
const (
	EntryRecipient    = "recipient"
	EntrySubProcessor = "sub_processor"
)

// Problem is one reason a hook cannot be created or a delivery cannot go
// out: the form field it belongs to ("url", "events", "entry") and a
// locale key with its arguments. Keys of a register rule end in the
// rule's id (".reg2", ".loc1") and their messages name it.
type Problem struct {
	Field string
	Key   string
	Args  []any
}

// Problem keys (under "webhook.problem.").
const (
	ProblemURL          = "webhook.problem.url"               // not an absolute https URL without credentials
	ProblemEvents       = "webhook.problem.events"            // no event chosen, or an unknown one
	ProblemEntryUnknown = "webhook.problem.entry.reg2"        // the chosen entry is not in the current register
	ProblemUnregistered = "webhook.problem.unregistered.reg2" // the origin is no endpoint of a recipient or sub-processor
	ProblemOutsideEEA   = "webhook.problem.country.loc1"      // registered, but processing outside the EEA
)

// Entry is the register entry a destination matches.
type Entry struct {
	Kind    string // EntryRecipient or EntrySubProcessor
	Key     string
	Name    register.Text
	Country string
}

// Ref is how an entry is named in forms and storage: "recipient:KEY".
func (e Entry) Ref() string { return e.Kind + ":" + e.Key }

// Entries lists the register's recipients and sub-processors that have
// endpoints: the entries a hook can be registered under.
func Entries(r register.Register) []Entry {
	var out []Entry
	for _, rc := range r.Recipients {
		if len(rc.Endpoints) > 0 {
			out = append(out, Entry{EntryRecipient, rc.Key, rc.Name, rc.Country})
		}
	}
	for _, s := range r.SubProcessors {
		if len(s.Endpoints) > 0 {
			out = append(out, Entry{EntrySubProcessor, s.Key, register.Text{"nl": s.Name}, s.Country})
		}
	}
	return out
}

// entry finds ref ("recipient:KEY") in r with its endpoints.
func entry(r register.Register, ref string) (Entry, []string, bool) {
	kind, key, _ := strings.Cut(ref, ":")
	switch kind {
	case EntryRecipient:
		for _, rc := range r.Recipients {
			if rc.Key == key {
				return Entry{kind, key, rc.Name, rc.Country}, rc.Endpoints, true
			}
		}
	case EntrySubProcessor:
		for _, s := range r.SubProcessors {
			if s.Key == key {
				return Entry{kind, key, register.Text{"nl": s.Name}, s.Country}, s.Endpoints, true
			}
		}
	}
	return Entry{}, nil, false
}

// Origin returns the https origin of a URL, "https://host" or
// "https://host:port", lower-cased and without the default port, so that
// two spellings of one origin compare equal. ok is false for anything but
// an absolute https URL with a host and without user credentials.
func Origin(raw string) (string, bool) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || !strings.EqualFold(u.Scheme, "https") || u.Host == "" || u.User != nil || u.Opaque != "" {
		return "", false
	}
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if host == "" || strings.ContainsAny(host, " %") {
		return "", false
	}
	if port == "443" {
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		return "https://" + host + ":" + port, true
	}
	return "https://" + host, true
}

// ValidURL reports whether raw can be a hook's URL: an absolute https URL
// of at most 2048 bytes, without credentials or a fragment.
func ValidURL(raw string) bool {
	if len(raw) > 2048 || strings.ContainsAny(raw, " \t\r\n") {
		return false
	}
	u, err := url.Parse(raw)
	if err != nil || u.Fragment != "" {
		return false
	}
	_, ok := Origin(raw)
	return ok
}

// Check judges a hook to rawURL for events under the register entry ref
// ("recipient:KEY", "sub_processor:KEY", or "" to find the entry by the
// URL's origin) against the tenant's current register. It returns the
// matching entry, or the problems that refuse the hook: a destination
// must be an endpoint of a recipient or sub-processor in the register
// (REG-2) that processes in the EEA (LOC-1).
func Check(r register.Register, rawURL string, events []string, ref string) (Entry, []Problem) {
	var ps []Problem
	if len(events) == 0 {
		ps = append(ps, Problem{Field: "events", Key: ProblemEvents})
	}
	for _, e := range events {
		if !slices.Contains(Events, e) {
			ps = append(ps, Problem{Field: "events", Key: ProblemEvents})
			break
		}
	}
	if !ValidURL(rawURL) {
		return Entry{}, append(ps, Problem{Field: "url", Key: ProblemURL})
	}
	e, perr := Destination(r, rawURL, ref)
	if perr != nil {
		ps = append(ps, *perr)
	}
	return e, ps
}

// Destination checks only the destination: rawURL's origin must be an
// endpoint of the entry ref (or of any entry when ref is ""), and that
// entry must process in the EEA. It is run again before every delivery,
// so that a destination taken out of the register stops receiving.
func Destination(r register.Register, rawURL, ref string) (Entry, *Problem) {
	origin, ok := Origin(rawURL)
	if !ok {
		return Entry{}, &Problem{Field: "url", Key: ProblemURL}
	}
	matches := func(endpoints []string) bool {
		for _, ep := range endpoints {
			if o, ok := Origin(ep); ok && o == origin {
				return true
			}
		}
		return false
	}
	var candidates []Entry
	if ref != "" {
		e, eps, found := entry(r, ref)
		if !found {
			return Entry{}, &Problem{Field: "entry", Key: ProblemEntryUnknown}
		}
		if !matches(eps) {
			return e, &Problem{Field: "url", Key: ProblemUnregistered, Args: []any{origin}}
		}
		candidates = []Entry{e}
	} else {
		for _, e := range Entries(r) {
			_, eps, _ := entry(r, e.Ref())
			if matches(eps) {
				candidates = append(candidates, e)
			}
		}
		if len(candidates) == 0 {
			return Entry{}, &Problem{Field: "url", Key: ProblemUnregistered, Args: []any{origin}}
		}
	}
	for _, e := range candidates {
		if register.InEEA(e.Country) {
			return e, nil
		}
	}
	e := candidates[0]
	field := "url"
	if ref != "" {
		field = "entry"
	}
	return e, &Problem{Field: field, Key: ProblemOutsideEEA, Args: []any{strings.ToUpper(e.Country)}}
}

// reasons word each problem in English for the delivery record and the
// audit log, naming the register rule where one applies.
var reasons = map[string]string{
	ProblemURL:          "not an https URL",
	ProblemEvents:       "no known event chosen",
	ProblemEntryUnknown: "the chosen entry is not in the current register (REG-2)",
	ProblemUnregistered: "not registered as a recipient or sub-processor (REG-2)",
	ProblemOutsideEEA:   "registered in a country outside the EEA (LOC-1)",
}

// Reason is the problem in a few English words, naming the register rule
// where one applies; for records, not for pages (they use Key).
func (p Problem) Reason() string {
	if s, ok := reasons[p.Key]; ok {
		return s
	}
	return p.Key
}
