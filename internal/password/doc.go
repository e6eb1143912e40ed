// Package password owns how Kluis stores and judges passwords: argon2id
// hashing in PHC string form with a cap on concurrent hashing (contract
// USR-7), and the password policy a tenant may tune within platform floors
// (contract USR-3, OWASP ASVS 5.0 V6.2, NIST SP 800-63B §3.1.1), with its
// messages in Dutch, French and English and an embedded list of common
// passwords.
//
// It is a pure domain package: it imports only the standard library and
// golang.org/x/crypto/argon2, and does no I/O beyond its embedded files.
// Callers (account, web, api) decide when to hash, verify or check; storing
// the encoded hash is the store's business, and the breached-password range
// query (Policy.BreachCheck) belongs in an adapter.
//
// Passwords are handled exactly as typed: no trimming, case folding, Unicode
// normalisation or truncation (ASVS 6.2.3). argon2 hashes every byte.
package password
