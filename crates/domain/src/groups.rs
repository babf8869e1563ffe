//! Groups: named sets of users that data sources are granted to as one. Names are unique regardless
//! of case; every change is one transaction together with its audit event.
use crate::db::begin_write;
use crate::{AuthenticatedUser, audit, search};
use entity::{group, group_member, user};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, SqlErr, TransactionSession,
    TransactionTrait,
};
use std::collections::{BTreeSet, HashMap};
use time::OffsetDateTime;

pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_DESCRIPTION_CHARS: usize = 1000;
use crate::paging;
use wharf_types::Page;

#[derive(Debug, thiserror::Error)]
pub enum GroupError {
    #[error("There is no such group; it may have been deleted.")]
    NotFound,
    #[error("A group named “{0}” already exists. Choose another name.")]
    NameTaken(String),
    #[error("{message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("database error: {0}")]
    Database(#[from] DbErr),
}

fn invalid(field: &'static str, message: &str) -> GroupError {
    GroupError::Invalid {
        field,
        message: message.to_owned(),
    }
}

pub use wharf_types::GroupSummary;
/// A member as the group page lists them.
pub use wharf_types::Member as GroupMember;

pub type GroupPage = Page<GroupSummary>;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupDetail {
    pub id: i32,
    pub name: String,
    pub description: Option<String>,
    /// Ordered by user name.
    pub members: Vec<GroupMember>,
}

/// The name and description as stored: trimmed, the description `None` when blank.
fn clean(name: &str, description: &str) -> Result<(String, Option<String>), GroupError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(invalid("name", "Enter a name for the group."));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(invalid(
            "name",
            "A group name can have at most 100 characters.",
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(invalid(
            "name",
            "A group name must not contain control characters.",
        ));
    }
    let description = description.trim();
    if description.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(invalid(
            "description",
            "The description can have at most 1000 characters.",
        ));
    }
    Ok((
        name.to_owned(),
        (!description.is_empty()).then(|| description.to_owned()),
    ))
}

fn name_taken(e: DbErr, name: &str) -> GroupError {
    match e.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => GroupError::NameTaken(name.to_owned()),
        _ => GroupError::Database(e),
    }
}

/// Groups whose name or description contains `search` (case-insensitive), by name, one page at a time.
/// How many members each of `group_ids` has (absent: none), in one grouped query.
pub(crate) async fn member_counts(
    db: &impl ConnectionTrait,
    group_ids: &[i32],
) -> Result<HashMap<i32, u64>, DbErr> {
    let counts: Vec<(i32, i64)> = group_member::Entity::find()
        .select_only()
        .column(group_member::Column::GroupId)
        .column_as(group_member::Column::UserId.count(), "members")
        .filter(group_member::Column::GroupId.is_in(group_ids.iter().copied()))
        .group_by(group_member::Column::GroupId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(counts.into_iter().map(|(id, n)| (id, n as u64)).collect())
}

pub async fn list(db: &impl ConnectionTrait, search: &str, page: u64) -> Result<GroupPage, DbErr> {
    let mut query = group::Entity::find();
    if let Some(matching) = search::contains_any(
        search,
        [
            Expr::col((group::Entity, group::Column::Name)),
            Expr::col((group::Entity, group::Column::Description)),
        ],
    ) {
        query = query.filter(matching);
    }
    let query = query.order_by_asc(group::Column::NameKey);
    paging::fetch_with(db, query, page, |groups| async move {
        let ids: Vec<i32> = groups.iter().map(|g| g.id).collect();
        let counts = member_counts(db, &ids).await?;
        Ok(groups
            .into_iter()
            .map(|g| GroupSummary {
                member_count: counts.get(&g.id).copied().unwrap_or(0),
                id: g.id,
                name: g.name,
                description: g.description,
            })
            .collect())
    })
    .await
}

pub async fn get(db: &impl ConnectionTrait, id: i32) -> Result<GroupDetail, GroupError> {
    let g = group::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(GroupError::NotFound)?;
    let members = user::Entity::find()
        .filter(
            user::Column::Id.in_subquery(
                Query::select()
                    .column(group_member::Column::UserId)
                    .from(group_member::Entity)
                    .and_where(group_member::Column::GroupId.eq(id))
                    .to_owned(),
            ),
        )
        .order_by_asc(user::Column::Username)
        .all(db)
        .await?
        .into_iter()
        .map(|u| GroupMember {
            id: u.id,
            username: u.username,
            display_name: u.display_name,
            disabled: u.disabled,
        })
        .collect();
    Ok(GroupDetail {
        id: g.id,
        name: g.name,
        description: g.description,
        members,
    })
}

// Each change below runs in its own transaction, opened on `db`: a connection, or a caller's
// transaction (then it is a savepoint) so that several changes commit or fail as one — see `save`.

pub async fn create<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &AuthenticatedUser,
    name: &str,
    description: &str,
) -> Result<i32, GroupError> {
    let (name, description) = clean(name, description)?;
    let now = OffsetDateTime::now_utc();
    let txn = begin_write(db).await?;
    let inserted = group::ActiveModel {
        name: Set(name.clone()),
        name_key: Set(name.to_lowercase()),
        description: Set(description),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|e| name_taken(e, &name))?;
    audit::record_admin(
        &txn,
        actor,
        "group_created",
        format!("Created group “{name}”"),
    )
    .await?;
    txn.commit().await?;
    Ok(inserted.id)
}

