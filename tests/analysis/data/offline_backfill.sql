-- backfill 'claims_region' of claims (alembic_safe.backfill): batches of 1000 keys by id, each committed; run again, it resumes after the last committed batch
DO $alembic_safe$
BEGIN
    -- equal only in the first statement of a transaction: this one must not be in a block
    IF transaction_timestamp() <> statement_timestamp() THEN
        RAISE EXCEPTION USING MESSAGE = 'backfill: the connection is inside a transaction, so batches could not commit one by one; in a migration call it inside `with op.get_context().autocommit_block():`';
    END IF;
    IF to_regclass('claims') IS NULL THEN
        RAISE EXCEPTION USING MESSAGE = 'backfill: table claims does not exist (names are exact; pass schema= for a table outside the search_path)';
    END IF;
    IF NOT EXISTS (SELECT FROM pg_attribute WHERE attrelid = to_regclass('claims') AND attname = 'id' AND attnum > 0 AND NOT attisdropped) THEN
        RAISE EXCEPTION USING MESSAGE = 'backfill: table claims has no column ''id'' to use as key=';
    END IF;
    IF NOT (SELECT attnotnull FROM pg_attribute WHERE attrelid = to_regclass('claims') AND attname = 'id' AND attnum > 0 AND NOT attisdropped) THEN
        RAISE EXCEPTION USING MESSAGE = 'backfill: key column ''id'' of claims may be NULL; rows with a NULL key would be skipped, so use a NOT NULL column (the primary key) as key=';
    END IF;
    IF to_regclass('alembic_safe_backfill_progress') IS NULL THEN  -- no NOTICE when it exists
        CREATE TABLE IF NOT EXISTS alembic_safe_backfill_progress (
            name text PRIMARY KEY,
            table_name text NOT NULL,
            key_column text NOT NULL,
            last_key text,
            updated_rows bigint NOT NULL DEFAULT 0,
            batches integer NOT NULL DEFAULT 0,
            started_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now(),
            finished_at timestamptz
        );
    END IF;
    -- statement_timeout would cover every batch of the next block together: lifted for it,
    -- restored at its end (lock_timeout still applies to each lock a batch waits for)
    PERFORM set_config('alembic_safe.statement_timeout', current_setting('statement_timeout'), false);
    PERFORM set_config('statement_timeout', '0', false);
END
$alembic_safe$;
DO $alembic_safe$
#variable_conflict use_column
<<alembic_safe_backfill>>
DECLARE
    resume_after claims.id%TYPE;
    lower_bound claims.id%TYPE;
    upper_bound claims.id%TYPE;
    progress record;
    batch_rows bigint;
    total_rows bigint := 0;
    total_batches integer := 0;
BEGIN
    INSERT INTO alembic_safe_backfill_progress (name, table_name, key_column)
    VALUES ('claims_region', 'claims', 'id') ON CONFLICT (name) DO NOTHING;
    SELECT table_name, key_column INTO alembic_safe_backfill.progress FROM alembic_safe_backfill_progress WHERE name = 'claims_region';
    IF (alembic_safe_backfill.progress.table_name, alembic_safe_backfill.progress.key_column)
            IS DISTINCT FROM ('claims', 'id') THEN
        RAISE EXCEPTION USING MESSAGE = 'backfill: the name ''claims_region'' is already used by a backfill of ' || alembic_safe_backfill.progress.table_name || ' by ' || alembic_safe_backfill.progress.key_column || '; give this backfill another name=';
    END IF;
    IF NOT pg_try_advisory_lock(3535533438635106408) THEN
        RAISE EXCEPTION USING MESSAGE = 'backfill ''claims_region'' is running in another session; wait for it to finish (progress: SELECT * FROM alembic_safe_backfill_progress WHERE name = ''claims_region'')';
    END IF;
    SELECT last_key, finished_at INTO alembic_safe_backfill.progress FROM alembic_safe_backfill_progress WHERE name = 'claims_region';
    alembic_safe_backfill.resume_after := alembic_safe_backfill.progress.last_key;
    IF alembic_safe_backfill.progress.finished_at IS NOT NULL THEN
        PERFORM pg_advisory_unlock(3535533438635106408);
        PERFORM set_config('statement_timeout', coalesce(current_setting('alembic_safe.statement_timeout', true), current_setting('statement_timeout')), false);
        RAISE NOTICE 'backfill %: already finished', 'claims_region';
        RETURN;
    END IF;
    LOOP
        IF alembic_safe_backfill.resume_after IS NULL THEN
            SELECT id INTO alembic_safe_backfill.lower_bound FROM claims ORDER BY id LIMIT 1;
        ELSE
            SELECT id INTO alembic_safe_backfill.lower_bound FROM claims
            WHERE id > alembic_safe_backfill.resume_after ORDER BY id LIMIT 1;
        END IF;
        SELECT coalesce(
            (SELECT id FROM claims WHERE id >= alembic_safe_backfill.lower_bound
             ORDER BY id OFFSET 999 LIMIT 1),
            (SELECT id FROM claims WHERE id >= alembic_safe_backfill.lower_bound
             ORDER BY id DESC LIMIT 1))
        INTO alembic_safe_backfill.upper_bound;
        -- the batch and its progress commit together; with no key left (both bounds NULL)
        -- the UPDATE touches nothing and the backfill is marked finished
        UPDATE claims SET region = 'eu'
        WHERE id >= alembic_safe_backfill.lower_bound AND id <= alembic_safe_backfill.upper_bound AND (region IS NULL);
        GET DIAGNOSTICS alembic_safe_backfill.batch_rows = ROW_COUNT;
        UPDATE alembic_safe_backfill_progress
        SET last_key = coalesce(alembic_safe_backfill.upper_bound::text, last_key),
            batches = batches + CASE WHEN alembic_safe_backfill.upper_bound IS NULL THEN 0 ELSE 1 END,
            updated_rows = updated_rows + alembic_safe_backfill.batch_rows,
            updated_at = now(),
            finished_at = CASE WHEN alembic_safe_backfill.upper_bound IS NULL THEN now() END
        WHERE name = 'claims_region';
        COMMIT;
        EXIT WHEN alembic_safe_backfill.upper_bound IS NULL;
        alembic_safe_backfill.total_rows := alembic_safe_backfill.total_rows + alembic_safe_backfill.batch_rows;
        alembic_safe_backfill.total_batches := alembic_safe_backfill.total_batches + 1;
        RAISE NOTICE 'backfill %: % rows in % batches, last key %', 'claims_region',
            alembic_safe_backfill.total_rows, alembic_safe_backfill.total_batches, alembic_safe_backfill.upper_bound;
        alembic_safe_backfill.resume_after := alembic_safe_backfill.upper_bound;
    END LOOP;
    PERFORM pg_advisory_unlock(3535533438635106408);
    PERFORM set_config('statement_timeout', coalesce(current_setting('alembic_safe.statement_timeout', true), current_setting('statement_timeout')), false);
    RAISE NOTICE 'backfill %: finished, % rows in % batches', 'claims_region',
        alembic_safe_backfill.total_rows, alembic_safe_backfill.total_batches;
END
$alembic_safe$;
