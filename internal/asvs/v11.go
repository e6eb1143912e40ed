package asvs

// Chapter V11, Cryptography: the level 1 and 2 requirements of ASVS 5.0.0.
// Topic and Note are our own words; the standard's text is not copied.
var v11 = chapter(11, "Cryptography", []Requirement{
	{ID: "11.1.1", Topic: "key management policy", Level: 2, Status: Documented,
		Note: "docs/security.md, Cryptographic inventory; docs/operations.md, Keys"},
	{ID: "11.1.2", Topic: "cryptographic inventory", Level: 2, Status: Documented,
		Note: "docs/security.md, Cryptographic inventory"},
	{ID: "11.2.1", Topic: "vetted libraries only", Level: 2, Status: Tested},
	{ID: "11.2.2", Topic: "crypto agility", Level: 2, Status: Partly,
		Note: "keys rotate and each ciphertext names its key and format version; re-encrypting old data and changing " +
			"the master key are not automated yet"},
	{ID: "11.2.3", Topic: "at least 128-bit security", Level: 2, Status: Tested},
	{ID: "11.3.1", Topic: "no ECB, no PKCS#1 v1.5", Level: 1, Status: Tested},
	{ID: "11.3.2", Topic: "AES-GCM and age only", Level: 1, Status: Tested},
	{ID: "11.3.3", Topic: "authenticated encryption", Level: 2, Status: Tested},
	{ID: "11.4.1", Topic: "no MD5, SHA-1 only where a protocol fixes it", Level: 1, Status: Tested},
	{ID: "11.4.2", Topic: "argon2id password hashing", Level: 2, Status: Tested},
	{ID: "11.4.3", Topic: "256-bit hashes for integrity", Level: 2, Status: Tested},
	{ID: "11.4.4", Level: 2, Status: NotApplicable,
		Note: "no key is derived from a password: keys are random, backups use age X25519 recipients"},
	{ID: "11.5.1", Topic: "CSPRNG, 128 bits", Level: 2, Status: Partly,
		Note: "no math/rand; tokens are 256-bit (TestTokensAreRandomAndStoredHashed); the six-digit e-mail codes are " +
			"shorter by design, expiring and rate-limited"},
	{ID: "11.6.1", Topic: "Ed25519 signatures", Level: 2, Status: Tested},
})
