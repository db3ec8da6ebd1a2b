-- Migration 8 (PostgreSQL only): the organization's rules, enforced by the database itself.
--
-- Who is trusted: a role that is a member of the role owning the tables (the database owner
-- who ran the first migration, or a superuser). It acts as whatever account its provider
-- block declares, as on SQLite; the management account's configuration normally connects so.
-- Every other role is a team role: it acts as the account whose
-- organization_accounts.database_role is its name (or as no account), and the triggers below
-- refuse, with an error naming the account, every write the organization's rules forbid it,
-- whether it comes from the provider or from plain SQL. Team roles still need ordinary grants
-- (docs/guides/organizations.md); these guards decide what those grants may be used for.

-- Whether the current role may do anything (owner of the tables, or a superuser).
CREATE FUNCTION ipam_trusted() RETURNS BOOLEAN LANGUAGE sql STABLE AS $$
    SELECT pg_has_role((SELECT relowner FROM pg_class WHERE oid = 'allocations'::regclass), 'MEMBER')
$$;

-- Whether the organization's rules do not bind the current role: it is trusted, or the
-- database has no organization (then every account may do everything, as in the store).
CREATE FUNCTION ipam_unruled() RETURNS BOOLEAN LANGUAGE sql STABLE AS $$
    SELECT ipam_trusted() OR NOT EXISTS (SELECT 1 FROM organizations)
$$;

-- The account a role acts as, or NULL. Security definer, so a role that may read nothing (a
-- narrow viewer) still learns who it is.
CREATE FUNCTION ipam_account_of(role TEXT) RETURNS TEXT LANGUAGE sql STABLE SECURITY DEFINER AS $$
    SELECT account_id FROM organization_accounts WHERE database_role = role
$$;

-- The account the current role acts as, or NULL.
CREATE FUNCTION ipam_current_account() RETURNS TEXT LANGUAGE sql STABLE AS $$
    SELECT ipam_account_of(current_user::text)
$$;

-- The account that administers IPAM: the delegated admin, else the management account.
CREATE FUNCTION ipam_admin_account() RETURNS TEXT LANGUAGE sql STABLE AS $$
    SELECT COALESCE(delegated_admin_account_id, management_account_id) FROM organizations LIMIT 1
$$;

CREATE FUNCTION ipam_is_admin() RETURNS BOOLEAN LANGUAGE sql STABLE AS $$
    SELECT COALESCE(ipam_current_account() = ipam_admin_account(), false)
$$;

-- Whether the current account may allocate from pool p: it administers IPAM, owns the pool,
-- or a share of the pool names it, a unit above it at any depth, or the organization (the
-- same rule as authority.rs, Role::PoolUser).
CREATE FUNCTION ipam_may_use_pool(p TEXT) RETURNS BOOLEAN LANGUAGE sql STABLE AS $$
    WITH RECURSIVE me AS (
        SELECT ipam_current_account() AS id
    ), up(id, depth) AS (
        SELECT a.parent_id, 0 FROM organization_accounts a JOIN me ON a.account_id = me.id
        UNION ALL
        SELECT u.parent_id, up.depth + 1 FROM organizational_units u JOIN up ON u.id = up.id
        WHERE up.depth < 1000
    )
    SELECT me.id IS NOT NULL AND (
        ipam_is_admin()
        OR EXISTS (SELECT 1 FROM pools WHERE id = p AND owner_id = me.id)
        OR EXISTS (
            SELECT 1 FROM resource_share_pools sp
            JOIN resource_share_principals pr ON pr.share_id = sp.share_id
            WHERE sp.pool_id = p AND (
                pr.principal = me.id
                OR pr.principal IN (SELECT id FROM up)
                OR pr.principal IN (SELECT id FROM organizations)
            )
        )
    )
    FROM me
$$;

-- The error every guard raises (SQLSTATE 42501, insufficient_privilege).
CREATE FUNCTION ipam_refuse(what TEXT) RETURNS VOID LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the database role % (account %) may not %', current_user,
        COALESCE(ipam_current_account(), 'none: no organization_accounts.database_role names this role'), what
        USING ERRCODE = '42501';
END
$$;

-- Tables that shape the address space: only the IPAM admin account writes them.
CREATE FUNCTION ipam_guard_admin() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
    IF NOT ipam_unruled() AND NOT ipam_is_admin() THEN
        PERFORM ipam_refuse(lower(TG_OP) || ' rows of ' || TG_TABLE_NAME
            || ': only the IPAM admin account ' || COALESCE(ipam_admin_account(), '(none: no organization)') || ' may');
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$;

