use sea_orm::entity::prelude::*;

/// Work left for a background worker: a submission's After submit writes.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "jobs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// `after-submit`.
    pub kind: String,
    #[sea_orm(unique)]
    pub submission_id: i32,
    pub form_id: i32,
    /// The form version its rules run with: `None` for the one the submission was filled in on,
    /// the version published at the time when a designer retried it.
    pub run_version: Option<i32>,
    /// `queued`, `running`, `done`, `needs-attention`.
    pub state: String,
    pub attempts: i32,
    /// A queued job is due from then on.
    pub run_after: TimeDateTimeWithTimeZone,
    /// The worker running it and until when it holds it; an expired lease makes it due again.
    pub lease_owner: Option<String>,
    pub lease_until: Option<TimeDateTimeWithTimeZone>,
    #[sea_orm(column_type = "Text", nullable)]
    pub last_error: Option<String>,
    /// JSON: planned writes and what the After submit rules said.
    #[sea_orm(column_type = "Text")]
    pub progress: String,
    pub created_at: TimeDateTimeWithTimeZone,
    pub updated_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::form_submission::Entity",
        from = "Column::SubmissionId",
        to = "super::form_submission::Column::Id",
        on_delete = "Cascade"
    )]
    Submission,
    #[sea_orm(has_many = "super::job_write::Entity")]
    Writes,
}

impl Related<super::job_write::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Writes.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
