//! [`RoleStore`](crate::store::RoleStore) and the role changes of
//! [`AdminChange`]: roles per tenant, assignments to users, and what
//! deleting a role, a user or a tenant does to them.

use super::Outcome;
use super::audit::audited;
use super::samples::{two_tenants, user};
use crate::ids::{TenantId, UserId};
use crate::store::{AdminChange, Applied, RoleRecord, Store, StoreError};
use std::sync::Arc;

/// A role named `name`, described after it.
pub fn role(name: &str) -> RoleRecord {
    RoleRecord {
        name: name.to_owned(),
        description: format!("Can do {name} things, café"),
        created_at: 1_700_000_400,
    }
}

/// Creates role `name` in `tenant`, audited.
async fn create_role<S: Store>(store: &S, tenant: &TenantId, name: &str) -> Outcome {
    let record = role(name);
    let change = AdminChange::CreateRole {
        tenant,
        role: &record,
    };
    assert_eq!(
        store
            .apply_audited(change, &super::audit::event("role.create", None))
            .await?,
        Applied::Done(1)
    );
    Ok(())
}

/// Assigns role `name` to `user`; what the store said.
async fn assign<S: Store>(
    store: &S,
    tenant: &TenantId,
    user: &str,
    name: &str,
) -> Result<Applied, super::Failure> {
    let user = UserId::new(user);
    let change = AdminChange::AssignRole {
        tenant,
        user: &user,
        role: name,
        at: 2_000,
    };
    Ok(audited(store, change, "role.assign", None).await??)
}

/// Roles round-trip, page by name strictly after the one given, and take a
/// new description; a missing role is `None`, and updating or deleting it
/// is `Missing`.
pub async fn roles_round_trip_and_page<S: Store>(store: Arc<S>) -> Outcome {
    let (a, _) = two_tenants(&*store).await?;
    for name in ["viewer", "admin", "editor"] {
        create_role(&*store, &a, name).await?;
    }
    assert_eq!(store.role(&a, "admin").await?, Some(role("admin")));
    assert_eq!(store.role(&a, "nobody").await?, None);
    let names =
        |roles: Vec<RoleRecord>| -> Vec<String> { roles.into_iter().map(|r| r.name).collect() };
    assert_eq!(
        names(store.roles_page(&a, None, 2).await?),
        ["admin", "editor"]
    );
    assert_eq!(
        names(store.roles_page(&a, Some("editor"), 2).await?),
        ["viewer"]
    );
    assert!(store.roles_page(&a, Some("viewer"), 2).await?.is_empty());
    let mut changed = role("admin");
    changed.description = String::new();
    let update = AdminChange::UpdateRole {
        tenant: &a,
        role: &changed,
    };
    assert_eq!(
        audited(&*store, update, "role.update", Some("a")).await??,
        Applied::Done(1)
    );
    assert_eq!(store.role(&a, "admin").await?, Some(changed));
    let ghost = role("ghost");
    for change in [
        AdminChange::UpdateRole {
            tenant: &a,
            role: &ghost,
        },
        AdminChange::DeleteRole {
            tenant: &a,
            role: "ghost",
        },
    ] {
        let result = audited(&*store, change, "role.update", Some("a")).await??;
        assert_eq!(result, Applied::Missing);
    }
    let delete = AdminChange::DeleteRole {
        tenant: &a,
        role: "viewer",
    };
    assert_eq!(
        audited(&*store, delete, "role.delete", Some("a")).await??,
        Applied::Done(1)
    );
    assert_eq!(store.role(&a, "viewer").await?, None);
    Ok(())
}

/// A role name is taken once per tenant (a conflict with no event), and
/// another tenant may use it.
pub async fn role_names_are_unique_per_tenant<S: Store>(store: Arc<S>) -> Outcome {
    let (a, b) = two_tenants(&*store).await?;
    create_role(&*store, &a, "admin").await?;
    let mut again = role("admin");
    again.description = "Another".to_owned();
    let change = AdminChange::CreateRole {
        tenant: &a,
        role: &again,
    };
    let result = audited(&*store, change, "role.create", Some("a")).await?;
    assert!(matches!(result, Err(StoreError::Conflict(_))), "{result:?}");
    assert_eq!(store.role(&a, "admin").await?, Some(role("admin")));
    create_role(&*store, &b, "admin").await?;
    Ok(())
}

