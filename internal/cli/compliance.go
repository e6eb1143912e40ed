package cli

// complianceCommands are the subcommands of kluis compliance: what the
// supplier can show of how Kluis keeps the contract (issue's clause
// coverage here; the per-tenant report beside it).
func complianceCommands() []subcommand {
	return []subcommand{
		{"clauses", platform, complianceClauses},
		{"report", tenantData, complianceReport},
		{"drift", tenantData, complianceDrift},
	}
}
