-- Migration 12 (PostgreSQL only): the guards of migrations 8 and 9, without the holes a
-- plain-SQL attack with the organizations guide's roles found (issue 21).
--
-- 1. The audit log's `seq` is the guard's, not the role's: a team that chose its own (even
--    with OVERRIDING SYSTEM VALUE, which needs no privilege) could take the numbers everyone
--    else's next events would get, and every later change failed on the primary key.
-- 2. A pool's space is checked at commit, once per pool a guarded role touched: wherever the
--    transaction wrote or deleted a free block or an allocation, free blocks and allocations
--    must still tile the pool's CIDRs exactly. A team may then remove free space only by
--    allocating it, and a team whose share was removed, which may still release its own
--    allocations (ipam_releases), gets back exactly the space it released: allocations only
--    shrink by the releases the allocation guard allowed, so what may be free is fixed.
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

-- The space check finds allocations by key ranges: a key of another length would hide one.
CREATE FUNCTION ipam_check_key(a allocations) RETURNS VOID LANGUAGE plpgsql AS $$
BEGIN
    IF length(a.start) <> 16 THEN
        PERFORM ipam_refuse('write the allocation ' || a.id || ' with a key of '
            || length(a.start) || ' bytes: allocations are keyed by 16');
    END IF;
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
        IF TG_OP <> 'DELETE' THEN
            PERFORM ipam_check_key(NEW);
        END IF;
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
    PERFORM ipam_check_key(NEW);
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
-- A written free block is a 16-byte key (the space check finds blocks by key ranges) and an
-- aligned block of its pool's family.
CREATE OR REPLACE FUNCTION ipam_guard_free_block() RETURNS TRIGGER LANGUAGE plpgsql AS $$
DECLARE
    p TEXT;
BEGIN
    IF NOT ipam_unruled() THEN
        FOREACH p IN ARRAY CASE TG_OP WHEN 'INSERT' THEN ARRAY[NEW.pool_id]
                                      WHEN 'DELETE' THEN ARRAY[OLD.pool_id]
                                      ELSE ARRAY[OLD.pool_id, NEW.pool_id] END LOOP
            IF NOT ipam_may_use_pool(p)
               AND NOT EXISTS (SELECT 1 FROM ipam_releases WHERE pool_id = p AND xid = txid_current()) THEN
                PERFORM ipam_refuse('change the free space of the pool ' || p);
            END IF;
        END LOOP;
    END IF;
    IF TG_OP <> 'DELETE' AND (length(NEW.start) <> 16 OR ipam_block(NEW.start, NEW.len, COALESCE(
            (SELECT family(cidr::cidr) = 6 FROM pool_cidrs WHERE pool_id = NEW.pool_id LIMIT 1),
            (SELECT family = 'ipv6' FROM pools WHERE id = NEW.pool_id), false)) IS NULL) THEN
        PERFORM ipam_refuse('write the free block ' || encode(NEW.start, 'hex') || '/' || NEW.len
            || ' into the pool ' || NEW.pool_id || ': it is no aligned block of the pool''s family');
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$;

-- 2 and 7. What a guarded role's transaction changed in each pool's space, written only by the
-- security-definer trigger below (a trigger function cannot be called directly, and the guard
-- of these tables refuses every other writer): one row per pool, whose insertion queues the
-- pool's space check for commit, and one per block it wrote or deleted (free blocks and
-- allocations alike). The check deletes both, so the tables stay empty.
CREATE TABLE ipam_touched (
    pool_id TEXT NOT NULL,
    xid BIGINT NOT NULL,
    role TEXT NOT NULL,
    PRIMARY KEY (pool_id, xid)
);
CREATE TABLE ipam_touched_blocks (
    pool_id TEXT NOT NULL,
    xid BIGINT NOT NULL,
    start BYTEA NOT NULL,
    len BIGINT NOT NULL,
    PRIMARY KEY (pool_id, xid, start, len)
);

CREATE FUNCTION ipam_note_touch() RETURNS TRIGGER LANGUAGE plpgsql SECURITY DEFINER AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        INSERT INTO ipam_touched VALUES (OLD.pool_id, txid_current(), ipam_invoker()) ON CONFLICT DO NOTHING;
        INSERT INTO ipam_touched_blocks VALUES (OLD.pool_id, txid_current(), OLD.start, OLD.len) ON CONFLICT DO NOTHING;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO ipam_touched VALUES (NEW.pool_id, txid_current(), ipam_invoker()) ON CONFLICT DO NOTHING;
        INSERT INTO ipam_touched_blocks VALUES (NEW.pool_id, txid_current(), NEW.start, NEW.len) ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END
