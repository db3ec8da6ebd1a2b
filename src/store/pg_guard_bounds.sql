-- Migration 12 (PostgreSQL only): the guards of migrations 8 and 9, without the holes a
-- plain-SQL attack with the organizations guide's roles found (issue 21).
--
-- 1. The audit log's `seq` is the guard's, not the role's: a team that chose its own (even
--    with OVERRIDING SYSTEM VALUE, which needs no privilege) could take the numbers everyone
--    else's next events would get, and every later change failed on the primary key.
-- 2. A pool's space is checked at commit, once per pool a guarded role touched: its free
--    blocks and allocations must tile its CIDRs exactly. A team may then remove free space
--    only by allocating it, and a team whose share was removed, which may still release its
--    own allocations (ipam_releases), gets back exactly the space it released: allocations
--    only shrink by the releases the allocation guard allowed, so what may be free is fixed.
-- 3. utilization_history is guarded: only for a pool the role may use, at the server's time,
--    with the counts the guard computes, never the role's.
-- 4. The IPAM admin account's own login role (mapped by database_role, not the owner) is
--    bounded too: it may release any account's allocation and adopt a discovered resource in
--    its owner's name (kind 'imported'), but moves nothing, writes nothing outside a pool's
--    CIDRs and no other kind in another account's name.
--
-- Trusted roles (the owner, its members, whoever may grant writes on allocations) still skip
-- every guard before its function runs, by the WHEN condition of migration 9.

-- The refusal of ipam_refuse, for a role other than the current one: a security-definer
-- function runs as the owner, but the refusal must name the role that made the change.
CREATE FUNCTION ipam_refuse_as(role TEXT, what TEXT) RETURNS VOID LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the database role % (account %) may not %', role,
        COALESCE(ipam_account_of(role), 'none: no organization_accounts.database_role names this role'), what
        USING ERRCODE = '42501';
END
$$;

-- The role that started the current statement, as seen from inside a security-definer
-- function (whose current_user is the owner): the role set by SET ROLE, else the login.
CREATE FUNCTION ipam_invoker() RETURNS TEXT LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN current_setting('role') = 'none' THEN session_user::text
                ELSE current_setting('role') END
$$;

-- A block of the free index (a 16-byte big-endian start, or a shorter one with the leading
-- zero bytes left out, and a prefix length) as an inet, or NULL when it is no aligned block
-- of the family: such a row can only be a forgery, and the space check refuses it.
CREATE FUNCTION ipam_block(start BYTEA, len BIGINT, v6 BOOLEAN) RETURNS INET
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    s BYTEA := '\x00000000000000000000000000000000'::bytea || start;
    b INET;
BEGIN
    s := substring(s FROM length(s) - 15);
    IF length(start) > 16 OR len < 0 OR len > (CASE WHEN v6 THEN 128 ELSE 32 END) THEN
        RETURN NULL;
    END IF;
    IF v6 THEN
        b := (regexp_replace(encode(s, 'hex'), '(....)(?!$)', '\1:', 'g') || '/' || len)::inet;
    ELSE
        IF substring(s FROM 1 FOR 12) <> '\x000000000000000000000000'::bytea THEN
            RETURN NULL;
        END IF;
        b := (get_byte(s, 12) || '.' || get_byte(s, 13) || '.' || get_byte(s, 14) || '.'
              || get_byte(s, 15) || '/' || len)::inet;
    END IF;
    RETURN CASE WHEN b = network(b)::inet THEN b END;
END
$$;

-- 1. The audit log: a guarded role appends events in its own name and changes none, and the
-- event's place in the log is the sequence's next number, whatever the role asked for.
CREATE OR REPLACE FUNCTION ipam_guard_audit() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
    IF NOT ipam_unruled() AND (TG_OP <> 'INSERT' OR NEW.account_id IS DISTINCT FROM ipam_current_account()) THEN
        PERFORM ipam_refuse(lower(TG_OP) || ' audit events of another account, or change the log');
    END IF;
    IF TG_OP = 'INSERT' THEN
        NEW.seq := nextval(pg_get_serial_sequence('audit_events', 'seq'));
        RETURN NEW;
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$;

