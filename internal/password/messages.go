package password

import (
	"fmt"
	"strings"
)

// messages holds the text of every rule in Dutch (nl-BE), French and
// English, addressed politely ("u", "vous"). Keys are the Rule constants;
// %d verbs take Violation.Args in order.
var messages = map[string]map[string]string{
	"nl": {
		RuleTooShort:          "Uw wachtwoord moet minstens %d tekens lang zijn.",
		RuleTooLong:           "Uw wachtwoord mag hoogstens %d tekens lang zijn.",
		RuleCommon:            "Dit wachtwoord komt voor op een lijst van veelgebruikte wachtwoorden. Kies een ander, bijvoorbeeld een zin van enkele woorden.",
		RuleContext:           "Uw wachtwoord mag uw e-mailadres of de naam van uw organisatie niet bevatten.",
		RuleInvalidUTF8:       "Uw wachtwoord bevat ongeldige tekens. Typ het opnieuw.",
		RuleControlChars:      "Uw wachtwoord mag geen stuurtekens bevatten, zoals een tab of een regeleinde. Spaties en leestekens zijn wel toegestaan.",
		RuleBreached:          "Dit wachtwoord komt voor in bekende datalekken en is dus niet meer veilig. Kies een ander.",
		RulePolicyMinLength:   "De minimale wachtwoordlengte moet tussen %d en %d tekens liggen.",
		RulePolicyMaxLength:   "De maximale wachtwoordlengte moet tussen %d en %d tekens liggen.",
		RulePolicyMinAboveMax: "De minimale lengte (%d) mag niet groter zijn dan de maximale lengte (%d).",
	},
	"fr": {
		RuleTooShort:          "Votre mot de passe doit contenir au moins %d caractères.",
		RuleTooLong:           "Votre mot de passe ne peut pas dépasser %d caractères.",
		RuleCommon:            "Ce mot de passe figure dans une liste de mots de passe courants. Veuillez en choisir un autre, par exemple une phrase de quelques mots.",
		RuleContext:           "Votre mot de passe ne peut contenir ni votre adresse e-mail ni le nom de votre organisation.",
		RuleInvalidUTF8:       "Votre mot de passe contient des caractères non valides. Veuillez le saisir à nouveau.",
		RuleControlChars:      "Votre mot de passe ne peut pas contenir de caractères de contrôle, comme une tabulation ou un saut de ligne. Les espaces et la ponctuation sont autorisés.",
		RuleBreached:          "Ce mot de passe figure dans des fuites de données connues et n'est donc plus sûr. Veuillez en choisir un autre.",
		RulePolicyMinLength:   "La longueur minimale du mot de passe doit être comprise entre %d et %d caractères.",
		RulePolicyMaxLength:   "La longueur maximale du mot de passe doit être comprise entre %d et %d caractères.",
		RulePolicyMinAboveMax: "La longueur minimale (%d) ne peut pas dépasser la longueur maximale (%d).",
	},
	"en": {
		RuleTooShort:          "Your password must be at least %d characters long.",
		RuleTooLong:           "Your password must be at most %d characters long.",
		RuleCommon:            "This password is on a list of commonly used passwords. Please choose another, for example a phrase of a few words.",
		RuleContext:           "Your password must not contain your e-mail address or the name of your organisation.",
		RuleInvalidUTF8:       "Your password contains invalid characters. Please type it again.",
		RuleControlChars:      "Your password must not contain control characters, such as a tab or a line break. Spaces and punctuation are allowed.",
		RuleBreached:          "This password appears in known data breaches, so it is no longer safe. Please choose another.",
		RulePolicyMinLength:   "The minimum password length must be between %d and %d characters.",
		RulePolicyMaxLength:   "The maximum password length must be between %d and %d characters.",
		RulePolicyMinAboveMax: "The minimum length (%d) must not exceed the maximum length (%d).",
	},
}

// fallback is shown for a rule without a message, which tests rule out.
var fallback = map[string]string{
	"nl": "Dit wachtwoord kan niet gebruikt worden. Kies een ander.",
	"fr": "Ce mot de passe ne peut pas être utilisé. Veuillez en choisir un autre.",
	"en": "This password cannot be used. Please choose another.",
}

// Message returns the text of v in lang: "nl", "fr" or "en", or a tag
// starting with one of them ("nl-BE", "fr_BE"); any other language gets
// Dutch. A nil v gives "".
func Message(lang string, v *Violation) string {
	if v == nil {
		return ""
	}
	lang = strings.ToLower(lang)
	if i := strings.IndexAny(lang, "-_"); i >= 0 {
		lang = lang[:i]
	}
	cat, ok := messages[lang]
	if !ok {
		lang, cat = "nl", messages["nl"]
	}
	format, ok := cat[v.Rule]
	if !ok {
		return fallback[lang]
	}
	return fmt.Sprintf(format, v.Args...)
}
