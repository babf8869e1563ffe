use sea_orm::entity::prelude::*;

/// A signed-in browser session (tower-sessions record), kept in the database so that sessions survive
/// restarts and are shared by several instances on one PostgreSQL.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sessions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// The session's key/value data as JSON.
    #[sea_orm(column_type = "Text")]
    pub data: String,
    pub expires_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