$$;

-- A stored key (16 bytes, big-endian; shorter ones are read with their leading zero bytes
-- left out) as 16 bytes.
CREATE FUNCTION ipam_key(start BYTEA) RETURNS BYTEA LANGUAGE sql IMMUTABLE AS $$
    SELECT substring('\x00000000000000000000000000000000'::bytea || start FROM length(start) + 1)
$$;

-- The first (last) key of the block of prefix length len holding key k: the bits after the
-- prefix cleared (set). An IPv4 address is the key's last 32 bits.
CREATE FUNCTION ipam_key_bound(k BYTEA, len BIGINT, v6 BOOLEAN, last BOOLEAN) RETURNS BYTEA
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    fixed INT := len + CASE WHEN v6 THEN 0 ELSE 96 END;
    b BYTEA := k;
BEGIN
    FOR i IN (fixed / 8) .. 15 LOOP
        IF i = fixed / 8 AND fixed % 8 <> 0 THEN
            b := set_byte(b, i, CASE WHEN last THEN get_byte(b, i) | (255 >> (fixed % 8))
                                     ELSE get_byte(b, i) & (255 << (8 - fixed % 8)) & 255 END);
        ELSE
            b := set_byte(b, i, CASE WHEN last THEN 255 ELSE 0 END);
        END IF;
    END LOOP;
    RETURN b;
END
$$;

