-- Statements are credited after they are stored, by seq range (ledger_credit_pending in
-- ledger.c): `through` is the last seq whose statements are in the ledger. A row of its own,
-- apart from statement_counter, so crediting and storing never wait for each other's row
-- lock. Until now statements were credited as they were stored: all of them are.
CREATE TABLE credits.credit_cursor (one boolean PRIMARY KEY DEFAULT true CHECK (one),
    through bigint NOT NULL);
INSERT INTO credits.credit_cursor (through) SELECT last FROM credits.statement_counter;
