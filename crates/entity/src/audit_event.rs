use sea_orm::entity::prelude::*;

/// Who did what to a data source, and when.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub data_source_id: Option<i32>,
    pub actor_id: Option<i32>,
    /// The actor's name when it happened (users may be renamed or deleted later).
    pub actor_name: String,
    /// e.g. `created`, `settings_changed`, `authorized`, `tested`, `deleted`.
    pub action: String,
    #[sea_orm(column_type = "Text")]
    pub detail: String,
    pub at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
