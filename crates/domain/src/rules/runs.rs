//! The run log: one row per rule run that passed its conditions, listed newest first for the
//! form's designers and for the administrators of the data source it used.
use crate::paging;
use entity::{data_source, form, rule_run};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QueryOrder,
};
use std::collections::HashMap;
use std::time::Duration;
use time::OffsetDateTime;
use wharf_types::Page;
use wharf_types::rules::{Rule, RunOutcome};

pub(super) struct RunRecord<'a> {
    pub form_id: i32,
    pub form_version: i32,
    pub preview: bool,
    pub rule: &'a Rule,
    pub trigger: &'static str,
    pub user_id: i32,
    pub data_source_id: Option<i32>,
    pub inputs: &'a serde_json::Value,
    pub outcome: RunOutcome,
    pub message: &'a str,
    pub duration: Duration,
}

/// Columns are bounded; a designer's long rule name or message is cut, not refused.
fn cut(text: &str, chars: usize) -> String {
    text.chars().take(chars).collect()
}

pub(super) async fn record(db: &impl ConnectionTrait, run: RunRecord<'_>) -> Result<(), DbErr> {
    rule_run::ActiveModel {
        form_id: Set(run.form_id),
        form_version: Set(run.form_version),
        preview: Set(run.preview),
        rule_id: Set(cut(&run.rule.id, 64)),
        rule_name: Set(cut(&run.rule.name, 255)),
        trigger: Set(run.trigger.to_owned()),
        user_id: Set(Some(run.user_id)),
        data_source_id: Set(run.data_source_id),
        inputs: Set(cut(&run.inputs.to_string(), 20_000)),
        outcome: Set(run.outcome.key().to_owned()),
        message: Set(cut(run.message, 2_000)),
        duration_ms: Set(i64::try_from(run.duration.as_millis()).unwrap_or(i64::MAX)),
        created_at: Set(OffsetDateTime::now_utc()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// A run as the log shows it, with the names of who, which form and which data source.
#[derive(Clone, Debug, PartialEq)]
pub struct RunRow {
    pub id: i64,
    pub form_id: i32,
    pub form_title: String,
    pub form_version: i32,
    pub preview: bool,
    pub rule_id: String,
    pub rule_name: String,
    pub trigger: String,
    pub user: Option<String>,
    pub data_source_id: Option<i32>,
    pub data_source_name: Option<String>,
    pub inputs: String,
    pub outcome: RunOutcome,
    pub message: String,
    pub duration_ms: i64,
    pub at: OffsetDateTime,
}

/// Narrows a form's log: one outcome, one rule (by id).
#[derive(Clone, Debug, Default)]
pub struct RunFilter {
    pub outcome: Option<RunOutcome>,
    pub rule_id: Option<String>,
}

/// Form `form_id`'s runs, newest first, one page (0-based) at a time.
pub async fn form_runs(
    db: &impl ConnectionTrait,
    form_id: i32,
    filter: &RunFilter,
    page: u64,
) -> Result<Page<RunRow>, DbErr> {
    let mut query = rule_run::Entity::find().filter(rule_run::Column::FormId.eq(form_id));
    if let Some(outcome) = filter.outcome {
        query = query.filter(rule_run::Column::Outcome.eq(outcome.key()));
    }
    if let Some(rule) = filter.rule_id.as_deref().filter(|r| !r.is_empty()) {
        query = query.filter(rule_run::Column::RuleId.eq(rule));
    }
    let query = query.order_by_desc(rule_run::Column::Id);
    paging::fetch_with(db, query, page, |rows| named(db, rows)).await
}

/// The runs of rules that used data source `data_source_id`, newest first.
pub async fn data_source_runs(
    db: &impl ConnectionTrait,
    data_source_id: i32,
    page: u64,
) -> Result<Page<RunRow>, DbErr> {
    let query = rule_run::Entity::find()
        .filter(rule_run::Column::DataSourceId.eq(data_source_id))
        .order_by_desc(rule_run::Column::Id);
    paging::fetch_with(db, query, page, |rows| named(db, rows)).await
}

/// The page's rows with user, form and data source names (one query each for the page).
async fn named(
    db: &impl ConnectionTrait,
    rows: Vec<rule_run::Model>,
) -> Result<Vec<RunRow>, DbErr> {
    let form_ids: Vec<i32> = rows.iter().map(|r| r.form_id).collect();
    let source_ids: Vec<i32> = rows.iter().filter_map(|r| r.data_source_id).collect();
    let users = crate::identity::display_names(db, rows.iter().filter_map(|r| r.user_id)).await?;
    let forms: HashMap<i32, String> = form::Entity::find()
        .filter(form::Column::Id.is_in(form_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|f| (f.id, f.title))
        .collect();
    let sources: HashMap<i32, Option<String>> = data_source::Entity::find()
        .filter(data_source::Column::Id.is_in(source_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|d| (d.id, d.display_name))
        .collect();
    Ok(rows
        .into_iter()
        .map(|r| RunRow {
            id: i64::from(r.id),
            form_title: forms.get(&r.form_id).cloned().unwrap_or_default(),
            form_id: r.form_id,
            form_version: r.form_version,
            preview: r.preview,
            rule_id: r.rule_id,
            rule_name: r.rule_name,
            trigger: r.trigger,
            user: r.user_id.and_then(|id| users.get(&id).cloned()),
            data_source_id: r.data_source_id,
            data_source_name: r
                .data_source_id
                .and_then(|id| sources.get(&id).cloned().flatten()),
            inputs: r.inputs,
            outcome: RunOutcome::parse(&r.outcome).unwrap_or(RunOutcome::Error),
            message: r.message,
            duration_ms: r.duration_ms,
            at: r.created_at,
        })
        .collect())
}