-- The space check, at commit (deferred), for one pool a guarded role touched. Before the
-- transaction the pool's free blocks and allocations tiled its CIDRs (the guards keep it so;
-- trusted roles are trusted to); outside the blocks the transaction wrote or deleted nothing
-- changed, so it suffices that each of those blocks is, now, either inside one piece (free
-- block or allocation) or tiled exactly by the pieces inside it, and lies inside the pool's
-- CIDRs (or, deprovisioned, holds nothing). Together: nothing free that is taken, nothing taken
-- that is not an allocation, nothing outside, no space lost. No two free blocks may be the two
-- halves of one either (the buddy system's own rule: a split index hides the larger blocks).
-- The cost is a few index lookups per block the transaction wrote, whatever the pool's size;
-- trusted roles never pay it. It waits for the pool's advisory locks as the store's writers
-- take them (ipam_db::Lock: the database-wide lock shared, then the pool's key), so two plain-SQL
-- transactions cannot each pass on a view without the other's rows.
CREATE FUNCTION ipam_check_space() RETURNS TRIGGER LANGUAGE plpgsql SECURITY DEFINER AS $$
DECLARE
    p TEXT := NEW.pool_id;
    v6 BOOLEAN;
    bits INT;
    b RECORD;
    r RECORD;
    bnet INET;
    ks BYTEA;
    ke BYTEA;
    in_root BOOLEAN;
    n INT;
    inside NUMERIC;
    containing BOOLEAN;
    prev INET;
    prev_what TEXT;
    bad TEXT;
    split TEXT;
BEGIN
    PERFORM pg_advisory_xact_lock_shared(1229996365), pg_advisory_xact_lock(18768, hashtext(p));
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
    bits := CASE WHEN v6 THEN 128 ELSE 32 END;
    <<blocks>>
    FOR b IN
        SELECT t.start, t.len, ipam_block(t.start, t.len, v6) AS net
        FROM ipam_touched_blocks t WHERE t.pool_id = p AND t.xid = txid_current()
        -- Blocks outside the pool's CIDRs first: the clearest reason to give.
        ORDER BY EXISTS (SELECT 1 FROM pool_cidrs c WHERE c.pool_id = p
                         AND ipam_block(t.start, t.len, v6) <<= c.cidr::cidr), t.start, t.len
    LOOP
        -- A row that was no block, now deleted, leaves nothing to tile; one written is
        -- refused by the guards before it is stored.
        CONTINUE WHEN b.net IS NULL;
        bnet := b.net;
        ks := ipam_key_bound(ipam_key(b.start), b.len, v6, false);
        ke := ipam_key_bound(ks, b.len, v6, true);
        in_root := EXISTS (SELECT 1 FROM pool_cidrs WHERE pool_id = p AND bnet <<= cidr::cidr);
        n := 0;
        inside := 0;
        containing := false;
        prev := NULL;
        -- The pieces overlapping the block: those starting inside it, and the nearest of each
        -- kind starting before it (which overlaps only by containing it).
        FOR r IN
            SELECT * FROM (
                SELECT ipam_block(f.start, f.len, v6) AS net, true AS free, ipam_key(f.start) AS k,
                       'the free block ' || COALESCE(host(ipam_block(f.start, f.len, v6)) || '/' || f.len,
                                                     'at ' || encode(f.start, 'hex') || '/' || f.len) AS what
                FROM free_blocks f WHERE f.pool_id = p AND f.start BETWEEN ks AND ke
                UNION ALL
                SELECT a.net::inet, false, a.start, 'the allocation ' || a.id || ' (' || a.cidr || ')'
                FROM allocations a WHERE a.pool_id = p AND a.start BETWEEN ks AND ke
                UNION ALL
                (SELECT ipam_block(f.start, f.len, v6), true, ipam_key(f.start),
                        'the free block ' || COALESCE(host(ipam_block(f.start, f.len, v6)) || '/' || f.len,
                                                      'at ' || encode(f.start, 'hex') || '/' || f.len)
                 FROM free_blocks f WHERE f.pool_id = p AND f.start < ks ORDER BY f.start DESC LIMIT 1)
                UNION ALL
                (SELECT a.net::inet, false, a.start, 'the allocation ' || a.id || ' (' || a.cidr || ')'
                 FROM allocations a WHERE a.pool_id = p AND a.start < ks ORDER BY a.start DESC LIMIT 1)
            ) o
            WHERE o.net IS NULL OR o.net && bnet
            ORDER BY o.net
        LOOP
            IF r.net IS NULL THEN
                bad := r.what || ' is no aligned block of the pool''s family';
            ELSIF NOT in_root THEN
                bad := r.what || ' lies outside the pool''s CIDRs';
            ELSIF prev IS NOT NULL AND prev && r.net THEN
                bad := prev_what || ' overlaps ' || r.what;
            ELSIF split IS NULL AND r.free AND masklen(r.net) > 0
                  AND EXISTS (SELECT 1 FROM pool_cidrs WHERE pool_id = p
                              AND network(set_masklen(r.net, masklen(r.net) - 1)) <<= cidr::cidr)
                  AND EXISTS (SELECT 1 FROM free_blocks WHERE pool_id = p AND len = masklen(r.net)
                              AND start BETWEEN ipam_key_bound(r.k, masklen(r.net) - 1, v6, false)
                                            AND ipam_key_bound(r.k, masklen(r.net) - 1, v6, true)
                              AND start <> r.k) THEN
                -- Reported only if nothing worse is found.
                split := r.what || ' and its buddy are the two free halves of one block, which the free index keeps whole';
            END IF;
            EXIT blocks WHEN bad IS NOT NULL;
            n := n + 1;
            IF r.net >> bnet THEN
                containing := true;
            ELSE
                inside := inside + power(2::numeric, bits - masklen(r.net));
            END IF;
            prev := r.net;
            prev_what := r.what;
        END LOOP;
        IF in_root AND NOT (containing AND n = 1)
           AND inside <> power(2::numeric, bits - masklen(bnet)) THEN
            bad := 'part of ' || bnet || ' is neither free nor allocated';
            EXIT blocks;
        END IF;
    END LOOP;
    bad := COALESCE(bad, split);
    DELETE FROM ipam_touched WHERE pool_id = p AND xid = txid_current();
    DELETE FROM ipam_touched_blocks WHERE pool_id = p AND xid = txid_current();
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
-- computes from the pool's CIDRs and free blocks (core's own rule, history.rs),
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
    EXECUTE 'CREATE TRIGGER ipam_guard BEFORE INSERT OR UPDATE OR DELETE ON ipam_touched_blocks FOR EACH ROW '
        || filter || ' EXECUTE FUNCTION ipam_guard_organization()';
    EXECUTE 'CREATE TRIGGER ipam_touched AFTER INSERT OR UPDATE OR DELETE ON free_blocks FOR EACH ROW '
        || filter || ' EXECUTE FUNCTION ipam_note_touch()';
    EXECUTE 'CREATE TRIGGER ipam_touched AFTER INSERT OR DELETE OR UPDATE OF pool_id, cidr, start, len ON allocations FOR EACH ROW '
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
    EXECUTE format('ALTER FUNCTION ipam_check_key(allocations) SET search_path = %I, pg_temp', current_schema());
    EXECUTE format('ALTER FUNCTION ipam_key(BYTEA) SET search_path = %I, pg_temp', current_schema());
    EXECUTE format('ALTER FUNCTION ipam_key_bound(BYTEA, BIGINT, BOOLEAN, BOOLEAN) SET search_path = %I, pg_temp', current_schema());
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
