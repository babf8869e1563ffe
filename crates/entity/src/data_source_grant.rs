use sea_orm::entity::prelude::*;

/// One entry of a data source's Security lists: a user, a group or a role that may `administer` or
/// `use` it. Exactly one of `user_id`, `group_id`, `role` is set.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "data_source_grants")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub data_source_id: i32,
    pub capability: String,
    pub user_id: Option<i32>,
    pub group_id: Option<i32>,
    pub role: Option<String>,
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
