-- Statements are credited after they are stored, by seq range (ledger_pending_sql in
-- ledger.c): `through` is the last seq whose statements of the county are in the ledger.
-- A table of its own, apart from statement_counter, so crediting and storing never wait
-- for each other's row lock. Until now statements were credited as they were stored: all
-- of them are.
CREATE TABLE credits.credit_cursor (county_id text PRIMARY KEY, through bigint NOT NULL);
INSERT INTO credits.credit_cursor (county_id, through)
SELECT DISTINCT s.county_id, c.last FROM credits.statements s, credits.statement_counter c;
