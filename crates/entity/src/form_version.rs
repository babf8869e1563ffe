use sea_orm::entity::prelude::*;

/// A form as it was published: submissions filled in on this version run its rules.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "form_versions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub form_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub version: i32,
    /// JSON of `wharf_types::forms::FormDefinition`.
    #[sea_orm(column_type = "Text")]
    pub definition: String,
    pub published_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::form::Entity",
        from = "Column::FormId",
        to = "super::form::Column::Id",
        on_delete = "Cascade"
    )]
    Form,
}

impl Related<super::form::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Form.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
