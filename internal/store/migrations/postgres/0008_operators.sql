-- Reserved: filled in by the operators work (issue 3).
SELECT 1;
