// Package register owns the controller's processing register (annex 1 of the
// data processing agreement) as data: the information classes of the Flemish
// government classification (contract REG-7), purposes, data categories with
// their retention, and the demo register. Pure Go, standard library only.
package register

import "strings"

// Class is one information class of the Flemish classification (REG-7).
type Class struct {
	Code  string // "3.08"
	Label string // the Dutch label as in the contract
	// Special is true for the 4.x classes, which include the special
	// categories of art. 9 GDPR and need an art. 9 basis.
	Special bool
	// ExtraConditions marks 3.08 (national register number), which carries
	// conditions of its own.
	ExtraConditions bool
}

// Classes is the REG-7 table, in contract order.
var Classes = []Class{
	{Code: "1.00", Label: "Publiek"},
	{Code: "2.00", Label: "Professionele contactgegevens"},
	{Code: "3.00", Label: "Persoonlijke contactgegevens"},
	{Code: "3.01", Label: "Identificatiegegevens"},
	{Code: "3.02", Label: "Persoonlijke kenmerken"},
	{Code: "3.03", Label: "Consumptiegewoonten"},
	{Code: "3.04", Label: "Woningkenmerken"},
	{Code: "3.05", Label: "Opleiding, ervaring en vorming"},
	{Code: "3.06", Label: "Beroep en betrekking"},
	{Code: "3.07", Label: "Vrijetijdsbesteding en interesses"},
	{Code: "3.08", Label: "Rijksregisternummer / identificatienummer van de sociale zekerheid", ExtraConditions: true},
	{Code: "4.00", Label: "Financiële en fiscale gegevens", Special: true},
	{Code: "4.01", Label: "Leefgewoonten", Special: true},
	{Code: "4.02", Label: "Fysieke, medische of psychische gegevens en behandelingen", Special: true},
	{Code: "4.03", Label: "Samenstelling van het gezin", Special: true},
	{Code: "4.04", Label: "Juridische en gerechtelijke gegevens", Special: true},
	{Code: "4.05", Label: "Raciale of etnische gegevens", Special: true},
	{Code: "4.06", Label: "Gegevens over seksuele geaardheid", Special: true},
	{Code: "4.07", Label: "Politieke, filosofische of religieuze relaties en overtuigingen", Special: true},
	{Code: "4.08", Label: "Beeld- en geluidopnamen", Special: true},
	{Code: "4.09", Label: "Genetische en biometrische gegevens", Special: true},
	{Code: "4.10", Label: "Locatiegegevens", Special: true},
	{Code: "4.11", Label: "Contractuele details met werkgever", Special: true},
	{Code: "4.12", Label: "Evaluatie en prestaties", Special: true},
	{Code: "4.13", Label: "Gegevens sociale zekerheid", Special: true},
	{Code: "4.14", Label: "Statuten en vergunningen", Special: true},
	{Code: "5.00", Label: "zeer geheim"},
}

// ClassByCode looks a class up by its code ("3.08"); ok is false when unknown.
func ClassByCode(code string) (Class, bool) {
	code = strings.TrimSpace(code)
	for _, c := range Classes {
		if c.Code == code {
			return c, true
		}
	}
	return Class{}, false
}
