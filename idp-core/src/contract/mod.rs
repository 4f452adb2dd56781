//! The store contract: what every [`Store`] must do, as tests any store
//! runs with one call (feature `contract`).
//!
//! ```text
//! // tests/contract.rs of a store crate
//! idp_core::store_contract!(async {
//!     let dir = tempfile::tempdir()?;
//!     let store = MyStore::open(dir.path())?;
//!     Ok(idp_core::contract::Fresh::keeping(store, dir))
//! });
//! ```
//!
//! The expression makes a fresh, empty store; it is evaluated once per
//! test. The macro expands to a module `contract` with one `#[test]` per
//! promise, so the tests are named `contract::<what>` and can be counted.
//! Each runs on its own multi-thread runtime, so the races are real: many
//! tasks call the same method on the same row at once, and exactly one may
//! win.
//!
//! The bodies are plain `pub async fn`s, one file per part of the port
//! (`tenants`, `keys`, `clients`, `users`, `sessions`, `grants`, `pushed`,
//! `revocations`, `devices`, `deliveries`, `maintenance`, `admin`,
//! `audit`, `audit_log`, `roles`, `api_keys`, `idempotency`, `platform`,
//! `analytics`, `tiers`, `upstreams`). To add one: write it in its
//! part's file and add its name to that part's line in
//! `__store_contract_list!`.

pub mod admin;
pub mod analytics;
pub mod api_keys;
pub mod audit;
pub mod audit_log;
pub mod clients;
pub mod deliveries;
pub mod devices;
pub mod grants;
pub mod idempotency;
pub mod keys;
pub mod maintenance;
pub mod platform;
pub mod pushed;
pub mod revocations;
pub mod roles;
pub mod samples;
pub mod sessions;
pub mod setup_links;
pub mod tenants;
pub mod tiers;
pub mod upstreams;
pub mod users;

use crate::store::{Store, StoreResult};
use std::any::Any;
use std::future::Future;
use std::sync::Arc;

/// Why a contract test failed.
pub type Failure = Box<dyn std::error::Error + Send + Sync>;

/// What a contract test returns.
pub type Outcome = Result<(), Failure>;

/// How many tasks race in a concurrency test.
pub const RACERS: usize = 16;

/// How many times a concurrency test races, each time on a new row: the
/// first round also warms the store's threads and connections, which
/// staggers its racers; later rounds overlap for real.
pub const ROUNDS: usize = 20;

/// A fresh, empty store, and whatever must live as long as it (a temporary
/// directory, a connection that drops a schema): what the expression given
/// to [`store_contract!`](crate::store_contract) makes.
pub struct Fresh<S> {
    store: S,
    _keep: Box<dyn Any + Send>,
}

impl<S: Store> Fresh<S> {
    /// A store that needs nothing kept alive.
    pub fn new(store: S) -> Self {
        Self::keeping(store, ())
    }

    /// A store that lives only as long as `keep`.
    pub fn keeping(store: S, keep: impl Any + Send) -> Self {
        Self {
            store,
            _keep: Box::new(keep),
        }
    }
}

/// Runs one contract test on a new multi-thread runtime with a store `make`
/// makes; the macro's tests call this.
pub fn run<S, M, T>(make: impl FnOnce() -> M, test: impl FnOnce(Arc<S>) -> T) -> Outcome
where
    S: Store,
    M: Future<Output = Result<Fresh<S>, Failure>>,
    T: Future<Output = Outcome>,
{
    run_or_skip(|| async { make().await.map(Some) }, test)
}

/// [`run`] for a maker that may find no server: `None` passes.
pub fn run_or_skip<S, M, T>(make: impl FnOnce() -> M, test: impl FnOnce(Arc<S>) -> T) -> Outcome
where
    S: Store,
    M: Future<Output = Result<Option<Fresh<S>>, Failure>>,
    T: Future<Output = Outcome>,
{
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let Some(fresh) = make().await? else {
            return Ok(());
        };
        let store = Arc::new(fresh.store);
        let outcome = test(Arc::clone(&store)).await;
        drop(store);
        drop(fresh._keep);
        outcome
    })
}

