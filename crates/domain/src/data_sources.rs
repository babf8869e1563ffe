//! Data sources as the administration list shows them.
use entity::{data_source, user};
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, QueryOrder};
use time::OffsetDateTime;

/// One row of the data sources list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataSourceSummary {
    pub id: i32,
    pub kind: String,
    pub display_name: String,
    pub status: String,
    pub modified_at: OffsetDateTime,
    pub modified_by: Option<String>,
}

/// Data sources whose name or type contains `search` (case-insensitive), ordered by name.
pub async fn list(
    db: &impl ConnectionTrait,
    search: &str,
) -> Result<Vec<DataSourceSummary>, DbErr> {
    let needle = search.trim().to_lowercase();
    let rows = data_source::Entity::find()
        .find_also_related(user::Entity)
        .order_by_asc(data_source::Column::DisplayName)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter(|(ds, _)| {
            needle.is_empty()
                || ds.display_name.to_lowercase().contains(&needle)
                || ds.kind.to_lowercase().contains(&needle)
        })
        .map(|(ds, modifier)| DataSourceSummary {
            id: ds.id,
            kind: ds.kind,
            display_name: ds.display_name,
            status: ds.status,
            modified_at: ds.modified_at,
            modified_by: modifier.map(|u| u.display_name),
        })
        .collect())
}