-- The organization itself (and the release notes): only trusted roles (the management
-- account's configuration), organization or not.
CREATE FUNCTION ipam_guard_organization() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
    IF NOT ipam_trusted() THEN
        PERFORM ipam_refuse(lower(TG_OP) || ' rows of ' || TG_TABLE_NAME
            || ': only the management account, connected as the database owner, may');
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$;

-- Allocations: new ones are the caller's own, in a pool it may use, inside the pool's CIDRs;
-- existing ones are changed (never moved) or released by their owner or the IPAM admin; anyone allocating from a pool may clear its
-- expired reservations (the store sweeps them before allocating).
CREATE FUNCTION ipam_guard_allocation() RETURNS TRIGGER LANGUAGE plpgsql AS $$
DECLARE
    me TEXT := ipam_current_account();
BEGIN
    IF ipam_unruled() OR ipam_is_admin() THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.owner_id IS DISTINCT FROM me THEN
        IF NOT (TG_OP = 'DELETE' AND OLD.state = 'reserved'
                AND OLD.expires_at < extract(epoch FROM now()) AND ipam_may_use_pool(OLD.pool_id)) THEN
            PERFORM ipam_refuse(lower(TG_OP) || ' the allocation ' || OLD.id || ' of the account ' || OLD.owner_id);
        END IF;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        IF NEW.owner_id IS DISTINCT FROM me THEN
            PERFORM ipam_refuse('write an allocation owned by the account ' || COALESCE(NEW.owner_id, 'none'));
        END IF;
        IF TG_OP = 'UPDATE' AND (NEW.pool_id, NEW.cidr, NEW.start, NEW.len)
                IS DISTINCT FROM (OLD.pool_id, OLD.cidr, OLD.start, OLD.len) THEN
            PERFORM ipam_refuse('move the allocation ' || OLD.id || ': release it and allocate anew');
        END IF;
        IF TG_OP = 'INSERT' AND NOT ipam_may_use_pool(NEW.pool_id) THEN
            PERFORM ipam_refuse('allocate from the pool ' || NEW.pool_id || ': no resource share reaches the account');
        END IF;
        IF TG_OP = 'INSERT' AND NOT EXISTS (SELECT 1 FROM pool_cidrs
                WHERE pool_id = NEW.pool_id AND NEW.cidr::cidr <<= cidr::cidr) THEN
            PERFORM ipam_refuse('allocate ' || NEW.cidr || ' from the pool ' || NEW.pool_id || ': it is outside the pool''s CIDRs');
        END IF;
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$;

-- The pools in which the current transaction released an allocation the guard allowed: the
-- free space it returns may be written even when the pool is no longer shared with the
-- releasing account. Written only by the security-definer trigger below (a trigger function
-- cannot be called directly), so a team role cannot claim a release it did not make.
CREATE TABLE ipam_releases (
    pool_id TEXT NOT NULL,
    xid BIGINT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (pool_id, xid)
);
CREATE FUNCTION ipam_note_release() RETURNS TRIGGER LANGUAGE plpgsql SECURITY DEFINER AS $$
BEGIN
    DELETE FROM ipam_releases WHERE at < extract(epoch FROM now()) - 86400;
    INSERT INTO ipam_releases (pool_id, xid, at)
        VALUES (OLD.pool_id, txid_current(), extract(epoch FROM now()))
        ON CONFLICT DO NOTHING;
    RETURN OLD;
END
$$;

-- A pool's free space changes with its allocations: writable by whoever may allocate from the
-- pool, or returns space it released in this transaction (after a share was removed).
CREATE FUNCTION ipam_guard_free_block() RETURNS TRIGGER LANGUAGE plpgsql AS $$
DECLARE
    p TEXT := CASE WHEN TG_OP = 'DELETE' THEN OLD.pool_id ELSE NEW.pool_id END;
BEGIN
    IF NOT ipam_unruled() AND NOT ipam_may_use_pool(p)
       AND NOT EXISTS (SELECT 1 FROM ipam_releases WHERE pool_id = p AND xid = txid_current()) THEN
        PERFORM ipam_refuse('change the free space of the pool ' || p);
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$;

-- The audit log: a team role appends events in its own name and changes none.
CREATE FUNCTION ipam_guard_audit() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
    IF NOT ipam_unruled() AND (TG_OP <> 'INSERT' OR NEW.account_id IS DISTINCT FROM ipam_current_account()) THEN
        PERFORM ipam_refuse(lower(TG_OP) || ' audit events of another account, or change the log');
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$;

CREATE TRIGGER ipam_guard BEFORE INSERT OR UPDATE OR DELETE ON allocations
    FOR EACH ROW EXECUTE FUNCTION ipam_guard_allocation();
CREATE TRIGGER ipam_released AFTER DELETE ON allocations
    FOR EACH ROW WHEN (NOT ipam_unruled()) EXECUTE FUNCTION ipam_note_release();
CREATE TRIGGER ipam_guard BEFORE INSERT OR UPDATE OR DELETE ON free_blocks
    FOR EACH ROW EXECUTE FUNCTION ipam_guard_free_block();
CREATE TRIGGER ipam_guard BEFORE INSERT OR UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION ipam_guard_audit();
DO $$
DECLARE
    t TEXT;
BEGIN
    FOREACH t IN ARRAY ARRAY['ipams', 'scopes', 'pools', 'pool_cidrs', 'pool_sources',
        'resource_discoveries', 'resource_discovery_associations', 'discovered_cidrs',
        'resource_shares', 'resource_share_pools', 'resource_share_principals'] LOOP
        EXECUTE format('CREATE TRIGGER ipam_guard BEFORE INSERT OR UPDATE OR DELETE ON %I '
            'FOR EACH ROW EXECUTE FUNCTION ipam_guard_admin()', t);
    END LOOP;
    FOREACH t IN ARRAY ARRAY['organizations', 'organizational_units', 'organization_accounts',
        'ipam_releases'] LOOP
        EXECUTE format('CREATE TRIGGER ipam_guard BEFORE INSERT OR UPDATE OR DELETE ON %I '
            'FOR EACH ROW EXECUTE FUNCTION ipam_guard_organization()', t);
    END LOOP;
    -- TRUNCATE skips row triggers: only the owner may truncate anyway (not grantable by
    -- the guide's GRANT). The guards read tables by name: pin them to this schema.
    FOR t IN SELECT p.oid::regprocedure::text FROM pg_proc p
             WHERE p.proname LIKE 'ipam\_%' AND p.pronamespace = current_schema()::regnamespace LOOP
        EXECUTE format('ALTER FUNCTION %s SET search_path = %I, pg_temp', t, current_schema());
    END LOOP;
END
$$;
