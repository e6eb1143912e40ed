package magda

// The GeefPersoon messages: the subset of MAGDA's request and answer that
// Kluis uses (names, address, birth date, nationality, INSZ). Element names
// follow MAGDA's Dutch vocabulary; the exact schema and exception codes must
// be checked against the acceptance environment before a real connection
// (see docs/magda.md).

import (
	"encoding/xml"
	"errors"
	"fmt"
)

// NSGeefPersoon is the namespace of the GeefPersoon body elements.
const NSGeefPersoon = "http://webservice.geefpersoondienst-02_02.persoon-1.vip.kszbcss.fgov.be"

const (
	ServiceName    = "GeefPersoon"
	ServiceVersion = "02.02.0000"
)

// Request is the body of a GeefPersoon call.
type Request struct {
	XMLName xml.Name `xml:"http://webservice.geefpersoondienst-02_02.persoon-1.vip.kszbcss.fgov.be GeefPersoon"`
	Verzoek struct {
		Context Context `xml:"Context"`
		Vragen  struct {
			Vraag []Question `xml:"Vraag"`
		} `xml:"Vragen"`
	} `xml:"Verzoek"`
}

// Context identifies the message, who sends it and in which capacity: the
// references MAGDA's logging duty traces back to the asking consumer.
type Context struct {
	Naam    string `xml:"Naam"`
	Versie  string `xml:"Versie"`
	Bericht struct {
		Type     string `xml:"Type"` // VRAAG or ANTWOORD
		Tijdstip struct {
			Datum string `xml:"Datum"`
			Tijd  string `xml:"Tijd"`
		} `xml:"Tijdstip"`
		Afzender Sender `xml:"Afzender"`
	} `xml:"Bericht"`
}

// Sender is the consumer identity (KBO number), its unique message reference
// and its capacity code (hoedanigheid).
type Sender struct {
	Identificatie string `xml:"Identificatie"`
	Referte       string `xml:"Referte"`
	Hoedanigheid  string `xml:"Hoedanigheid,omitempty"`
}

// Question asks for one person by INSZ.
type Question struct {
	Referte string `xml:"Referte"`
	INSZ    string `xml:"Inhoud>Criteria>INSZ"`
}

// Response is the body of a GeefPersoon answer.
type Response struct {
	XMLName xml.Name `xml:"http://webservice.geefpersoondienst-02_02.persoon-1.vip.kszbcss.fgov.be GeefPersoonResponse"`
	Repliek struct {
		Context        Context     `xml:"Context"`
		Uitzonderingen []Exception `xml:"Uitzonderingen>Uitzondering"`
		Antwoorden     struct {
			Antwoord []Answer `xml:"Antwoord"`
		} `xml:"Antwoorden"`
	} `xml:"Repliek"`
}

// Answer answers one Question.
type Answer struct {
	Referte        string      `xml:"Referte"`
	Persoon        *Person     `xml:"Inhoud>Persoon"`
	Uitzonderingen []Exception `xml:"Uitzonderingen>Uitzondering"`
}

// Person is what Kluis may prefill from the register.
type Person struct {
	INSZ            string        `xml:"INSZ"`
	Voornamen       []string      `xml:"Naam>Voornamen>Voornaam"`
	Achternaam      string        `xml:"Naam>Achternaam"`
	Geboortedatum   string        `xml:"Geboorte>Datum"`
	Nationaliteiten []Nationality `xml:"Nationaliteiten>Nationaliteit"`
	Adres           *Address      `xml:"Adres"`
}

// Nationality is a nationality code with its description.
type Nationality struct {
	Code         string `xml:"Code"`
	Omschrijving string `xml:"Omschrijving"`
}

// Address is the main residence.
type Address struct {
	Straat     string `xml:"Straat"`
	Huisnummer string `xml:"Huisnummer"`
	Busnummer  string `xml:"Busnummer,omitempty"`
	Postcode   string `xml:"Postcode"`
	Gemeente   string `xml:"Gemeente"`
	Landcode   string `xml:"Landcode"`
}

// Exception is an error (FOUT), warning (WAARSCHUWING) or information.
type Exception struct {
	Identificatie string `xml:"Identificatie"`
	Oorsprong     string `xml:"Oorsprong"`
	Type          string `xml:"Type"`
	Diagnose      string `xml:"Diagnose"`
}

// Exception types.
const (
	TypeError   = "FOUT"
	TypeWarning = "WAARSCHUWING"
	TypeInfo    = "INFORMATIE"
)

