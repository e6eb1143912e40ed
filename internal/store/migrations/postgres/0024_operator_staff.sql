-- The supplier's staff list (contract AUD-5): each controller sees every
-- operator account that can be granted access, with its department. The
-- department is an organisational unit ("Support", "Hosting"), not
-- personal data, and is empty for controller users.
ALTER TABLE users ADD COLUMN department TEXT NOT NULL DEFAULT '';
