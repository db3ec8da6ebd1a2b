//! The smallest IPAM a store test or benchmark starts from, built through the store's API.

use ipam::engine::{AllocationRequest, Cidr};
use ipam::store::{Actor, PoolSpec, Store, Tags};

/// One IPAM with one top-level pool of the private scope, holding `root`: the pool's id.
pub fn top_pool(store: &Store, actor: &Actor, root: Cidr) -> String {
    let ipam = store.create_ipam(actor, None, vec![], Tags::new()).unwrap();
    let pool = store
        .create_pool(
            actor,
            PoolSpec {
                scope_id: ipam.private_default_scope_id,
                ..Default::default()
            },
        )
        .unwrap();
    store
        .provision_cidr(actor, &pool.id, AllocationRequest::Explicit(root))
        .unwrap();
    pool.id
}
