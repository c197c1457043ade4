-- A generation settled by reading the transaction after its answer was lost has no PGW
-- generation id; the new code is kept so the B2C ticket written after it reports it.
ALTER TABLE code_generations ALTER COLUMN generation_id DROP NOT NULL;
ALTER TABLE code_generations ADD COLUMN code text;
