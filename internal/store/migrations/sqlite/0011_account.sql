-- Reserved: filled in by the account work (issue 3).
SELECT 1;