-- 4. Allocations. Every guarded role, the IPAM admin's included: nobody moves an allocation
-- (pool, CIDR or its index columns) or changes its owner, and a new one lies inside its
-- pool's CIDRs with its index columns saying the same block as its CIDR. A team writes its
-- own allocations in pools it may use and may sweep expired reservations there. The IPAM
-- admin allocates from any pool, releases any account's allocations and reservations, and
-- writes in another account's name only kind 'imported' (adopting a discovered resource).
CREATE OR REPLACE FUNCTION ipam_guard_allocation() RETURNS TRIGGER LANGUAGE plpgsql AS $$
DECLARE
    me TEXT := ipam_current_account();
    admin BOOLEAN;
    v6 BOOLEAN;
BEGIN
    IF ipam_unruled() THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    admin := ipam_is_admin();
    IF TG_OP = 'DELETE' THEN
        IF OLD.owner_id IS DISTINCT FROM me AND NOT admin
           AND NOT (OLD.state = 'reserved' AND OLD.expires_at < extract(epoch FROM now())
                    AND ipam_may_use_pool(OLD.pool_id)) THEN
            PERFORM ipam_refuse('delete the allocation ' || OLD.id || ' of the account ' || OLD.owner_id);
        END IF;
        RETURN OLD;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        IF (NEW.pool_id, NEW.cidr, NEW.start, NEW.len)
                IS DISTINCT FROM (OLD.pool_id, OLD.cidr, OLD.start, OLD.len) THEN
            PERFORM ipam_refuse('move the allocation ' || OLD.id || ': release it and allocate anew');
        END IF;
        IF NEW.owner_id IS DISTINCT FROM OLD.owner_id THEN
            PERFORM ipam_refuse('give the allocation ' || OLD.id || ' of the account ' || OLD.owner_id
                || ' to the account ' || COALESCE(NEW.owner_id, 'none'));
        END IF;
        -- The admin keeps an adopted resource's record up to date; anything else is its owner's.
        IF OLD.owner_id IS DISTINCT FROM me
           AND NOT (admin AND OLD.kind = 'imported' AND NEW.kind = 'imported') THEN
            PERFORM ipam_refuse('update the allocation ' || OLD.id || ' of the account ' || OLD.owner_id);
        END IF;
        RETURN NEW;
    END IF;
    -- INSERT.
    IF NEW.owner_id IS DISTINCT FROM me AND NOT (admin AND NEW.kind = 'imported') THEN
        PERFORM ipam_refuse('write an allocation owned by the account ' || COALESCE(NEW.owner_id, 'none')
            || CASE WHEN admin THEN ' of kind ' || COALESCE(NEW.kind, 'none')
                    || ': the IPAM admin writes in another account''s name only to adopt a discovered resource (kind imported)'
               ELSE '' END);
    END IF;
    IF NOT ipam_may_use_pool(NEW.pool_id) THEN
        PERFORM ipam_refuse('allocate from the pool ' || NEW.pool_id || ': no resource share reaches the account');
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pool_cidrs WHERE pool_id = NEW.pool_id AND NEW.cidr::cidr <<= cidr::cidr) THEN
        PERFORM ipam_refuse('allocate ' || NEW.cidr || ' from the pool ' || NEW.pool_id || ': it is outside the pool''s CIDRs');
    END IF;
    -- Every reader parses the CIDR strictly (engine/cidr.rs): a spelling only the server
    -- accepts ('10.0.99/24') would make every listing of the pool fail for every account.
    IF NEW.cidr IS DISTINCT FROM NEW.cidr::cidr::text THEN
        PERFORM ipam_refuse('write the allocation ' || NEW.id || ' as ' || NEW.cidr
            || ': write its CIDR as ' || NEW.cidr::cidr::text);
    END IF;
    -- The allocator finds blocks by (pool_id, start), unique: an index that says another block
    -- would take a start someone else's allocation needs.
    v6 := family(NEW.cidr::cidr) = 6;
    IF ipam_block(NEW.start, NEW.len, v6) IS DISTINCT FROM NEW.cidr::cidr::inet THEN
        PERFORM ipam_refuse('write the allocation ' || NEW.id || ' indexed at another block than its CIDR ' || NEW.cidr);
    END IF;
    RETURN NEW;
