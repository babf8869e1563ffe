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
    use super::context::*;
    respond(
        async move {
            let person = filler(preview).await?;
            if matches!(
                event,
                TriggerEvent::BeforeSubmit | TriggerEvent::AfterSubmit
            ) {
                return Err(domain::rules::RulesError::SubmitOnly.into());
            }
            let ctx = server_context()?;
            let (version, definition) = domain::rules::load_form(&ctx.db, form_id, preview).await?;
            let form = domain::rules::RuleForm {
                id: form_id,
                version,
                draft: preview,
                definition: &definition,
            };
            // Button and Change rules may write (Create / Update / Delete item).
            let writer = domain::connector::DropboxWriter::new(&ctx.connector, &ctx.data_dir);
            let env = domain::rules::RuleEnv {
                writer: Some(&writer),
                ..env(&ctx)
            };
            Ok(domain::rules::run(env, &person, form, &event, values).await?)
        }
        .await,
    )
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
    use super::context::*;
    respond(
        async move {
            let person = filler(preview).await?;
            let ctx = server_context()?;
            Ok(
                domain::rules::next_table_page(env(&ctx), &person, form_id, preview, &field, &more)
                    .await?,
            )
        }
        .await,
    )
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
    use super::context::*;
    use wharf_types::rules::RunOutcome;
    respond(
        async move {
            authorize(
                request_user().await?,
                domain::policy::Action::DesignForms,
                None,
            )?;
            let outcome = match outcome.trim() {
                "" => None,
                key => Some(RunOutcome::parse(key).ok_or_else(|| {
                    AppError::validation("outcome", "Choose ok, no-match, refused or error.")
                })?),
            };
            let ctx = server_context()?;
            // 404 for a form that does not exist.
            domain::rules::load_form(&ctx.db, form_id, true).await?;
            let filter = domain::rules::RunFilter {
                outcome,
                rule_id: Some(rule.trim().to_owned()).filter(|r| !r.is_empty()),
            };
            let runs =
                domain::rules::form_runs(&ctx.db, form_id, &filter, page.unwrap_or(0)).await?;
            Ok(runs.map(convert::row))
        }
        .await,
    )
}

/// The runs of rules that used data source `data_source_id`, newest first, for those who
/// administer it (the connector page's health panel).
#[server(endpoint = "list_data_source_rule_runs")]
pub async fn list_data_source_rule_runs(
    data_source_id: i32,
    page: Option<u64>,
) -> Result<RuleRunList, AppError> {
    use super::context::*;
    respond(
        async move {
            require_on_data_source(domain::policy::Action::AdministerDataSource, data_source_id)
                .await?;
            let ctx = server_context()?;
            let runs =
                domain::rules::data_source_runs(&ctx.db, data_source_id, page.unwrap_or(0)).await?;
            Ok(runs.map(convert::row))
        }
        .await,
    )
}

/// Who may run a form's rules: for a preview of the draft its designers, else anyone in Forms.
#[cfg(feature = "ssr")]
async fn filler(preview: bool) -> Result<domain::AuthenticatedUser, AppError> {
    use super::context::*;
    if preview {
        authorize(
            request_user().await?,
            domain::policy::Action::DesignForms,
            None,
        )
    } else {
        require_area(wharf_types::Area::Forms).await
    }
}

#[cfg(feature = "ssr")]
pub(crate) fn env(
    ctx: &super::context::ServerContext,
) -> domain::rules::RuleEnv<'_, sea_orm::DatabaseConnection> {
    domain::rules::RuleEnv {
        db: &ctx.db,
        items: &ctx.connector,
        vault: &ctx.vault,
        writer: None,
        ledger: None,
    }
}

#[cfg(feature = "ssr")]
mod convert {
    use crate::api::data_sources::convert::rfc3339;
    use crate::dto::RuleRunRow;
    use domain::rules::RunRow;

    pub fn row(r: RunRow) -> RuleRunRow {
        RuleRunRow {
            id: r.id,
            form_id: r.form_id,
            form_title: r.form_title,
            form_version: r.form_version,
            preview: r.preview,
            rule_id: r.rule_id,
            rule_name: r.rule_name,
            trigger: r.trigger,
            user: r.user,
            data_source_id: r.data_source_id,
            data_source_name: r.data_source_name,
            inputs: r.inputs,
            outcome: r.outcome,
            message: r.message,
            duration_ms: r.duration_ms,
            at: rfc3339(r.at),
        }
    }
}
