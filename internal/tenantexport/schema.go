package tenantexport

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/kluis/kluis/internal/store"
)

// osloTerms are the OSLO (Flemish semantic standard) terms the CSV twins
// use as headers where one fits; the JSON Lines keep the column names. A
// modest start: the dossier (a submission), its documents and people.
var osloTerms = map[string]map[string]string{
	"submissions": {
		"id": "Dossier.identificator", "reference": "Dossier.referentie", "status": "Dossier.status",
		"created_at": "Dossier.ontvangstdatum", "form_key": "Dossier.type",
	},
	"attachments": {"id": "Document.identificator", "name": "Document.naam", "content_type": "Document.formaat"},
	"users":       {"id": "Persoon.identificator", "name": "Persoon.volledigeNaam", "email": "Contactinfo.eMail"},
	"tenant": {
		"legal_name": "Organisatie.voorkeursnaam", "enterprise_number": "Organisatie.kboNummer",
	},
}

func csvHeader(entity, column string) string {
	if t := osloTerms[entity][column]; t != "" {
		return t
	}
	return column
}

// schemaOf is the JSON Schema (draft 2020-12) of one line of the entity's
// JSON Lines file.
func schemaOf(e store.TenantEntity, cols []store.Column) ([]byte, error) {
	props := map[string]any{}
	required := []string{}
	for _, c := range cols {
		p := map[string]any{}
		var typ string
		switch c.Kind {
		case store.KindInteger:
			typ = "integer"
		case store.KindBytes:
			typ = "string"
			p["contentEncoding"] = "base64"
		case store.KindFile:
			typ = "string"
			p["description"] = "path of the file in this export, then #sha256= and the file's SHA-256"
		default:
			typ = "string"
		}
		if c.Nullable {
			p["type"] = []string{typ, "null"}
		} else {
			p["type"] = typ
		}
		if strings.HasSuffix(c.Name, "_at") || c.Name == "at" || c.Name == "due_at" || c.Name == "window_start" || c.Name == "deadline" {
			p["description"] = "microseconds since 1970-01-01T00:00:00Z (UTC)"
		}
		if c.Sealed {
			p["x-kluis-sealed"] = true
		}
		if t := osloTerms[e.Name][c.Name]; t != "" {
			p["x-oslo"] = t // the OSLO class and property (data.vlaanderen.be), as the CSV header
		}
		props[c.Name] = p
		required = append(required, c.Name)
	}
	return json.MarshalIndent(map[string]any{
		"$schema":              "https://json-schema.org/draft/2020-12/schema",
		"$id":                  "https://kluis.example/schemas/tenant-export/1/" + e.Name + ".schema.json",
		"title":                e.Name,
		"description":          e.About,
		"type":                 "object",
		"properties":           props,
		"required":             required,
		"additionalProperties": false,
	}, "", "  ")
}