/// One tenant sees neither the other's roles nor its assignments, and
/// cannot assign a role only the other has.
pub async fn roles_are_scoped_by_tenant<S: Store>(store: Arc<S>) -> Outcome {
    let (a, b) = two_tenants(&*store).await?;
    for t in [&a, &b] {
        store.create_user(t, &user("u1", "u1@example.com")).await?;
    }
    create_role(&*store, &a, "admin").await?;
    create_role(&*store, &b, "auditor").await?;
    assert_eq!(assign(&*store, &a, "u1", "admin").await?, Applied::Done(1));
    assert_eq!(
        assign(&*store, &a, "u1", "auditor").await?,
        Applied::Missing
    );
    assert_eq!(store.role(&b, "admin").await?, None);
    assert_eq!(store.roles_page(&b, None, 10).await?, [role("auditor")]);
    assert!(store.user_roles(&b, &UserId::new("u1")).await?.is_empty());
    assert_eq!(store.user_roles(&a, &UserId::new("u1")).await?, ["admin"]);
    Ok(())
}

/// Assigning counts 1 the first time and 0 the next (both audited);
/// a missing user or role is `Missing`; unassigning counts 1, then is
/// `Missing`; a user's roles come sorted.
pub async fn role_assignment_is_counted<S: Store>(store: Arc<S>) -> Outcome {
    let (a, _) = two_tenants(&*store).await?;
    store.create_user(&a, &user("u1", "u1@example.com")).await?;
    for name in ["viewer", "admin"] {
        create_role(&*store, &a, name).await?;
    }
    assert_eq!(assign(&*store, &a, "u1", "viewer").await?, Applied::Done(1));
    assert_eq!(assign(&*store, &a, "u1", "viewer").await?, Applied::Done(0));
    assert_eq!(assign(&*store, &a, "u1", "admin").await?, Applied::Done(1));
    assert_eq!(
        assign(&*store, &a, "ghost", "admin").await?,
        Applied::Missing
    );
    assert_eq!(assign(&*store, &a, "u1", "ghost").await?, Applied::Missing);
    let u1 = UserId::new("u1");
    assert_eq!(store.user_roles(&a, &u1).await?, ["admin", "viewer"]);
    let unassign = AdminChange::UnassignRole {
        tenant: &a,
        user: &u1,
        role: "viewer",
    };
    assert_eq!(
        audited(&*store, unassign, "role.unassign", Some("a")).await??,
        Applied::Done(1)
    );
    assert_eq!(
        audited(&*store, unassign, "role.unassign", Some("a")).await??,
        Applied::Missing
    );
    assert_eq!(store.user_roles(&a, &u1).await?, ["admin"]);
    Ok(())
}

/// Deleting a role takes it from its users; deleting a user (audited or
/// through the admin port) takes their assignments; deleting a tenant
/// (either way) takes its roles and assignments. A row re-created under the
/// same name or id starts with none.
pub async fn deletions_remove_assignments<S: Store>(store: Arc<S>) -> Outcome {
    let (a, b) = two_tenants(&*store).await?;
    for t in [&a, &b] {
        for id in ["u1", "u2"] {
            store
                .create_user(t, &user(id, &format!("{id}@example.com")))
                .await?;
        }
        for name in ["admin", "viewer"] {
            create_role(&*store, t, name).await?;
            for id in ["u1", "u2"] {
                assert_eq!(assign(&*store, t, id, name).await?, Applied::Done(1));
            }
        }
    }
    let (u1, u2) = (UserId::new("u1"), UserId::new("u2"));
    let delete = AdminChange::DeleteRole {
        tenant: &a,
        role: "viewer",
    };
    audited(&*store, delete, "role.delete", Some("a")).await??;
    create_role(&*store, &a, "viewer").await?;
    assert_eq!(store.user_roles(&a, &u1).await?, ["admin"]);

    let delete = AdminChange::DeleteUser {
        tenant: &a,
        user: &u1,
        now: 1_000,
        keep_until: 9_000,
    };
    audited(&*store, delete, "user.delete", Some("a")).await??;
    assert!(store.delete_user(&a, &u2, 1_000, 9_000).await?);
    for id in ["u1", "u2"] {
        store
            .create_user(&a, &user(id, &format!("{id}@example.com")))
            .await?;
    }
    assert!(store.user_roles(&a, &u1).await?.is_empty());
    assert!(store.user_roles(&a, &u2).await?.is_empty());
    assert_eq!(store.user_roles(&b, &u1).await?, ["admin", "viewer"]);

    assert_eq!(assign(&*store, &a, "u1", "admin").await?, Applied::Done(1));
    let delete = AdminChange::DeleteTenant { tenant: &a };
    audited(&*store, delete, "tenant.delete", Some("a")).await??;
    assert!(store.delete_tenant(&b).await?);
    for (slug, t) in [("a", &a), ("b", &b)] {
        store
            .create_tenant(&super::samples::tenant(slug), &[])
            .await?;
        assert!(store.roles_page(t, None, 10).await?.is_empty());
        store.create_user(t, &user("u1", "u1@example.com")).await?;
        create_role(&*store, t, "admin").await?;
        assert!(store.user_roles(t, &u1).await?.is_empty());
    }
    Ok(())
}

