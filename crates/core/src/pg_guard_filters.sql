-- Migration 9 (PostgreSQL only): the guards of migration 8, skipped for trusted roles before
-- their trigger function runs.
--
-- Each guard began by asking ipam_unruled(), inside a PL/pgSQL function pinned to this schema's
-- search_path: for a trusted role (the usual login) every written row still paid for starting
-- that function and switching search_path several times, and the writes of one allocation
-- happen while its pool's lock is held, so every writer of the pool waited for it. A trigger's
-- WHEN condition is checked first, without calling the trigger function. The condition below
-- uses one built-in function on a table named when the trigger is created (so no search_path
-- can redirect it): whether the role may grant writes to the allocations, which the tables'
-- owner, superusers and the owner's (inheriting) members may. A role that may grant writes
-- could give itself any of them anyway, so it is trusted; ipam_trusted() says the same from
-- now on. Team roles (granted plain privileges, docs/guides/organizations.md) still run the
-- full guard.

CREATE OR REPLACE FUNCTION ipam_trusted() RETURNS BOOLEAN LANGUAGE sql STABLE AS $$
    SELECT has_table_privilege('allocations'::regclass, 'INSERT WITH GRANT OPTION')
        OR pg_has_role((SELECT relowner FROM pg_class WHERE oid = 'allocations'::regclass), 'MEMBER')
$$;

DO $$
DECLARE
    t TEXT;
    triggers TEXT[][] := ARRAY[
        ['allocations', 'ipam_guard', 'BEFORE INSERT OR UPDATE OR DELETE', 'ipam_guard_allocation'],
        ['allocations', 'ipam_released', 'AFTER DELETE', 'ipam_note_release'],
        ['free_blocks', 'ipam_guard', 'BEFORE INSERT OR UPDATE OR DELETE', 'ipam_guard_free_block'],
        ['audit_events', 'ipam_guard', 'BEFORE INSERT OR UPDATE OR DELETE', 'ipam_guard_audit']];
    i INT;
BEGIN
    FOREACH t IN ARRAY ARRAY['ipams', 'scopes', 'pools', 'pool_cidrs', 'pool_sources',
        'resource_discoveries', 'resource_discovery_associations', 'discovered_cidrs',
        'resource_shares', 'resource_share_pools', 'resource_share_principals'] LOOP
        triggers := triggers || ARRAY[[t, 'ipam_guard', 'BEFORE INSERT OR UPDATE OR DELETE', 'ipam_guard_admin']];
    END LOOP;
    FOREACH t IN ARRAY ARRAY['organizations', 'organizational_units', 'organization_accounts',
        'ipam_releases'] LOOP
        triggers := triggers || ARRAY[[t, 'ipam_guard', 'BEFORE INSERT OR UPDATE OR DELETE', 'ipam_guard_organization']];
    END LOOP;
    FOR i IN 1 .. array_length(triggers, 1) LOOP
        EXECUTE format('DROP TRIGGER %I ON %I', triggers[i][2], triggers[i][1]);
        EXECUTE format('CREATE TRIGGER %I %s ON %I FOR EACH ROW '
            'WHEN (NOT has_table_privilege(''allocations''::regclass, ''INSERT WITH GRANT OPTION'')) '
            'EXECUTE FUNCTION %I()', triggers[i][2], triggers[i][3], triggers[i][1], triggers[i][4]);
    END LOOP;
    -- Pinned to this schema like migration 8's functions.
    EXECUTE format('ALTER FUNCTION ipam_trusted() SET search_path = %I, pg_temp', current_schema());
END
$$;