END
$$;

-- A free block moved from one pool to another changes both pools' space: the role must be
-- allowed to change each (migration 8 asked only about the pool it moved to).
CREATE OR REPLACE FUNCTION ipam_guard_free_block() RETURNS TRIGGER LANGUAGE plpgsql AS $$
DECLARE
    p TEXT;
BEGIN
    IF ipam_unruled() THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    FOREACH p IN ARRAY CASE TG_OP WHEN 'INSERT' THEN ARRAY[NEW.pool_id]
                                  WHEN 'DELETE' THEN ARRAY[OLD.pool_id]
                                  ELSE ARRAY[OLD.pool_id, NEW.pool_id] END LOOP
        IF NOT ipam_may_use_pool(p)
           AND NOT EXISTS (SELECT 1 FROM ipam_releases WHERE pool_id = p AND xid = txid_current()) THEN
            PERFORM ipam_refuse('change the free space of the pool ' || p);
        END IF;
    END LOOP;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$;

-- 2 and 7. The pools whose space the current transaction changed, one row per pool and
-- transaction, written only by the security-definer trigger below (a trigger function cannot be
-- called directly, and the guard of this table refuses every other writer). Inserting the row
-- queues the pool's space check for commit; the check deletes it, so the table stays empty.
CREATE TABLE ipam_touched (
    pool_id TEXT NOT NULL,
    xid BIGINT NOT NULL,
    role TEXT NOT NULL,
    PRIMARY KEY (pool_id, xid)
);

CREATE FUNCTION ipam_note_touch() RETURNS TRIGGER LANGUAGE plpgsql SECURITY DEFINER AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        INSERT INTO ipam_touched VALUES (OLD.pool_id, txid_current(), ipam_invoker()) ON CONFLICT DO NOTHING;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO ipam_touched VALUES (NEW.pool_id, txid_current(), ipam_invoker()) ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END
$$;

-- The space check, at commit (deferred), for one pool a guarded role touched: the pool's free
-- blocks and allocations are aligned blocks that overlap nowhere, lie inside the pool's CIDRs
-- and add up to them. Together that is an exact tiling: nothing free that is taken, nothing
-- taken that is not an allocation, nothing outside. And no two free blocks are the halves of
-- one (the buddy system's own rule): splitting the index would hide the larger blocks. It waits for the pool's advisory locks as
-- the store's writers take them (store/backend.rs: WRITE_LOCK shared, then the pool's), so two
-- plain-SQL transactions cannot each pass on a view without the other's rows. The cost is one
-- read of the pool's rows per transaction and touched pool; trusted roles never pay it.
CREATE FUNCTION ipam_check_space() RETURNS TRIGGER LANGUAGE plpgsql SECURITY DEFINER AS $$
DECLARE
    p TEXT := NEW.pool_id;
    v6 BOOLEAN;
    bad TEXT;
