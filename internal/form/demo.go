package form

import "github.com/kluis/kluis/internal/register"

func t3(nl, fr, en string) register.Text { return register.Text{"nl": nl, "fr": fr, "en": en} }

func ptr(f float64) *float64 { return &f }

// DemoForms are the demo tenant's forms, publishable under register.Demo():
// a question or report, an application for a social benefit that asks
// for the national register number, an IBAN and a supporting document
// (the number, name and address prefilled from the national register
// after FAS sign-in), and
// a residents' parking permit in three steps with an attachment.
func DemoForms() []Form {
	name := Field{Key: "name", Type: TypeText, Label: t3("Naam en voornaam", "Nom et prénom", "Full name"), Required: true,
		Category: "contact", Purpose: "online-services"}
	email := Field{Key: "email", Type: TypeEmail, Label: t3("E-mailadres", "Adresse e-mail", "E-mail address"), Required: true,
		Help:     t3("We antwoorden op dit adres.", "Nous répondons à cette adresse.", "We answer at this address."),
		Category: "contact", Purpose: "online-services"}
	phone := Field{Key: "phone", Type: TypePhone, Label: t3("Telefoonnummer", "Numéro de téléphone", "Phone number"),
		Help:     t3("Bijvoorbeeld 0470 12 34 56 of +32 9 123 45 67.", "Par exemple 0470 12 34 56 ou +32 9 123 45 67.", "For example 0470 12 34 56 or +32 9 123 45 67."),
		Category: "contact", Purpose: "online-services"}
	contact := Form{
		Key:   "vraag",
		Title: t3("Vraag of melding", "Question ou signalement", "Question or report"),
		Intro: t3("Stel een vraag aan de gemeente of meld een probleem in de buurt.", "Posez une question à la commune ou signalez un problème dans le quartier.",
			"Ask the municipality a question or report a problem in the neighbourhood."),
		Pages: []Page{{Key: "vraag", Title: t3("Uw vraag", "Votre question", "Your question"), Fields: []Field{
			name, email, phone,
			{Key: "topic", Type: TypeChoice, Label: t3("Onderwerp", "Sujet", "Topic"), Required: true, Category: "web-forms", Purpose: "online-services",
				Options: []Option{
					{Value: "street", Label: t3("Straat, verlichting of groen", "Rue, éclairage ou espaces verts", "Street, lighting or greenery")},
					{Value: "waste", Label: t3("Afval", "Déchets", "Waste")},
					{Value: "other", Label: t3("Iets anders", "Autre chose", "Something else")},
				}},
			{Key: "message", Type: TypeLongText, Label: t3("Uw vraag of melding", "Votre question ou signalement", "Your question or report"),
				Required: true, MaxLength: 3000, Category: "web-forms", Purpose: "online-services"},
			{Key: "photo", Type: TypeFile, Label: t3("Foto of document (niet verplicht)", "Photo ou document (facultatif)", "Photo or document (optional)"),
				Help:     t3("PDF, JPEG of PNG, hoogstens 10 MB.", "PDF, JPEG ou PNG, 10 Mo au maximum.", "PDF, JPEG or PNG, at most 10 MB."),
				Category: "attachments", Purpose: "online-services"},
		}}},
		Done: t3("We beantwoorden uw vraag binnen tien werkdagen.", "Nous répondons à votre question dans les dix jours ouvrables.",
			"We answer your question within ten working days."),
		ConfirmationMail: true, ConfirmationField: "email",
		HandlingDays: 14, // ten working days, as Done says
	}
	email2 := email
	email2.Purpose = "social-support"
	phone2 := phone
	phone2.Purpose = "social-support"
	name2 := name
	name2.Purpose = "social-support"
	name2.Prefill = &Prefill{Source: PrefillSource, Data: PrefillFullName}
	benefit := Form{
		Key:   "toelage",
		Title: t3("Aanvraag sociale toelage", "Demande d'allocation sociale", "Application for a social allowance"),
		Intro: t3("Vraag een tegemoetkoming aan in de kosten van energie en water. U heeft uw rijksregisternummer en een recent inkomensattest nodig.",
			"Demandez une intervention dans les frais d'énergie et d'eau. Vous avez besoin de votre numéro de registre national et d'une attestation de revenus récente.",
			"Apply for a contribution to energy and water costs. You need your national register number and a recent income certificate."),
		Pages: []Page{
			{Key: "aanvrager", Title: t3("Over u", "Vous concernant", "About you"), Fields: []Field{
				{Key: "insz", Type: TypeINSZ, Label: t3("Rijksregisternummer", "Numéro de registre national", "National register number"), Required: true,
					Help:     t3("Op de achterkant van uw identiteitskaart, bijvoorbeeld 85.07.15-123.97.", "Au verso de votre carte d'identité, par exemple 85.07.15-123.97.", "On the back of your identity card, for example 85.07.15-123.97."),
					Category: "national-number", Purpose: "social-support",
					// After FAS sign-in, from the national register (prefill.go);
					// the number is the one the citizen signed in with.
					Prefill: &Prefill{Source: PrefillSource, Data: PrefillINSZ, ReadOnly: true}},
				name2, email2, phone2,
				{Key: "address", Type: TypeAddress, Label: t3("Adres", "Adresse", "Address"), Required: true, Category: "address", Purpose: "social-support",
					Prefill: &Prefill{Source: PrefillSource, Data: PrefillAddress}},
			}},
			{Key: "situatie", Title: t3("Uw situatie", "Votre situation", "Your situation"), Fields: []Field{
				{Key: "household", Type: TypeNumber, Label: t3("Aantal personen in uw gezin", "Nombre de personnes dans votre ménage", "Number of people in your household"),
					Required: true, Min: ptr(1), Max: ptr(20), Category: "income", Purpose: "social-support"},
				{Key: "income", Type: TypeNumber, Label: t3("Netto-inkomen van het gezin per maand (euro)", "Revenu net du ménage par mois (euros)", "Net household income per month (euro)"),
					Required: true, Min: ptr(0), Max: ptr(100000), Category: "income", Purpose: "social-support"},
				{Key: "iban", Type: TypeIBAN, Label: t3("Rekeningnummer (IBAN)", "Numéro de compte (IBAN)", "Account number (IBAN)"), Required: true,
					Help:     t3("Bijvoorbeeld BE68 5390 0754 7034.", "Par exemple BE68 5390 0754 7034.", "For example BE68 5390 0754 7034."),
					Category: "bank-account", Purpose: "social-support"},
				{Key: "certificate", Type: TypeFile, Label: t3("Inkomensattest", "Attestation de revenus", "Income certificate"), Required: true,
					Help:     t3("PDF, JPEG of PNG, hoogstens 10 MB.", "PDF, JPEG ou PNG, 10 Mo au maximum.", "PDF, JPEG or PNG, at most 10 MB."),
					Category: "attachments", Purpose: "online-services"},
				{Key: "truthful", Type: TypeCheckbox, Label: t3("Ik verklaar dat deze gegevens juist en volledig zijn.", "Je déclare que ces données sont exactes et complètes.",
					"I declare that this information is correct and complete."), Required: true, Category: "income", Purpose: "social-support"},
			}},
		},
		Done: t3("De sociale dienst behandelt uw aanvraag binnen dertig dagen en laat u de beslissing weten.",
			"Le service social traite votre demande dans les trente jours et vous communique sa décision.",
			"The social service handles your application within thirty days and lets you know the decision."),
		ConfirmationMail: true, ConfirmationField: "email",
		HandlingDays: 30,
	}
	// A form in three steps with an attachment (issue 10): the residents'
	// parking permit.
	permit := Form{
		Key:   "parkeervergunning",
		Title: t3("Parkeervergunning voor bewoners", "Permis de stationnement pour riverains", "Residents' parking permit"),
		Intro: t3("Vraag een parkeervergunning aan om in uw straat te parkeren. U heeft het inschrijvingsbewijs van uw wagen nodig.",
			"Demandez un permis de stationnement pour stationner dans votre rue. Vous avez besoin du certificat d'immatriculation de votre véhicule.",
			"Apply for a permit to park in your street. You need your vehicle's registration certificate."),
		Pages: []Page{
			{Key: "gegevens", Title: t3("Uw gegevens", "Vos données", "Your details"), Fields: []Field{name, email, phone}},
			{Key: "adres", Title: t3("Adres en wagen", "Adresse et véhicule", "Address and vehicle"), Fields: []Field{
				{Key: "address", Type: TypeAddress, Label: t3("Adres", "Adresse", "Address"), Required: true, Category: "address", Purpose: "online-services"},
				{Key: "plate", Type: TypeText, Label: t3("Nummerplaat", "Plaque d'immatriculation", "Number plate"), Required: true, MaxLength: 12,
					Help:     t3("Bijvoorbeeld 1-ABC-123.", "Par exemple 1-ABC-123.", "For example 1-ABC-123."),
					Category: "web-forms", Purpose: "online-services"},
			}},
			{Key: "bewijs", Title: t3("Bewijsstuk", "Justificatif", "Supporting document"), Fields: []Field{
				{Key: "registration", Type: TypeFile, Label: t3("Inschrijvingsbewijs van de wagen", "Certificat d'immatriculation du véhicule", "Vehicle registration certificate"),
					Required: true,
					Help:     t3("PDF, JPEG of PNG, hoogstens 10 MB.", "PDF, JPEG ou PNG, 10 Mo au maximum.", "PDF, JPEG or PNG, at most 10 MB."),
					Category: "attachments", Purpose: "online-services"},
				{Key: "remarks", Type: TypeLongText, Label: t3("Opmerkingen", "Remarques", "Remarks"), MaxLength: 1000,
					Category: "web-forms", Purpose: "online-services"},
			}},
		},
		Done: t3("De dienst mobiliteit behandelt uw aanvraag binnen vijf werkdagen.",
			"Le service mobilité traite votre demande dans les cinq jours ouvrables.",
			"The mobility department handles your application within five working days."),
		ConfirmationMail: true, ConfirmationField: "email",
	}
	return []Form{contact, benefit, permit}
}

// DemoForm is the demo form with key as DemoForms makes it, for a caller
// that changes one setting of it; the zero Form when there is none.
func DemoForm(key string) Form {
	for _, f := range DemoForms() {
		if f.Key == key {
			return f
		}
	}
	return Form{}
}
