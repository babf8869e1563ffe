use sea_orm::entity::prelude::*;

/// One write of a job, under its idempotency key: begun, done (with what it produced) or failed.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "job_writes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub job_id: i32,
    pub key: String,
    /// What it does, for people.
    #[sea_orm(column_type = "Text")]
    pub label: String,
    /// `started`, `done`, `failed`.
    pub state: String,
    /// JSON: what it was about to write.
    #[sea_orm(column_type = "Text")]
    pub intent: String,
    /// JSON: what it produced.
    #[sea_orm(column_type = "Text", nullable)]
    pub result: Option<String>,
    /// Why it failed.
    #[sea_orm(column_type = "Text")]
    pub message: String,
    pub updated_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::job::Entity",
        from = "Column::JobId",
        to = "super::job::Column::Id",
        on_delete = "Cascade"
    )]
    Job,
}

impl Related<super::job::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Job.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