// Exception codes. These are the simulator's codes; the mapping to MAGDA's
// own numeric codes is made here, in one place, when the acceptance
// environment's documentation is at hand.
const (
	CodeNotFound           = "PERSOON_NIET_GEVONDEN"
	CodeNotInRepertory     = "NIET_IN_REPERTORIUM"
	CodeDuplicateReference = "REFERTE_NIET_UNIEK"
	CodeUnknownConsumer    = "AFZENDER_ONBEKEND"
	CodeCapacityRefused    = "HOEDANIGHEID_GEWEIGERD"
	CodeBadRequest         = "VERZOEK_ONGELDIG"
	CodeDataIncomplete     = "GEGEVENS_ONVOLLEDIG"
)

// Errors an answer maps to.
var (
	ErrNotFound       = errors.New("magda: no person with this INSZ in the national register")
	ErrNotInRepertory = errors.New("magda: the person is not in the consumer's repertory")
	ErrRefused        = errors.New("magda: the request was refused")
	ErrProtocol       = errors.New("magda: the answer does not follow the protocol")
)

// Kind is what an answer amounts to.
type Kind int

const (
	KindFound Kind = iota
	KindNotFound
	KindNotInRepertory
	KindRefused
)

// Outcome is a parsed answer to one question.
type Outcome struct {
	Kind      Kind
	Reference string // the answer's reference (echo of the question's)
	Person    *Person
	Errors    []Exception
	Warnings  []Exception
}

// Err maps the outcome to an error value; nil when a person was found.
func (o *Outcome) Err() error {
	switch o.Kind {
	case KindFound:
		return nil
	case KindNotFound:
		return ErrNotFound
	case KindNotInRepertory:
		return ErrNotInRepertory
	}
	return ErrRefused
}

// maxResponse bounds what the parser reads.
const maxResponse = 1 << 20

// ParseGeefPersoonResponse parses a SOAP envelope holding a GeefPersoon answer
// without checking its signature (the client verifies first, then parses the
// verified canonical Body through parseResponseBody).
func ParseGeefPersoonResponse(envelope []byte) (*Outcome, error) {
	if len(envelope) > maxResponse {
		return nil, fmt.Errorf("%w: too large", ErrProtocol)
	}
	root, err := parseXML(envelope)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrProtocol, err)
	}
	if root.local != "Envelope" || root.space() != NSSoap {
		return nil, fmt.Errorf("%w: not a SOAP envelope", ErrProtocol)
	}
	body := root.elem(NSSoap, "Body")
	if body == nil {
		return nil, fmt.Errorf("%w: no body", ErrProtocol)
	}
	return parseResponseBody(canonicalise(body))
}

// parseResponseBody reads the canonical soap:Body of an answer.
func parseResponseBody(canonBody []byte) (*Outcome, error) {
	var env struct {
		Response *Response `xml:"http://webservice.geefpersoondienst-02_02.persoon-1.vip.kszbcss.fgov.be GeefPersoonResponse"`
		Fault    *struct {
			Code   string `xml:"faultcode"`
			String string `xml:"faultstring"`
		} `xml:"http://schemas.xmlsoap.org/soap/envelope/ Fault"`
	}
	if err := xml.Unmarshal(canonBody, &env); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrProtocol, err)
	}
	if env.Fault != nil {
		return &Outcome{Kind: KindRefused, Errors: []Exception{{Identificatie: env.Fault.Code, Type: TypeError, Diagnose: env.Fault.String}}}, nil
	}
	if env.Response == nil {
		return nil, fmt.Errorf("%w: no GeefPersoonResponse", ErrProtocol)
	}
	rep := env.Response.Repliek
	out := &Outcome{}
	classify(out, rep.Uitzonderingen)
	if len(out.Errors) > 0 {
		// An error on the whole request (consumer, capacity, reference).
		out.Kind = KindRefused
		out.Reference = rep.Context.Bericht.Afzender.Referte
		return out, nil
	}
	if len(rep.Antwoorden.Antwoord) != 1 {
		return nil, fmt.Errorf("%w: expected one answer", ErrProtocol)
	}
	a := rep.Antwoorden.Antwoord[0]
	out.Reference = a.Referte
	classify(out, a.Uitzonderingen)
	switch {
	case hasCode(out.Errors, CodeNotFound):
		out.Kind = KindNotFound
	case hasCode(out.Errors, CodeNotInRepertory):
		out.Kind = KindNotInRepertory
	case len(out.Errors) > 0:
		out.Kind = KindRefused
	case a.Persoon == nil:
		return nil, fmt.Errorf("%w: neither a person nor an error", ErrProtocol)
	default:
		out.Kind = KindFound
		out.Person = a.Persoon
	}
	return out, nil
}

func classify(out *Outcome, exs []Exception) {
	for _, e := range exs {
		if e.Type == TypeError {
			out.Errors = append(out.Errors, e)
		} else {
			out.Warnings = append(out.Warnings, e)
		}
	}
}

func hasCode(exs []Exception, code string) bool {
	for _, e := range exs {
		if e.Identificatie == code {
			return true
		}
	}
	return false
}
