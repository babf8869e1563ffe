use sea_orm::entity::prelude::*;

/// What Dropbox granted a data source, and the account it belongs to. Tokens are sealed by the vault.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "dropbox_credentials")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub data_source_id: i32,
    #[sea_orm(column_type = "Text")]
    pub access_token: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub refresh_token: Option<String>,
    pub expires_at: Option<TimeDateTimeWithTimeZone>,
    pub last_refresh_at: Option<TimeDateTimeWithTimeZone>,
    pub account_id: String,
    pub account_name: String,
    pub account_email: String,
    /// Dropbox's plan, as the connector page shows it.
    pub account_type: String,
    pub has_team_space: bool,
    pub used_bytes: Option<i64>,
    pub allocated_bytes: Option<i64>,
    pub authorized_at: TimeDateTimeWithTimeZone,
    pub authorized_by: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::data_source::Entity",
        from = "Column::DataSourceId",
        to = "super::data_source::Column::Id",
        on_delete = "Cascade"
    )]
    DataSource,
}

impl Related<super::data_source::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::DataSource.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
