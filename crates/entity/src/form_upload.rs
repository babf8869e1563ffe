use sea_orm::entity::prelude::*;

/// A file uploaded into a form's File upload field. The bytes are `<data_dir>/uploads/<stored_name>`;
/// `submission_id` is empty until a submission claims the file with `token`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "form_uploads")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub token: String,
    pub form_id: i32,
    /// The field's name in the form definition.
    pub field: String,
    pub uploaded_by: Option<i32>,
    pub file_name: String,
    /// Bytes.
    pub size: i64,
    pub content_type: String,
    /// The content's checksum, naming its algorithm (`domain::uploads::Checksum`): `dropbox:<hex>`
    /// (Dropbox's `content_hash`) or, for files stored before it, `sha256:<hex>`.
    pub checksum: String,
    #[sea_orm(unique)]
    pub stored_name: String,
    pub created_at: TimeDateTimeWithTimeZone,
    pub submission_id: Option<i32>,
    /// JSON (`domain::uploads::SentAhead`): the Dropbox upload session the file was sent into while
    /// it arrived, when its field saves to a data source; committed when the form is submitted.
    #[sea_orm(column_type = "Text", nullable)]
    pub dropbox_session: Option<String>,
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
        belongs_to = "super::form_submission::Entity",
        from = "Column::SubmissionId",
        to = "super::form_submission::Column::Id",
        on_delete = "Cascade"
    )]
    FormSubmission,
    #[sea_orm(
        belongs_to = "super::user::Entity",
        from = "Column::UploadedBy",
        to = "super::user::Column::Id",
        on_delete = "SetNull"
    )]
    User,
}

impl ActiveModelBehavior for ActiveModel {}