/// Deleting an organisation deletes, in the same transaction, the
/// platform tenant's roles named after it and their assignments (a reused
/// slug inherits nothing), and leaves the platform's other roles alone; a
/// missing organisation is `Missing` and deletes no role.
pub async fn deleting_an_organisation_deletes_its_platform_roles<S: Store>(
    store: Arc<S>,
) -> Outcome {
    let (platform, org) = two_tenants(&*store).await?;
    store
        .create_user(&platform, &user("op", "op@example.com"))
        .await?;
    let names = ["org-admin:b", "org-viewer:b", "org-admin:c", "owner"];
    for name in names {
        create_role(&*store, &platform, name).await?;
        assert_eq!(
            assign(&*store, &platform, "op", name).await?,
            Applied::Done(1)
        );
    }
    let roles = crate::platform::org_role_names("b");
    let missing = TenantId::new("tid-none");
    let delete = AdminChange::DeleteOrganisation {
        tenant: &missing,
        platform: &platform,
        roles: &roles,
    };
    assert_eq!(
        audited(&*store, delete, "tenant.delete", Some("b")).await??,
        Applied::Missing
    );
    assert_eq!(
        store.user_roles(&platform, &UserId::new("op")).await?.len(),
        4
    );
    let delete = AdminChange::DeleteOrganisation {
        tenant: &org,
        platform: &platform,
        roles: &roles,
    };
    assert_eq!(
        audited(&*store, delete, "tenant.delete", Some("b")).await??,
        Applied::Done(1)
    );
    assert!(store.tenant_by_slug("b").await?.is_none());
    assert_eq!(
        store.user_roles(&platform, &UserId::new("op")).await?,
        ["org-admin:c", "owner"]
    );
    assert!(store.role(&platform, "org-viewer:b").await?.is_none());
    assert!(store.role(&platform, "org-admin:c").await?.is_some());
    Ok(())
}

/// A role's holders come by user id, at most the limit, in their tenant only.
pub async fn role_holders_are_listed<S: Store>(store: Arc<S>) -> Outcome {
    let (a, b) = two_tenants(&*store).await?;
    for t in [&a, &b] {
        create_role(&*store, t, "owner").await?;
        create_role(&*store, t, "other").await?;
    }
    for id in ["u3", "u1", "u2"] {
        store
            .create_user(&a, &user(id, &format!("{id}@example.com")))
            .await?;
    }
    store.create_user(&b, &user("u9", "u9@example.com")).await?;
    assert!(store.role_holders(&a, "owner", 2).await?.is_empty());
    for id in ["u3", "u1"] {
        assign(&*store, &a, id, "owner").await?;
    }
    assign(&*store, &a, "u2", "other").await?;
    assign(&*store, &b, "u9", "owner").await?;
    let ids = |v: Vec<UserId>| {
        v.into_iter()
            .map(|u| u.as_str().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(store.role_holders(&a, "owner", 5).await?), ["u1", "u3"]);
    assert_eq!(ids(store.role_holders(&a, "owner", 1).await?), ["u1"]);
    assert_eq!(ids(store.role_holders(&b, "owner", 5).await?), ["u9"]);
    Ok(())
}
