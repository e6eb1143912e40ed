-- Reserved: filled in by the tenant_policy work (issue 3).
SELECT 1;
