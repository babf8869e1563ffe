use sea_orm::entity::prelude::*;

/// A connection to an external system (Dropbox first) configured by an administrator.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "data_sources")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The connector type, e.g. `dropbox`.
    pub kind: String,
    /// `None` while unnamed.
    pub display_name: Option<String>,
    /// The display name lower-cased: unique, so names are unique regardless of case.
    #[sea_orm(unique)]
    pub name_key: Option<String>,
    /// Connector settings as JSON (typed per connector in the domain crate).
    #[sea_orm(column_type = "Text")]
    pub settings: String,
    /// `incomplete`, `test_failed` or `ready`.
    pub status: String,
    /// Why the last test failed and what to do about it.
    #[sea_orm(column_type = "Text", nullable)]
    pub status_message: Option<String>,
    pub last_test_at: Option<TimeDateTimeWithTimeZone>,
    /// Whether the last connection test passed (`None`: never tested).
    pub last_test_ok: Option<bool>,
    pub created_at: TimeDateTimeWithTimeZone,
    pub modified_at: TimeDateTimeWithTimeZone,
    pub modified_by: Option<i32>,
    /// Set when the Connection administrators list was saved non-empty: the list then names the only
    /// non-administrators who may edit, even after its last member is deleted.
    pub admins_restricted: bool,
    /// The same for Connection users.
    pub users_restricted: bool,
    /// Refuses Create / Update / Delete of files from every caller.
    pub read_only: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::user::Entity",
        from = "Column::ModifiedBy",
        to = "super::user::Column::Id",
        on_delete = "SetNull"
    )]
    ModifiedBy,
    /// Who may administer or use it (read with it in one query for every authorization).
    #[sea_orm(has_many = "super::data_source_grant::Entity")]
    Grants,
    /// Its Dropbox tokens, once authorized.
    #[sea_orm(has_one = "super::dropbox_credential::Entity")]
    Credential,
}

impl Related<super::user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ModifiedBy.def()
    }
}

impl Related<super::data_source_grant::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Grants.def()
    }
}

impl Related<super::dropbox_credential::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Credential.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
