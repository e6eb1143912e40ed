-- Site editors (USR-5): an admin gives any user (a medewerker, a DPO) the
-- right to write, publish and take offline the public site's pages and to
-- read its visitor statistics, on top of their role. A flag rather than a
-- role: the role check on users stays as it is, and an editor keeps the
-- rights of their own role. 0 or 1; granting and revoking are audited
-- (user.site_editor.grant / .revoke).
ALTER TABLE users ADD COLUMN site_editor INTEGER NOT NULL DEFAULT 0;
