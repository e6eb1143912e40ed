package magdasim

import "github.com/kluis/kluis/internal/magda"

// Persona is a fictitious person the simulator knows. The INSZ numbers are
// made up with valid check digits; names and addresses are invented
// ("Voorbeeldstraat", "Proefmans") so that nobody mistakes them for real data.
type Persona struct {
	Person         magda.Person
	NotInRepertory bool              // known to the register, not in the consumer's repertory
	Warnings       []magda.Exception // answered along with the person
}

// Persona INSZ numbers, for tests and the demo.
const (
	INSZAnouk   = "85073003328" // found, Dutch-speaking, Gent
	INSZLotte   = "03111512876" // found with a warning, born after 2000
	INSZCamille = "92020226470" // found, French-speaking, Brussels, two nationalities
	INSZRemi    = "77041239121" // not in the consumer's repertory
	INSZUnknown = "60010199746" // valid check digits, unknown to the register
)

// Personas returns the simulator's register, keyed by INSZ.
func Personas() map[string]Persona {
	belg := magda.Nationality{Code: "150", Omschrijving: "Belg"}
	return map[string]Persona{
		INSZAnouk: {Person: magda.Person{
			INSZ: INSZAnouk, Voornamen: []string{"Anouk", "Maria"}, Achternaam: "Testelmans",
			Geboortedatum: "1985-07-30", Nationaliteiten: []magda.Nationality{belg},
			Adres: &magda.Address{Straat: "Voorbeeldstraat", Huisnummer: "12", Postcode: "9000", Gemeente: "Gent", Landcode: "BE"},
		}},
		INSZLotte: {Person: magda.Person{
			INSZ: INSZLotte, Voornamen: []string{"Lotte"}, Achternaam: "Proefmans",
			Geboortedatum: "2003-11-15", Nationaliteiten: []magda.Nationality{belg},
			Adres: &magda.Address{Straat: "Oefenlaan", Huisnummer: "3", Busnummer: "2", Postcode: "2000", Gemeente: "Antwerpen", Landcode: "BE"},
		}, Warnings: []magda.Exception{{
			Identificatie: magda.CodeDataIncomplete, Oorsprong: "MAGDA-SIMULATOR", Type: magda.TypeWarning,
			Diagnose: "Adresgegevens worden bijgewerkt",
		}}},
		INSZCamille: {Person: magda.Person{
			INSZ: INSZCamille, Voornamen: []string{"Camille"}, Achternaam: "Exemple",
			Geboortedatum:   "1992-02-02",
			Nationaliteiten: []magda.Nationality{belg, {Code: "111", Omschrijving: "Frans"}},
			Adres:           &magda.Address{Straat: "Rue de l'Exemple", Huisnummer: "5", Postcode: "1000", Gemeente: "Bruxelles", Landcode: "BE"},
		}},
		INSZRemi: {Person: magda.Person{
			INSZ: INSZRemi, Voornamen: []string{"Remi"}, Achternaam: "Fictief",
			Geboortedatum: "1977-04-12", Nationaliteiten: []magda.Nationality{belg},
		}, NotInRepertory: true},
	}
}
