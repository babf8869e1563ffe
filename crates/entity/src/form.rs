use sea_orm::entity::prelude::*;

/// A form: the definition being edited and the one published for people to fill in.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "forms")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub title: String,
    /// JSON of `wharf_types::forms::FormDefinition`.
    #[sea_orm(column_type = "Text")]
    pub draft: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub published: Option<String>,
    /// How many times it has been published; submissions record the version they filled.
    pub version: i32,
    pub published_at: Option<TimeDateTimeWithTimeZone>,
    pub updated_by: Option<i32>,
    pub created_at: TimeDateTimeWithTimeZone,
    pub updated_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::form_submission::Entity")]
    FormSubmission,
    /// Who last changed it.
    #[sea_orm(
        belongs_to = "super::user::Entity",
        from = "Column::UpdatedBy",
        to = "super::user::Column::Id",
        on_delete = "SetNull"
    )]
    User,
}

impl Related<super::user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl Related<super::form_submission::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::FormSubmission.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