var readmeIntro = map[string]string{
	"nl": `# Volledige export van %[1]s

Deze export bevat alle gegevens van het bestuur in Kluis (contractclausule END-3), in een gestructureerd,
machineleesbaar formaat:

- ` + "`entities/<naam>.jsonl`" + `: één JSON-object per regel, per entiteit; persoonsgegevens zijn ontsleuteld.
- ` + "`schemas/<naam>.schema.json`" + `: het JSON Schema (draft 2020-12) van één regel.
- ` + "`csv/<naam>.csv`" + `: dezelfde gegevens als CSV; kolomkoppen met OSLO-termen waar die bestaan.
- ` + "`files/<id>`" + `: de bijlagen zoals ze opgeladen zijn.
- ` + "`manifest.json`" + `: per bestand het aantal rijen, de bytes en de SHA-256.

Tijden zijn microseconden sinds 1970-01-01 UTC; bytes zijn base64. Een waarde die niet ontsleuteld kon worden
(beschadiging) is null en staat als "unreadable" geteld in het manifest. Wat niet in de export zit: wachtwoorden,
tweede factoren, passkeys, sessies en andere geheimen (die worden nooit overgedragen), en de kolommen die enkel
met de sleutels van deze installatie betekenis hebben. Met ` + "`.age`" + ` is het bestand versleuteld voor de
age-ontvanger van de verwerkingsverantwoordelijke (` + "`age -d -i sleutel.txt`" + `).

Een import in een andere installatie (` + "`kluis import`" + `) behoudt elke id; een nieuwe export geeft dezelfde
entiteitsbestanden, behalve: het logboek (` + "`audit_events`, `audit_list_objects`, `audit_heads`" + `) groeit met de
gebeurtenissen van de import en de nieuwe export, en de entiteiten hieronder die niet ingelezen worden. Gebruikers
hebben daar geen wachtwoord (een herstellink meldt hen aan), API-sleutels en geheimen worden opnieuw ingesteld, en de
pseudoniemen met sleutel blijven die van de oude installatie. ` + "`exported_at`" + ` in het manifest is het tijdstip van de export.

## Bestanden
`,
	"fr": `# Export complet de %[1]s

Cet export contient toutes les données de l’administration dans Kluis (clause END-3), dans un format structuré
et lisible par machine :

- ` + "`entities/<nom>.jsonl`" + ` : un objet JSON par ligne, par entité ; les données personnelles sont déchiffrées.
- ` + "`schemas/<nom>.schema.json`" + ` : le schéma JSON (draft 2020-12) d’une ligne.
- ` + "`csv/<nom>.csv`" + ` : les mêmes données en CSV ; en-têtes avec les termes OSLO quand ils existent.
- ` + "`files/<id>`" + ` : les pièces jointes telles qu’elles ont été déposées.
- ` + "`manifest.json`" + ` : par fichier, le nombre de lignes, les octets et le SHA-256.

Les dates sont en microsecondes depuis le 1970-01-01 UTC ; les octets en base64. Une valeur qui n’a pas pu être
déchiffrée (dommage) vaut null et est comptée comme « unreadable » dans le manifeste. Ne sont pas exportés : mots de
passe, seconds facteurs, passkeys, sessions et autres secrets (jamais transmis), ni les colonnes qui n’ont de sens
qu’avec les clés de cette installation. Un fichier ` + "`.age`" + ` est chiffré pour le destinataire age du
responsable du traitement (` + "`age -d -i cle.txt`" + `).

Un import dans une autre installation (` + "`kluis import`" + `) garde chaque identifiant ; un nouvel export donne les
mêmes fichiers d’entités, sauf : le journal (` + "`audit_events`, `audit_list_objects`, `audit_heads`" + `) s’allonge des
événements de l’import et du nouvel export, et les entités ci-dessous qui ne sont pas importées. Les utilisateurs y
n’ont pas de mot de passe (un lien de réinitialisation les connecte), les clés API et secrets sont à redéfinir, et les
pseudonymes à clé restent ceux de l’ancienne installation. ` + "`exported_at`" + ` dans le manifeste est l’heure de l’export.

## Fichiers
`,
	"en": `# Full export of %[1]s

This export holds all of the organisation's data in Kluis (contract clause END-3), in a structured,
machine-readable format:

- ` + "`entities/<name>.jsonl`" + `: one JSON object per line, per entity; personal data is decrypted.
- ` + "`schemas/<name>.schema.json`" + `: the JSON Schema (draft 2020-12) of one line.
- ` + "`csv/<name>.csv`" + `: the same data as CSV; headers use OSLO terms where they exist.
- ` + "`files/<id>`" + `: attachments as they were uploaded.
- ` + "`manifest.json`" + `: per file the number of rows, bytes and SHA-256.

Times are microseconds since 1970-01-01 UTC; bytes are base64. A value that could not be decrypted (damage)
is null and counted as "unreadable" in the manifest. Not exported: passwords, second factors, passkeys,
sessions and other secrets (never handed over), nor columns that mean something only with this instance's keys.
A ` + "`.age`" + ` file is encrypted to the controller's age recipient (` + "`age -d -i key.txt`" + `).

An import into another instance (` + "`kluis import`" + `) keeps every id; exporting it again gives the same
entity files except: ` + "`audit_events`" + `, ` + "`audit_list_objects`" + ` and ` + "`audit_heads`" + ` grow by the
import's and the new export's events; the entities marked "Not imported" below are not imported;
` + "`api_keys`" + `, webhooks and sign-in providers come back without their secrets (set new ones); users have no
password (a reset link signs them in); the citizens' keyed pseudonyms (` + "`subject_index`" + `, ` + "`contact_index`" + `,
` + "`email_index`" + `, ` + "`recipient_index`" + `, ` + "`person_index`" + `) are recomputed under the new instance's key, while
` + "`audit_events.subject`" + ` keeps the old pseudonyms (the log is hash-chained) and the import records old → new in
` + "`tenant.reindex`" + ` events. The manifest's ` + "`exported_at`" + ` is the export's time.

## Files
`,
}

// readmeWords: "not imported" and "decrypted" per language.
var readmeWords = map[string][2]string{
	"nl": {"Wordt niet ingelezen bij een import in een andere Kluis-installatie", "Ontsleuteld"},
	"fr": {"N’est pas importé dans une autre installation Kluis", "Déchiffré"},
	"en": {"Not imported", "Decrypted"},
}

// writeReadmes writes README.nl.md, README.fr.md and README.en.md.
func writeReadmes(ctx context.Context, db *store.DB, sk sink, m Manifest) ([]FileEntry, error) {
	var out []FileEntry
	for _, lang := range []string{"nl", "fr", "en"} {
		var b strings.Builder
		fmt.Fprintf(&b, readmeIntro[lang], m.Slug)
		b.WriteString("\n")
		words := readmeWords[lang]
		for _, e := range store.TenantEntities {
			desc := e.About
			switch lang {
			case "nl":
				desc = about[e.Name][0]
			case "fr":
				desc = about[e.Name][1]
			}
			fmt.Fprintf(&b, "- `%s`: %s.", e.Name, desc)
			if e.NoImport != "" {
				fmt.Fprintf(&b, " %s", words[0])
				if lang == "en" {
					fmt.Fprintf(&b, ": %s", e.NoImport)
				}
				b.WriteString(".")
			}
			cols, err := db.TenantEntityColumns(ctx, e)
			if err != nil {
				return nil, err
			}
			var sealed []string
			for _, c := range cols {
				if c.Sealed {
					sealed = append(sealed, c.Name)
				}
			}
			if len(sealed) > 0 {
				fmt.Fprintf(&b, " %s: %s.", words[1], strings.Join(sealed, ", "))
			}
			b.WriteString("\n")
		}
		fe, err := writeWhole(sk, "README."+lang+".md", "", []byte(b.String()))
		if err != nil {
			return nil, err
		}
		out = append(out, fe)
	}
	return out, nil
}
