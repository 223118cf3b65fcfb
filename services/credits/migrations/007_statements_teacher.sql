-- Nothing reads statements by teacher but the backfill of a new program, which wants every
-- matched statement in the program's window: a scan either way. Every statement stored
-- paid for the index's upkeep (a random insert into a B-tree of text keys, about a sixth of
-- PostgreSQL's work storing it).
DROP INDEX credits.statements_teacher;
