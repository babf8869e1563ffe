//! [`WriteLedger`] over `job_writes`: one row per write of a job, by idempotency key.
use super::write_state::{DONE, FAILED, STARTED};
use crate::rules::{LedgerEntry, WriteLedger};
use entity::job_write;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};
use time::OffsetDateTime;

/// The writes of job `job_id`.
pub struct JobLedger {
    db: DatabaseConnection,
    job_id: i32,
}

impl JobLedger {
    pub fn new(db: &DatabaseConnection, job_id: i32) -> Self {
        JobLedger {
            db: db.clone(),
            job_id,
        }
    }

    fn row(&self, key: &str) -> sea_orm::UpdateMany<job_write::Entity> {
        job_write::Entity::update_many()
            .col_expr(
                job_write::Column::UpdatedAt,
                Expr::value(OffsetDateTime::now_utc()),
            )
            .filter(job_write::Column::JobId.eq(self.job_id))
            .filter(job_write::Column::Key.eq(key))
    }
}

fn json_of(text: Option<&str>) -> serde_json::Value {
    text.and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or(serde_json::Value::Null)
}

#[async_trait::async_trait]
impl WriteLedger for JobLedger {
    async fn recall(&self, key: &str) -> Result<Option<LedgerEntry>, DbErr> {
        let row = job_write::Entity::find()
            .filter(job_write::Column::JobId.eq(self.job_id))
            .filter(job_write::Column::Key.eq(key))
            .one(&self.db)
            .await?;
        Ok(row.map(|r| match r.state.as_str() {
            DONE => LedgerEntry::Done {
                result: json_of(r.result.as_deref()),
            },
            FAILED => LedgerEntry::Failed { message: r.message },
            _ => LedgerEntry::Started {
                intent: json_of(Some(&r.intent)),
            },
        }))
    }

    /// A key begun again (a later attempt) is started afresh with the new intent.
    async fn begin(&self, key: &str, label: &str, intent: &serde_json::Value) -> Result<(), DbErr> {
        let row = job_write::ActiveModel {
            job_id: Set(self.job_id),
            key: Set(key.to_owned()),
            label: Set(label.to_owned()),
            state: Set(STARTED.to_owned()),
            intent: Set(intent.to_string()),
            result: Set(None),
            message: Set(String::new()),
            updated_at: Set(OffsetDateTime::now_utc()),
            ..Default::default()
        };
        job_write::Entity::insert(row)
            .on_conflict(
                OnConflict::columns([job_write::Column::JobId, job_write::Column::Key])
                    .update_columns([
                        job_write::Column::Label,
                        job_write::Column::State,
                        job_write::Column::Intent,
                        job_write::Column::Result,
                        job_write::Column::Message,
                        job_write::Column::UpdatedAt,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(&self.db)
            .await?;
        Ok(())
    }

    async fn finish(&self, key: &str, result: &serde_json::Value) -> Result<(), DbErr> {
        self.row(key)
            .col_expr(job_write::Column::State, Expr::value(DONE))
            .col_expr(job_write::Column::Result, Expr::value(result.to_string()))
            .col_expr(job_write::Column::Message, Expr::value(""))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    async fn fail(&self, key: &str, message: &str) -> Result<(), DbErr> {
        self.row(key)
            .col_expr(job_write::Column::State, Expr::value(FAILED))
            .col_expr(job_write::Column::Message, Expr::value(message))
            .exec(&self.db)
            .await?;
        Ok(())
    }
}
