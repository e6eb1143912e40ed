-- Reserved: filled in by the oidc work (issue 3).
SELECT 1;
