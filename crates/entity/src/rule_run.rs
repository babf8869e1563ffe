use sea_orm::entity::prelude::*;

/// One run of a form's data rule (the run log): what it ran with and how it ended.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "rule_runs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub form_id: i32,
    pub form_version: i32,
    /// A designer's run of the draft.
    pub preview: bool,
    pub rule_id: String,
    pub rule_name: String,
    /// `load`, `change`, `button`, `before-submit`, `after-submit`.
    pub trigger: String,
    pub user_id: Option<i32>,
    pub data_source_id: Option<i32>,
    /// JSON: resolved folder, query, filter values, fields read (never file contents).
    #[sea_orm(column_type = "Text")]
    pub inputs: String,
    /// `ok`, `no-match`, `refused`, `error`.
    pub outcome: String,
    #[sea_orm(column_type = "Text")]
    pub message: String,
    pub duration_ms: i64,
    pub created_at: TimeDateTimeWithTimeZone,
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
    #[sea_orm(
        belongs_to = "super::user::Entity",
        from = "Column::UserId",
        to = "super::user::Column::Id",
        on_delete = "SetNull"
    )]
    User,
}

impl ActiveModelBehavior for ActiveModel {}
