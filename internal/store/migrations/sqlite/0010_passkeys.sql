-- Reserved: filled in by the passkeys work (issue 3).
SELECT 1;
