use sea_orm::entity::prelude::*;

/// An authorization in progress: the one-time `state` sent to Dropbox, bound to the user who started
/// it and the data source it is for.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "oauth_states")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub state: String,
    pub data_source_id: i32,
    pub user_id: i32,
    /// The PKCE code verifier, sealed by the vault.
    #[sea_orm(column_type = "Text")]
    pub pkce_verifier: String,
    pub expires_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