/// Runs `call` in [`RACERS`] tasks that start together (each gets its
/// index) and returns every result, in task order.
pub async fn race<S, T, C, F>(store: &Arc<S>, call: C) -> Result<Vec<T>, Failure>
where
    S: Store,
    T: Send + 'static,
    C: Fn(Arc<S>, usize) -> F,
    F: Future<Output = StoreResult<T>> + Send + 'static,
{
    let start = Arc::new(tokio::sync::Barrier::new(RACERS));
    let tasks: Vec<_> = (0..RACERS)
        .map(|i| {
            let start = Arc::clone(&start);
            let call = call(Arc::clone(store), i);
            tokio::spawn(async move {
                // The last to arrive is released first: let the others be
                // scheduled before anyone calls.
                start.wait().await;
                tokio::task::yield_now().await;
                call.await
            })
        })
        .collect();
    let mut results = Vec::with_capacity(RACERS);
    for task in tasks {
        results.push(task.await??);
    }
    Ok(results)
}

/// Runs the whole store contract against the store the expression makes
/// (an `async` block giving `Result<Fresh<S>, Failure>`); see
/// [`contract`](crate::contract).
#[macro_export]
macro_rules! store_contract {
    ($make:expr) => {
        $crate::__store_contract_list!(run, $make);
    };
}

/// [`store_contract!`] for a store on a server that may be absent: the
/// expression gives `Result<Option<Fresh<S>>, Failure>`, and `None` passes
/// the test (the expression says why it skipped, once per test).
#[macro_export]
macro_rules! store_contract_or_skip {
    ($make:expr) => {
        $crate::__store_contract_list!(run_or_skip, $make);
    };
}