/// Renames and describes a group.
pub async fn update<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &AuthenticatedUser,
    id: i32,
    name: &str,
    description: &str,
) -> Result<(), GroupError> {
    let (name, description) = clean(name, description)?;
    let txn = begin_write(db).await?;
    let current = group::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(GroupError::NotFound)?;
    if current.name == name && current.description == description {
        return Ok(());
    }
    let old_name = current.name.clone();
    let mut active: group::ActiveModel = current.into();
    active.name = Set(name.clone());
    active.name_key = Set(name.to_lowercase());
    active.description = Set(description);
    active.updated_at = Set(OffsetDateTime::now_utc());
    active
        .update(&txn)
        .await
        .map_err(|e| name_taken(e, &name))?;
    let detail = if old_name == name {
        format!("Changed the description of group “{name}”")
    } else {
        format!("Renamed group “{old_name}” to “{name}”")
    };
    audit::record_admin(&txn, actor, "group_updated", detail).await?;
    txn.commit().await?;
    Ok(())
}

/// Makes `user_ids` the group's members: exactly these, whoever was a member before.
pub async fn set_members<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &AuthenticatedUser,
    id: i32,
    user_ids: &[i32],
) -> Result<(), GroupError> {
    let wanted: BTreeSet<i32> = user_ids.iter().copied().collect();
    let txn = begin_write(db).await?;
    let g = group::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(GroupError::NotFound)?;
    let existing = user::Entity::find()
        .filter(user::Column::Id.is_in(wanted.iter().copied()))
        .count(&txn)
        .await?;
    if existing != wanted.len() as u64 {
        return Err(invalid(
            "members",
            "One of the chosen users no longer exists. Reload the page and choose the members again.",
        ));
    }
    let before: BTreeSet<i32> = group_member::Entity::find()
        .filter(group_member::Column::GroupId.eq(id))
        .all(&txn)
        .await?
        .into_iter()
        .map(|m| m.user_id)
        .collect();
    if before == wanted {
        return Ok(());
    }
    group_member::Entity::delete_many()
        .filter(group_member::Column::GroupId.eq(id))
        .exec(&txn)
        .await?;
    if !wanted.is_empty() {
        group_member::Entity::insert_many(wanted.iter().map(|&user_id| {
            group_member::ActiveModel {
                group_id: Set(id),
                user_id: Set(user_id),
            }
        }))
        .exec(&txn)
        .await?;
    }
    let added: Vec<i32> = wanted.difference(&before).copied().collect();
    let removed: Vec<i32> = before.difference(&wanted).copied().collect();
    let mut changes = Vec::new();
    if !added.is_empty() {
        changes.push(format!("added {}", usernames(&txn, &added).await?));
    }
    if !removed.is_empty() {
        changes.push(format!("removed {}", usernames(&txn, &removed).await?));
    }
    audit::record_admin(
        &txn,
        actor,
        "group_members_changed",
        format!("Members of group “{}”: {}", g.name, changes.join("; ")),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

async fn usernames(db: &impl ConnectionTrait, ids: &[i32]) -> Result<String, DbErr> {
    Ok(user::Entity::find()
        .filter(user::Column::Id.is_in(ids.iter().copied()))
        .order_by_asc(user::Column::Username)
        .all(db)
        .await?
        .into_iter()
        .map(|u| u.username)
        .collect::<Vec<_>>()
        .join(", "))
}

/// The group page's Save: creates (`id` absent) or updates the group and sets its members, all or
/// nothing. Answers the group's id.
pub async fn save<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &AuthenticatedUser,
    id: Option<i32>,
    name: &str,
    description: &str,
    member_ids: &[i32],
) -> Result<i32, GroupError> {
    let txn = begin_write(db).await?;
    let id = match id {
        Some(id) => {
            update(&txn, actor, id, name, description).await?;
            id
        }
        None => create(&txn, actor, name, description).await?,
    };
    set_members(&txn, actor, id, member_ids).await?;
    txn.commit().await?;
    Ok(id)
}

/// Deletes a group; its memberships and data-source grants go with it.
pub async fn delete<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &AuthenticatedUser,
    id: i32,
) -> Result<(), GroupError> {
    let txn = begin_write(db).await?;
    let current = group::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(GroupError::NotFound)?;
    group::Entity::delete_by_id(id).exec(&txn).await?;
    audit::record_admin(
        &txn,
        actor,
        "group_deleted",
        format!("Deleted group “{}”", current.name),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{memory_db, person, someone};
    use sea_orm::DatabaseConnection;
    use wharf_types::Role;

    async fn setup() -> (DatabaseConnection, Vec<i32>) {
        let db = memory_db().await;
        let mut ids = Vec::new();
        for name in ["amy", "bob", "cat"] {
            ids.push(person(&db, name, &[Role::User]).await);
        }
        (db, ids)
    }

    fn names(detail: &GroupDetail) -> Vec<&str> {
        detail.members.iter().map(|m| m.username.as_str()).collect()
    }

    #[tokio::test]
    async fn group_names_are_unique_regardless_of_case() {
        let (db, _) = setup().await;
        let finance = create(&db, &someone(), " Finance ", "Pays the bills")
            .await
            .unwrap();
        let ops = create(&db, &someone(), "Ops", "").await.unwrap();

        let again = create(&db, &someone(), "FINANCE", "").await;
        assert!(matches!(again, Err(GroupError::NameTaken(ref n)) if n == "FINANCE"));
        let rename = update(&db, &someone(), ops, "finance", "").await;
        assert!(matches!(rename, Err(GroupError::NameTaken(_))));
        let blank = create(&db, &someone(), "   ", "").await;
        assert!(matches!(
            blank,
            Err(GroupError::Invalid { field: "name", .. })
        ));

        let detail = get(&db, finance).await.unwrap();
        assert_eq!(detail.name, "Finance");
        assert_eq!(detail.description.as_deref(), Some("Pays the bills"));
        assert_eq!(get(&db, ops).await.unwrap().name, "Ops");
        // a change of case only is a rename, not a clash with itself
        update(&db, &someone(), ops, "OPS", "").await.unwrap();
        assert_eq!(get(&db, ops).await.unwrap().name, "OPS");
    }

    #[tokio::test]
    async fn setting_members_replaces_the_set_and_records_who_came_and_went() {
        let (db, ids) = setup().await;
        let g = create(&db, &someone(), "Finance", "").await.unwrap();

        set_members(&db, &someone(), g, &[ids[0], ids[1], ids[1]])
            .await
            .unwrap();
        assert_eq!(names(&get(&db, g).await.unwrap()), ["amy", "bob"]);
        set_members(&db, &someone(), g, &[ids[1], ids[2]])
            .await
            .unwrap();
        assert_eq!(names(&get(&db, g).await.unwrap()), ["bob", "cat"]);

        // an unknown user refuses the whole change
        let refused = set_members(&db, &someone(), g, &[ids[0], 9999]).await;
        assert!(matches!(
            refused,
            Err(GroupError::Invalid {
                field: "members",
                ..
            })
        ));
        assert_eq!(names(&get(&db, g).await.unwrap()), ["bob", "cat"]);

        let last = entity::audit_event::Entity::find()
            .filter(entity::audit_event::Column::Action.eq("group_members_changed"))
            .order_by_desc(entity::audit_event::Column::Id)
            .one(&db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            last.detail,
            "Members of group “Finance”: added cat; removed amy"
        );
        assert_eq!(last.data_source_id, None);

        set_members(&db, &someone(), g, &[]).await.unwrap();
        assert!(get(&db, g).await.unwrap().members.is_empty());
    }

    #[tokio::test]
    async fn save_is_all_or_nothing() {
        let (db, ids) = setup().await;
        // a new group whose members cannot be set is not created either
        let refused = save(&db, &someone(), None, "Finance", "", &[ids[0], 9999]).await;
        assert!(matches!(refused, Err(GroupError::Invalid { .. })));
        assert_eq!(list(&db, "", 0).await.unwrap().total, 0);

        let id = save(&db, &someone(), None, "Finance", "", &[ids[0]])
            .await
            .unwrap();
        // a rename that clashes keeps the old members too
        create(&db, &someone(), "Ops", "").await.unwrap();
        let clash = save(&db, &someone(), Some(id), "ops", "", &[ids[1]]).await;
        assert!(matches!(clash, Err(GroupError::NameTaken(_))));
        let detail = get(&db, id).await.unwrap();
        assert_eq!(
            (detail.name.as_str(), names(&detail)),
            ("Finance", vec!["amy"])
        );
    }

    #[tokio::test]
    async fn the_list_counts_members_searches_and_deleting_removes_memberships() {
        let (db, ids) = setup().await;
        let finance = save(&db, &someone(), None, "Finance", "Money", &ids)
            .await
            .unwrap();
        save(&db, &someone(), None, "Ops", "Keeps the lights on", &[])
            .await
            .unwrap();

        let all = list(&db, "", 0).await.unwrap();
        let rows: Vec<(&str, u64)> = all
            .rows
            .iter()
            .map(|g| (g.name.as_str(), g.member_count))
            .collect();
        assert_eq!(rows, [("Finance", 3), ("Ops", 0)]);
        assert_eq!(list(&db, "LIGHTS", 0).await.unwrap().rows[0].name, "Ops");

        delete(&db, &someone(), finance).await.unwrap();
        assert!(matches!(get(&db, finance).await, Err(GroupError::NotFound)));
        assert_eq!(group_member::Entity::find().count(&db).await.unwrap(), 0);
        assert!(matches!(
            delete(&db, &someone(), finance).await,
            Err(GroupError::NotFound)
        ));
    }
}
