//! The audit trail: who did what, when — to data sources, and (with no data source) to users and groups.
use crate::AuthenticatedUser;
use entity::audit_event;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use time::OffsetDateTime;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEntry {
    pub actor_name: String,
    pub action: String,
    pub detail: String,
    pub at: OffsetDateTime,
}

/// Records one event; callers pass their transaction so the event commits with the change it describes.
pub async fn record(
    db: &impl ConnectionTrait,
    data_source_id: i32,
    actor: Option<&AuthenticatedUser>,
    action: &str,
    detail: impl Into<String>,
) -> Result<(), DbErr> {
    insert(db, Some(data_source_id), actor, action, detail.into()).await
}

/// Records a change to users or groups (`user_created`, `group_members_changed` …). The detail names
/// what changed; it never holds a password.
pub async fn record_admin(
    db: &impl ConnectionTrait,
    actor: &AuthenticatedUser,
    action: &str,
    detail: impl Into<String>,
) -> Result<(), DbErr> {
    insert(db, None, Some(actor), action, detail.into()).await
}

async fn insert(
    db: &impl ConnectionTrait,
    data_source_id: Option<i32>,
    actor: Option<&AuthenticatedUser>,
    action: &str,
    detail: String,
) -> Result<(), DbErr> {
    audit_event::ActiveModel {
        data_source_id: Set(data_source_id),
        actor_id: Set(actor.map(|a| a.id)),
        actor_name: Set(actor.map_or_else(|| "Wharf".to_owned(), |a| a.display_name.clone())),
        action: Set(action.to_owned()),
        detail: Set(detail),
        at: Set(OffsetDateTime::now_utc()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// The most recent `limit` events of a data source, newest first.
pub async fn recent(
    db: &impl ConnectionTrait,
    data_source_id: i32,
    limit: u64,
) -> Result<Vec<AuditEntry>, DbErr> {
    Ok(audit_event::Entity::find()
        .filter(audit_event::Column::DataSourceId.eq(data_source_id))
        .order_by_desc(audit_event::Column::Id)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(|e| AuditEntry {
            actor_name: e.actor_name,
            action: e.action,
            detail: e.detail,
            at: e.at,
        })
        .collect())
}