BEGIN
    PERFORM pg_advisory_xact_lock_shared(1229996365), pg_advisory_xact_lock(18768, hashtext(p));
    DELETE FROM ipam_touched WHERE pool_id = p AND xid = txid_current();
    -- A snapshot older than this statement could miss rows committed meanwhile; the store
    -- writes in READ COMMITTED, so plain SQL must too.
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        PERFORM ipam_refuse_as(NEW.role, 'change the space of the pool ' || p
            || ' in a ' || current_setting('transaction_isolation') || ' transaction: use read committed');
    END IF;
    -- The family of the pool's space: of its CIDRs (the provided IPv6 space has one, and no
    -- pools row), else of its row.
    v6 := COALESCE(
        (SELECT family(cidr::cidr) = 6 FROM pool_cidrs WHERE pool_id = p LIMIT 1),
        (SELECT family = 'ipv6' FROM pools WHERE id = p),
        false);
    WITH roots AS (
        SELECT cidr::cidr AS net FROM pool_cidrs WHERE pool_id = p
    ), pieces AS (
        SELECT ipam_block(start, len, v6) AS net, true AS free,
               'the free block ' || COALESCE(host(ipam_block(start, len, v6)) || '/' || len,
                                             'at ' || encode(start, 'hex') || '/' || len) AS what
        FROM free_blocks WHERE pool_id = p
        UNION ALL
        SELECT net::inet, false, 'the allocation ' || id || ' (' || cidr || ')' FROM allocations WHERE pool_id = p
    ), ordered AS (
        SELECT net, free, what, lead(net) OVER (ORDER BY net) AS next_net,
               lead(free) OVER (ORDER BY net) AS next_free, lead(what) OVER (ORDER BY net) AS next_what
        FROM pieces WHERE net IS NOT NULL
    )
    SELECT reason INTO bad FROM (
        SELECT what || ' is no aligned block of the pool''s family' AS reason
        FROM pieces WHERE net IS NULL
        UNION ALL
        SELECT what || ' overlaps ' || next_what FROM ordered WHERE net && next_net
        UNION ALL
        SELECT what || ' lies outside the pool''s CIDRs' FROM pieces
        WHERE net IS NOT NULL AND NOT EXISTS (SELECT 1 FROM roots WHERE pieces.net <<= roots.net)
        UNION ALL
        -- Two free halves of one block inside a CIDR: the buddy allocator merges them on every
        -- release, and finds no block for a request larger than either, so a split index makes
        -- the pool look full to larger requests.
        SELECT what || ' and ' || next_what || ' are the two free halves of one block, which the free index keeps whole'
        FROM ordered
        WHERE free AND next_free AND masklen(net) = masklen(next_net) AND masklen(net) > 0
          AND network(set_masklen(net, masklen(net) - 1)) = network(set_masklen(next_net, masklen(net) - 1))
          AND EXISTS (SELECT 1 FROM roots WHERE network(set_masklen(ordered.net, masklen(ordered.net) - 1)) <<= roots.net)
        UNION ALL
        SELECT 'part of its CIDRs is neither free nor allocated'
        WHERE (SELECT COALESCE(sum(power(2::numeric, (CASE WHEN v6 THEN 128 ELSE 32 END) - masklen(net))), 0) FROM roots)
           <> (SELECT COALESCE(sum(power(2::numeric, (CASE WHEN v6 THEN 128 ELSE 32 END) - masklen(net))), 0) FROM pieces)
    ) faults LIMIT 1;
    IF bad IS NOT NULL THEN
        PERFORM ipam_refuse_as(NEW.role, 'leave the pool ' || p || '''s space untiled: ' || bad
            || ' (free space is removed only by allocating it, and returned only by releasing an allocation; '
            || 'a pool damaged before this change is checked, and its free index rebuilt, by terraform-provider-ipam verify --repair run as the database owner)');
    END IF;
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER ipam_check_space AFTER INSERT ON ipam_touched
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ipam_check_space();

-- 3. Utilization history: a guarded role records a point only for a pool it may use (or
-- released in, as free_blocks), stamped with the server's time and the counts the guard
-- computes from the pool's CIDRs and free blocks (the store's own rule, store/history.rs),
-- and changes no other point. A role mapped to no account records none.
CREATE FUNCTION ipam_guard_history() RETURNS TRIGGER LANGUAGE plpgsql AS $$
DECLARE
    bits INT;
    total NUMERIC;
    free NUMERIC;
    now_at BIGINT := extract(epoch FROM now())::bigint;
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF NOT ipam_unruled() THEN
            PERFORM ipam_refuse('delete the utilization history of the pool ' || OLD.pool_id);
        END IF;
        RETURN OLD;
    END IF;
    IF NOT ipam_unruled() AND NOT ipam_may_use_pool(NEW.pool_id)
       AND NOT EXISTS (SELECT 1 FROM ipam_releases WHERE pool_id = NEW.pool_id AND xid = txid_current()) THEN
        PERFORM ipam_refuse('record the utilization of the pool ' || NEW.pool_id);
    END IF;
    IF TG_OP = 'UPDATE' AND (NEW.pool_id IS DISTINCT FROM OLD.pool_id OR OLD.at <> now_at) THEN
        PERFORM ipam_refuse('change a recorded utilization point of the pool ' || OLD.pool_id);
    END IF;
    SELECT CASE family WHEN 'ipv6' THEN 128 ELSE 32 END INTO bits FROM pools WHERE id = NEW.pool_id;
    IF bits IS NULL THEN
        PERFORM ipam_refuse('record the utilization of ' || NEW.pool_id || ', which is no pool');
    END IF;
    SELECT COALESCE(sum(power(2::numeric, bits - len)), 0) INTO total FROM pool_cidrs WHERE pool_id = NEW.pool_id;
    SELECT COALESCE(sum(power(2::numeric, bits - len)), 0) INTO free FROM free_blocks WHERE pool_id = NEW.pool_id;
    NEW.at := now_at;
    NEW.total := trunc(total)::text;
    NEW.allocated := trunc(greatest(total - free, 0))::text;
    RETURN NEW;
END
$$;

-- The new guards, filtered like migration 9's (trusted roles skip them before they run).
-- ipam_touched's check trigger has no filter: only the security-definer note writes it.
DO $$
DECLARE
    filter TEXT := 'WHEN (NOT has_table_privilege(''allocations''::regclass, ''INSERT WITH GRANT OPTION''))';
BEGIN
    EXECUTE 'CREATE TRIGGER ipam_guard BEFORE INSERT OR UPDATE OR DELETE ON utilization_history FOR EACH ROW '
        || filter || ' EXECUTE FUNCTION ipam_guard_history()';
    EXECUTE 'CREATE TRIGGER ipam_guard BEFORE INSERT OR UPDATE OR DELETE ON ipam_touched FOR EACH ROW '
        || filter || ' EXECUTE FUNCTION ipam_guard_organization()';
    EXECUTE 'CREATE TRIGGER ipam_touched AFTER INSERT OR UPDATE OR DELETE ON free_blocks FOR EACH ROW '
        || filter || ' EXECUTE FUNCTION ipam_note_touch()';
    EXECUTE 'CREATE TRIGGER ipam_touched AFTER INSERT OR DELETE ON allocations FOR EACH ROW '
        || filter || ' EXECUTE FUNCTION ipam_note_touch()';
    -- Pinned to this schema like migration 8's functions.
    EXECUTE format('ALTER FUNCTION ipam_refuse_as(TEXT, TEXT) SET search_path = %I, pg_temp', current_schema());
    EXECUTE format('ALTER FUNCTION ipam_invoker() SET search_path = %I, pg_temp', current_schema());
    EXECUTE format('ALTER FUNCTION ipam_block(BYTEA, BIGINT, BOOLEAN) SET search_path = %I, pg_temp', current_schema());
    EXECUTE format('ALTER FUNCTION ipam_guard_audit() SET search_path = %I, pg_temp', current_schema());
    EXECUTE format('ALTER FUNCTION ipam_guard_allocation() SET search_path = %I, pg_temp', current_schema());
    EXECUTE format('ALTER FUNCTION ipam_guard_free_block() SET search_path = %I, pg_temp', current_schema());
    EXECUTE format('ALTER FUNCTION ipam_note_touch() SET search_path = %I, pg_temp', current_schema());
    EXECUTE format('ALTER FUNCTION ipam_check_space() SET search_path = %I, pg_temp', current_schema());
    EXECUTE format('ALTER FUNCTION ipam_guard_history() SET search_path = %I, pg_temp', current_schema());
END
$$;

-- A log already jammed by a role's chosen numbers is freed: the sequence continues past them.
DO $$
DECLARE
    s TEXT := pg_get_serial_sequence('audit_events', 'seq');
    m BIGINT := (SELECT max(seq) FROM audit_events);
BEGIN
    IF m > COALESCE(pg_sequence_last_value(s::regclass), 0) THEN
        PERFORM setval(s, m);
    END IF;
END
$$;