/// Every contract test, by part: the one list [`store_contract!`] and
/// [`store_contract_or_skip!`] expand (`$runner` is [`run`] or
/// [`run_or_skip`]). A new test is added here.
#[doc(hidden)]
#[macro_export]
macro_rules! __store_contract_list {
    ($runner:ident, $make:expr) => {
        $crate::__store_contract_tests! { ($runner, $make)
            tenants: tenant_round_trips, tenant_slugs_are_unique, tenant_creation_is_atomic;
            keys: signing_keys_round_trip_newest_first, key_rotation_is_a_compare_and_swap,
                key_rotation_is_applied_once, retired_keys_are_deleted_after_their_cutoff,
                keys_are_scoped_by_tenant,
                a_rotation_retires_the_old_keys_when_the_new_ones_activate,
                an_immediate_rotation_cuts_short_every_later_retirement;
            clients: client_round_trips, public_client_round_trips, pairwise_client_round_trips,
                client_ids_are_unique_per_tenant, client_is_deleted_once,
                bulk_clients_are_all_or_nothing, clients_are_scoped_by_tenant,
                web_origin_sources_are_the_tenants;
            users: user_round_trips_by_id_and_email, user_ids_and_emails_are_unique_per_tenant,
                bulk_users_are_all_or_nothing, racing_bulk_imports_do_not_mix,
                users_created_through_the_port_are_indexed, users_are_scoped_by_tenant;
            sessions: session_round_trips_until_it_expires, session_ids_are_unique,
                user_sessions_are_live_newest_first, ended_session_keeps_its_tokens,
                session_revoke_ends_what_it_authorized, session_is_revoked_once,
                interaction_lifecycle, consent_is_replaced, session_clients_are_taken_once,
                racing_session_ends_take_the_clients_once, deleted_client_is_not_taken,
                sessions_are_scoped_by_tenant;
            grants: code_round_trips, code_is_taken_once, code_records_its_session_client,
                code_hashes_are_unique, refresh_token_round_trips, refresh_token_rotation_then_reuse,
                refresh_token_is_rotated_once, failed_rotation_changes_nothing,
                grants_are_scoped_by_tenant;
            pushed: pushed_request_round_trips, pushed_request_is_taken_once,
                pushed_requests_expire, pushed_requests_are_scoped_by_tenant;
            revocations: grant_revocation_reaches_refresh_and_access_tokens,
                access_token_revocation_by_jti, client_assertion_jti_is_used_once,
                client_assertion_jti_race_has_one_winner, revocations_are_scoped_by_tenant,
                tokens_issued_after_a_revocation_are_dead, grant_revocation_wins_over_racing_rotations;
            devices: device_code_round_trips, device_decision_is_made_once,
                device_code_is_redeemed_once, device_user_codes_are_unique,
                device_codes_expire, device_codes_are_scoped_by_tenant,
                device_approval_records_its_session_client;
            deliveries: delivery_is_claimed_until_its_lease_ends,
                delivery_claims_are_bounded_and_earliest_first,
                racing_claims_take_each_delivery_once, delivery_queue_is_bounded_per_tenant,
                deliveries_are_scoped_by_tenant;
            admin: pages_are_keyset_ordered_and_scoped, tenant_update_and_delete,
                client_update_round_trips, client_removal_ends_its_grants,
                user_update_reindexes_the_email, user_revocation_ends_sessions_and_grants,
                user_deletion_ends_everything;
            audit: tenant_changes_are_audited, tenant_state_changes_are_audited,
                client_changes_are_audited,
                user_and_session_changes_are_audited, key_replacement_is_audited;
            audit_log: events_filter_and_page, purge_of_events_is_bounded_and_strict,
                events_outlive_their_tenant;
            roles: roles_round_trip_and_page, role_names_are_unique_per_tenant,
                roles_are_scoped_by_tenant, role_assignment_is_counted,
                deletions_remove_assignments,
                deleting_an_organisation_deletes_its_platform_roles, role_holders_are_listed;
            setup_links: setup_links_work_once_before_expiry;
            api_keys: api_key_root_first_wins, api_keys_round_trip_and_page,
                api_key_revocation_is_recorded_once;
            idempotency: idempotency_key_is_claimed_then_completed,
                idempotency_key_is_released_or_replaced, idempotency_purge_is_bounded_and_strict,
                racing_claims_have_one_winner;
            platform: platform_settings_round_trip, signup_is_one_transaction;
            tiers: tiers_round_trip_and_page, tier_assignment_is_per_tenant_and_blocks_deletion,
                counts_are_scoped_by_tenant, within_limit_creates_only_under_the_limit,
                racing_creates_within_a_limit_have_one_winner;
            maintenance: purge_goes_strictly_before_the_cutoff, purge_batches_are_bounded,
                purge_of_sessions_and_their_records, purge_is_scoped_by_tenant;
            analytics: sign_ins_roll_up_per_day, sign_in_purge_keeps_rollups,
                analytics_are_scoped_by_tenant;
            upstreams: upstreams_round_trip_and_page, upstream_deletion_cascades,
                identities_link_and_unlink, touching_an_identity_records_the_sign_in,
                user_with_identity_is_created_atomically,
                user_and_tenant_deletion_remove_identities, flights_are_taken_once_before_expiry,
                upstreams_are_counted_within_a_limit;
        }
    };
}

/// The expansion of [`store_contract!`]: one `#[test]` per name.
#[doc(hidden)]
#[macro_export]
macro_rules! __store_contract_tests {
    (($runner:ident, $make:expr) $($part:ident : $($test:ident),+ ;)+) => {
        mod contract {
            #[allow(unused_imports)]
            use super::*;
            $($(
                #[test]
                fn $test() -> $crate::contract::Outcome {
                    $crate::contract::$runner(|| $make, $crate::contract::$part::$test)
                }
            )+)+
        }
    };
}
