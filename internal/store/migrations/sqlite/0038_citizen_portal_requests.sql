-- A citizen files requests from their own view (DSR-1). email: the address
-- a session opened by a mailed code proved, sealed with the tenant key (AD
-- citizen_sessions/email/<hex of id_hash>), so that a request filed in the
-- session is answered by mail like one filed with a code; NULL for a FAS
-- session (a national register number has no address). Deleted with the
-- session.
ALTER TABLE citizen_sessions ADD COLUMN email BLOB;

-- A report of a suspicious access may open an objection or a restriction
-- in the same step: request_id names the request it filed.
ALTER TABLE access_reports ADD COLUMN request_id TEXT REFERENCES subject_requests (id);
