//! Data rules as a form runs them: the browser sends a trigger (the form opened, a field changed, a
//! Button was clicked) with the current values, and the server runs the published version's rules
//! for it with the rights of the person filling in (`domain::rules`), answering field changes,
//! table pages and messages. Submit runs Before / After submit rules itself (`api::forms`). The
//! run log is for the form's designers and, per data source, for its administrators.
use crate::dto::RuleRunList;
use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use std::collections::BTreeMap;
use wharf_types::forms::FieldValue;
use wharf_types::rules::{RuleOutcome, TablePage, TriggerEvent};

/// Runs the rules of form `form_id` (its published version, or the saved draft for a designer's
/// `preview`) that fire on `event`, in order, on `values`. `BeforeSubmit` / `AfterSubmit` are
/// refused here: only submitting raises them.
#[server(endpoint = "run_rules", input = Json)]
pub async fn run_rules(
    form_id: i32,
    #[server(default)] preview: bool,
    event: TriggerEvent,
    values: BTreeMap<String, FieldValue>,
) -> Result<RuleOutcome, AppError> {
    let _ = (form_id, preview, event, values);
    Err(AppError::Conflict("Rules are not built yet.".into()))
}

/// The next page of Table field `field`, from the `more` token of the page before (sealed by the
/// server: bound to the form, the person and the rule that filled the table).
#[server(endpoint = "next_table_page", input = Json)]
pub async fn next_table_page(
    form_id: i32,
    #[server(default)] preview: bool,
    field: String,
    more: String,
) -> Result<TablePage, AppError> {
    let _ = (form_id, preview, field, more);
    Err(AppError::Conflict("Rules are not built yet.".into()))
}

/// Form `form_id`'s run log, newest first, for its designers: `outcome` (`ok`, `no-match`,
/// `refused`, `error`; blank: all) and `rule` (a rule id; blank: all) filter it.
#[server(endpoint = "list_rule_runs")]
pub async fn list_rule_runs(
    form_id: i32,
    #[server(default)] outcome: String,
    #[server(default)] rule: String,
    page: Option<u64>,
) -> Result<RuleRunList, AppError> {
    let _ = (form_id, outcome, rule, page);
    Err(AppError::Conflict("Rules are not built yet.".into()))
}

/// The runs of rules that used data source `data_source_id`, newest first, for those who
/// administer it (the connector page's health panel).
#[server(endpoint = "list_data_source_rule_runs")]
pub async fn list_data_source_rule_runs(
    data_source_id: i32,
    page: Option<u64>,
) -> Result<RuleRunList, AppError> {
    let _ = (data_source_id, page);
    Err(AppError::Conflict("Rules are not built yet.".into()))
}
