//! A data source's Security dialog: who administers it, who may use it, and the read-only switch.
//! [`crate::policy`] decides with what this saves.
use crate::db::begin_write;
use crate::groups::member_counts;
use crate::policy::{Capability, Grantee, load_security};
use crate::search::contains_any;
use crate::{AuthenticatedUser, audit};
use entity::{data_source, data_source_grant, group, user};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait,
    DatabaseConnection, DbErr, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect,
};
use std::collections::{BTreeSet, HashMap};
use time::OffsetDateTime;
use wharf_types::Role;

/// More entries than anyone would click together; keeps one request bounded.
pub const MAX_ENTRIES_PER_LIST: usize = 200;
/// How many matches the picker shows per kind.
pub const SEARCH_LIMIT: u64 = 20;

#[derive(Debug, thiserror::Error)]
pub enum SecurityError {
    #[error("There is no such data source; it may have been deleted.")]
    NotFound,
    #[error("{0}")]
    Invalid(String),
    #[error("database error: {0}")]
    Database(#[from] DbErr),
}

/// One Security list entry with what a person reads for it.
pub use wharf_types::NamedGrantee;

/// The Security dialog's contents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecuritySettings {
    pub administrators: Vec<NamedGrantee>,
    pub admins_restricted: bool,
    pub users: Vec<NamedGrantee>,
    pub users_restricted: bool,
    pub read_only: bool,
}

pub async fn get(
    db: &impl ConnectionTrait,
    data_source_id: i32,
) -> Result<SecuritySettings, SecurityError> {
    let security = load_security(db, data_source_id)
        .await?
        .ok_or(SecurityError::NotFound)?;
    let names = Names::load(db, security.administrators.iter().chain(&security.users)).await?;
    Ok(SecuritySettings {
        administrators: security
            .administrators
            .iter()
            .filter_map(|g| names.named(g))
            .collect(),
        admins_restricted: security.admins_restricted,
        users: security
            .users
            .iter()
            .filter_map(|g| names.named(g))
            .collect(),
        users_restricted: security.users_restricted,
        read_only: security.read_only,
    })
}

/// Replaces both lists and the read-only switch in one transaction, and audits what changed.
/// A list saved non-empty restricts; saved empty it means the default again (see the policy).
pub async fn save(
    db: &DatabaseConnection,
    data_source_id: i32,
    administrators: Vec<Grantee>,
    users: Vec<Grantee>,
    read_only: bool,
    actor: &AuthenticatedUser,
) -> Result<(), SecurityError> {
    let administrators = dedupe(administrators)?;
    let users = dedupe(users)?;
    let txn = begin_write(db).await?;
    let before = load_security(&txn, data_source_id)
        .await?
        .ok_or(SecurityError::NotFound)?;
    let names = Names::load(&txn, administrators.iter().chain(&users)).await?;
    if let Some(missing) = administrators
        .iter()
        .chain(&users)
        .find(|g| names.named(g).is_none())
    {
        return Err(SecurityError::Invalid(format!(
            "{} no longer exists; remove it from the list and try again.",
            describe_missing(missing)
        )));
    }
    data_source_grant::Entity::delete_many()
        .filter(data_source_grant::Column::DataSourceId.eq(data_source_id))
        .exec(&txn)
        .await?;
    for (capability, list) in [
        (Capability::Administer, &administrators),
        (Capability::Use, &users),
    ] {
        for grantee in list {
            let (user_id, group_id, role) = match grantee {
                Grantee::User(id) => (Some(*id), None, None),
                Grantee::Group(id) => (None, Some(*id), None),
                Grantee::Role(role) => (None, None, Some(role.as_str().to_owned())),
            };
            data_source_grant::ActiveModel {
                data_source_id: Set(data_source_id),
                capability: Set(capability.as_str().to_owned()),
                user_id: Set(user_id),
                group_id: Set(group_id),
                role: Set(role),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
        }
    }
    let ds = data_source::Entity::find_by_id(data_source_id)
        .one(&txn)
        .await?
        .ok_or(SecurityError::NotFound)?;
    let mut ds = ds.into_active_model();
    ds.admins_restricted = Set(!administrators.is_empty());
    ds.users_restricted = Set(!users.is_empty());
    ds.read_only = Set(read_only);
    ds.modified_at = Set(OffsetDateTime::now_utc());
    ds.modified_by = Set(Some(actor.id));
    ds.update(&txn).await?;

    let old_names = Names::load(&txn, before.administrators.iter().chain(&before.users)).await?;
    let mut changes = Vec::new();
    for (heading, old, new) in [
        (
            "Connection administrators",
            &before.administrators,
            &administrators,
        ),
        ("Connection users", &before.users, &users),
    ] {
        if let Some(change) = describe_change(heading, old, new, &old_names, &names) {
            changes.push(change);
        }
    }
    if before.read_only != read_only {
        changes.push(
            if read_only {
                "Made read-only"
            } else {
                "Made writable"
            }
            .to_owned(),
        );
    }
    if !changes.is_empty() {
        audit::record(
            &txn,
            data_source_id,
            Some(actor),
            "security_changed",
            changes.join("; "),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(())
}

fn dedupe(list: Vec<Grantee>) -> Result<Vec<Grantee>, SecurityError> {
    let set: BTreeSet<Grantee> = list.into_iter().collect();
    if set.len() > MAX_ENTRIES_PER_LIST {
        return Err(SecurityError::Invalid(format!(
            "A list can name at most {MAX_ENTRIES_PER_LIST} users, groups and roles; use a group instead."
        )));
    }
    Ok(set.into_iter().collect())
}

fn describe_missing(g: &Grantee) -> &'static str {
    match g {
        Grantee::User(_) => "A user in the list",
        Grantee::Group(_) => "A group in the list",
        Grantee::Role(_) => "A role in the list",
    }
}

/// "Connection users: added Finance (group); removed Bob Smith", or `None` when unchanged.
fn describe_change(
    heading: &str,
    old: &[Grantee],
    new: &[Grantee],
    old_names: &Names,
    new_names: &Names,
) -> Option<String> {
    let label = |names: &Names, g: &Grantee| {
        names.named(g).map_or_else(
            || "a deleted entry".to_owned(),
            |n| match g {
                Grantee::User(_) => n.label,
                Grantee::Group(_) => format!("{} (group)", n.label),
                Grantee::Role(_) => format!("{} (role)", n.label),
            },
        )
    };
    let added: Vec<String> = new
        .iter()
        .filter(|g| !old.contains(g))
        .map(|g| label(new_names, g))
        .collect();
    let removed: Vec<String> = old
        .iter()
        .filter(|g| !new.contains(g))
        .map(|g| label(old_names, g))
        .collect();
    if added.is_empty() && removed.is_empty() {
        return None;
    }
    let mut parts = Vec::new();
    if !added.is_empty() {
        parts.push(format!("added {}", added.join(", ")));
    }
    if !removed.is_empty() {
        parts.push(format!("removed {}", removed.join(", ")));
    }
    if new.is_empty() {
        parts.push("now open to the default".to_owned());
    }
    Some(format!("{heading}: {}", parts.join("; ")))
}

/// The users, groups and roles whose name contains `query`, for the Security picker.
pub async fn search_grantees(
    db: &impl ConnectionTrait,
    query: &str,
) -> Result<Vec<NamedGrantee>, DbErr> {
    let needle = query.trim().to_lowercase();
    let Some(group_matches) =
        contains_any(query, [Expr::col((group::Entity, group::Column::NameKey))])
    else {
        return Ok(Vec::new());
    };
    let user_matches = contains_any(
        query,
        [
            Expr::col((user::Entity, user::Column::Username)),
            Expr::col((user::Entity, user::Column::DisplayName)),
        ],
    )
    .unwrap_or_else(Condition::all);
    let mut found: Vec<NamedGrantee> = Role::ALL
        .into_iter()
        .filter(|r| r.label().to_lowercase().contains(&needle))
        .map(named_role)
        .collect();
    let groups = group::Entity::find()
        .filter(group_matches)
        .order_by_asc(group::Column::NameKey)
        .limit(SEARCH_LIMIT)
        .all(db)
        .await?;
    let ids: Vec<i32> = groups.iter().map(|g| g.id).collect();
    let counts = member_counts(db, &ids).await?;
    found.extend(
        groups
            .into_iter()
            .map(|g| named_group(&g, counts.get(&g.id).copied().unwrap_or(0))),
    );
    let users = user::Entity::find()
        .filter(user_matches)
        .order_by_asc(user::Column::Username)
        .limit(SEARCH_LIMIT)
        .all(db)
        .await?;
    found.extend(users.iter().map(named_user));
    Ok(found)
}

fn named_user(u: &user::Model) -> NamedGrantee {
    NamedGrantee {
        grantee: Grantee::User(u.id),
        label: u.display_name.clone(),
        detail: if u.disabled {
            format!("{} · disabled", u.username)
        } else {
            u.username.clone()
        },
    }
}

fn named_group(g: &group::Model, members: u64) -> NamedGrantee {
    NamedGrantee {
        grantee: Grantee::Group(g.id),
        label: g.name.clone(),
        detail: match members {
            1 => "Group · 1 member".to_owned(),
            n => format!("Group · {n} members"),
        },
    }
}

fn named_role(r: Role) -> NamedGrantee {
    NamedGrantee {
        grantee: Grantee::Role(r),
        label: r.label().to_owned(),
        detail: "Role · everyone who holds it".to_owned(),
    }
}

/// Names for a set of grantees, loaded in two queries.
struct Names {
    users: HashMap<i32, user::Model>,
    groups: HashMap<i32, (group::Model, u64)>,
}

impl Names {
    async fn load<'a>(
        db: &impl ConnectionTrait,
        grantees: impl Iterator<Item = &'a Grantee>,
    ) -> Result<Self, DbErr> {
        let (mut user_ids, mut group_ids) = (Vec::new(), Vec::new());
        for g in grantees {
            match g {
                Grantee::User(id) => user_ids.push(*id),
                Grantee::Group(id) => group_ids.push(*id),
                Grantee::Role(_) => {}
            }
        }
        let users = user::Entity::find()
            .filter(user::Column::Id.is_in(user_ids))
            .all(db)
            .await?;
        let groups = group::Entity::find()
            .filter(group::Column::Id.is_in(group_ids.clone()))
            .all(db)
            .await?;
        let counts = member_counts(db, &group_ids).await?;
        Ok(Names {
            users: users.into_iter().map(|u| (u.id, u)).collect(),
            groups: groups
                .into_iter()
                .map(|g| {
                    let n = counts.get(&g.id).copied().unwrap_or(0);
                    (g.id, (g, n))
                })
                .collect(),
        })
    }

    fn named(&self, g: &Grantee) -> Option<NamedGrantee> {
        match g {
            Grantee::User(id) => self.users.get(id).map(named_user),
            Grantee::Group(id) => self.groups.get(id).map(|(g, n)| named_group(g, *n)),
            Grantee::Role(r) => Some(named_role(*r)),
        }
    }
}
