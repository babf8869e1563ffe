//! Forms: designing them (Administrator or Design business process), filling them in (anyone signed
//! in), the files a List field offers (Connection users of its data source only) and submissions.
use crate::dto::{FillableForm, FormList, FormView, PickPage, SubmissionList, Submitted};
use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use std::collections::BTreeMap;
use wharf_types::forms::{FieldValue, FormDefinition};

#[cfg(feature = "ssr")]
mod convert {
    use crate::dto::FormRow;
    use domain::forms::FormSummary;

    pub fn row(s: FormSummary) -> FormRow {
        FormRow {
            id: s.id,
            title: s.title,
            version: s.version,
            published_at: s
                .published_at
                .map(crate::api::data_sources::convert::rfc3339),
            unpublished_changes: s.unpublished_changes,
            updated_at: crate::api::data_sources::convert::rfc3339(s.updated_at),
            updated_by: s.updated_by,
        }
    }
}

/// Forms whose title contains `search`, for their designers.
#[server(endpoint = "list_forms")]
pub async fn list_forms(
    #[server(default)] search: String,
    page: Option<u64>,
) -> Result<FormList, AppError> {
    use super::context::*;
    respond(
        async move {
            require_designer().await?;
            let ctx = server_context()?;
            let page = page.unwrap_or(0);
            let found = domain::forms::list(&ctx.db, &search, page).await?;
            Ok(found.map(convert::row))
        }
        .await,
    )
}

/// Published forms whose title contains `search`, for anyone signed in to fill in.
#[server(endpoint = "list_published_forms")]
pub async fn list_published_forms(
    #[server(default)] search: String,
    page: Option<u64>,
) -> Result<FormList, AppError> {
    use super::context::*;
    respond(
        async move {
            require_area(wharf_types::Area::Forms).await?;
            let ctx = server_context()?;
            let page = page.unwrap_or(0);
            let found = domain::forms::list_published(&ctx.db, &search, page).await?;
            Ok(found.map(convert::row))
        }
        .await,
    )
}

#[server(endpoint = "get_form")]
pub async fn get_form(id: i32) -> Result<FormView, AppError> {
    use super::context::*;
    respond(
        async move {
            require_designer().await?;
            let ctx = server_context()?;
            let form = domain::forms::get(&ctx.db, id).await?;
            let mut data_source_names = BTreeMap::new();
            for list in form
                .draft
                .fields
                .iter()
                .filter_map(|f| domain::forms::data_source_list(f).map(|l| l.data_source_id))
            {
                if let Ok(ds) = domain::data_sources::get(&ctx.db, list).await {
                    data_source_names.insert(
                        list,
                        ds.summary
                            .display_name
                            .unwrap_or_else(|| "(unnamed)".into()),
                    );
                }
            }
            Ok(FormView {
                row: convert::row(form.summary),
                draft: form.draft,
                data_source_names,
            })
        }
        .await,
    )
}

/// Creates a form with a title; answers its id.
#[server(endpoint = "create_form")]
pub async fn create_form(title: String) -> Result<i32, AppError> {
    use super::context::*;
    respond(
        async move {
            let designer = require_designer().await?;
            let ctx = server_context()?;
            Ok(domain::forms::create(&ctx.db, &designer, &title).await?)
        }
        .await,
    )
}

/// Saves the title and the draft (checked again here; data sources must be ones the designer may
/// use).
#[server(endpoint = "save_form", input = Json)]
pub async fn save_form(id: i32, title: String, draft: FormDefinition) -> Result<(), AppError> {
    use super::context::*;
    respond(
        async move {
            let designer = require_designer().await?;
            let ctx = server_context()?;
            Ok(domain::forms::save_draft(&ctx.db, &designer, id, &title, &draft).await?)
        }
        .await,
    )
}

/// Publishes the saved draft; answers the new version.
#[server(endpoint = "publish_form")]
pub async fn publish_form(id: i32) -> Result<i32, AppError> {
    use super::context::*;
    respond(
        async move {
            let designer = require_designer().await?;
            let ctx = server_context()?;
            Ok(domain::forms::publish(&ctx.db, &designer, id).await?)
        }
        .await,
    )
}

#[server(endpoint = "delete_form")]
pub async fn delete_form(id: i32) -> Result<(), AppError> {
    use super::context::*;
    respond(
        async move {
            let designer = require_designer().await?;
            let ctx = server_context()?;
            Ok(domain::forms::delete(&ctx.db, &designer, id).await?)
        }
        .await,
    )
}

/// The form to fill in: its published version, or (`preview`, designers only) the saved draft. A
/// List field whose data source this person may not use comes with the reason.
#[server(endpoint = "get_fillable_form")]
pub async fn get_fillable_form(id: i32, preview: Option<bool>) -> Result<FillableForm, AppError> {
    use super::context::*;
    respond(
        async move {
            let preview = preview.unwrap_or(false);
            let person = if preview {
                require_designer().await?
            } else {
                require_area(wharf_types::Area::Forms).await?
            };
            let ctx = server_context()?;
            let form = domain::forms::load(&ctx.db, id, version_shown(preview)).await?;
            let refusals = domain::forms::refusals(&ctx.db, &person, &form.definition).await?;
            Ok(FillableForm {
                id,
                title: form.title,
                version: form.version,
                preview,
                definition: form.definition,
                refusals,
                user_name: person.display_name.clone(),
                user_email: person.email.clone().unwrap_or_default(),
            })
        }
        .await,
    )
}

/// One page of the files a List field offers: `folder` (blank: the field's own) or, with `query`,
/// a name search under it. Only for Connection users of the field's data source.
#[server(endpoint = "pick_files")]
pub async fn pick_files(
    form_id: i32,
    field: String,
    #[server(default)] preview: bool,
    #[server(default)] folder: String,
    query: Option<String>,
    next: Option<String>,
) -> Result<PickPage, AppError> {
    use super::context::*;
    use domain::policy::Action;
    respond(
        async move {
            if preview {
                require_designer().await?;
            } else {
                require_area(wharf_types::Area::Forms).await?;
            }
            let ctx = server_context()?;
            let list =
                domain::forms::list_field(&ctx.db, form_id, &field, version_shown(preview)).await?;
            require_on_data_source(Action::UseDataSource, list.data_source_id).await?;
            let query = query.filter(|q| !q.trim().is_empty());
            let listing = domain::picker::page(
                &ctx.connector,
                &list,
                &folder,
                query.as_deref(),
                next.as_deref(),
            )
            .await?;
            Ok(PickPage {
                data_source_id: list.data_source_id,
                data_source_name: listing
                    .data_source_name
                    .unwrap_or_else(|| "(unnamed)".into()),
                folder: listing.folder,
                field_folder: domain::picker::field_folder(&list),
                may_enter_subfolders: list.include_subfolders,
                entries: listing.entries,
                next: listing.next,
            })
        }
        .await,
    )
}

/// Submits the published form; answers the submission's id and what its After submit rules said.
/// Every chosen file is looked up again; Before submit rules may refuse (422 with their sentence).
#[server(endpoint = "submit_form", input = Json)]
pub async fn submit_form(
    id: i32,
    values: BTreeMap<String, FieldValue>,
) -> Result<Submitted, AppError> {
    use super::context::*;
    respond(
        async move {
            let person = require_area(wharf_types::Area::Forms).await?;
            let ctx = server_context()?;
            let jobs = use_context::<domain::jobs::Jobs>()
                .ok_or_else(|| internal("the job queue is not provided"))?;
            let done = domain::forms::submit(
                &ctx.db,
                &ctx.connector,
                &ctx.vault,
                &jobs,
                &person,
                id,
                values,
            )
            .await?;
            Ok(Submitted {
                id: done.id,
                // After submit rules run in the job: what they say arrives with its progress.
                messages: Vec::new(),
                writes: done.writes,
            })
        }
        .await,
    )
}

/// A form's submissions, newest first, for its designers.
#[server(endpoint = "list_submissions")]
pub async fn list_submissions(id: i32, page: Option<u64>) -> Result<SubmissionList, AppError> {
    use super::context::*;
    use crate::api::data_sources::convert::rfc3339;
    respond(
        async move {
            require_designer().await?;
            let ctx = server_context()?;
            let page = page.unwrap_or(0);
            let form = domain::forms::get(&ctx.db, id).await?;
            let found = domain::forms::submissions(&ctx.db, id, page).await?;
            let fields = form.published.unwrap_or(form.draft).fields;
            use wharf_types::forms::FieldKind;
            let table_columns = fields
                .iter()
                .filter_map(|f| match &f.kind {
                    FieldKind::Table(t) => Some((
                        f.name.clone(),
                        t.columns
                            .iter()
                            .map(|c| (c.name.clone(), c.title.clone()))
                            .collect(),
                    )),
                    _ => None,
                })
                .collect();
            Ok(SubmissionList {
                form_title: form.summary.title,
                columns: fields
                    .into_iter()
                    // A button holds no value: no column.
                    .filter(|f| !matches!(f.kind, FieldKind::Button(_)))
                    .map(|f| (f.name, f.title))
                    .collect(),
                table_columns,
                submissions: found.map(|s| crate::dto::SubmissionView {
                    id: s.id,
                    form_version: s.form_version,
                    submitted_by: s.submitted_by,
                    submitted_at: rfc3339(s.submitted_at),
                    values: s.values,
                    writes: s.writes,
                }),
            })
        }
        .await,
    )
}

/// A designer's preview shows the draft; everyone else fills in the published version.
#[cfg(feature = "ssr")]
fn version_shown(preview: bool) -> domain::forms::Version {
    if preview {
        domain::forms::Version::Draft
    } else {
        domain::forms::Version::Published
    }
}

#[cfg(feature = "ssr")]
pub(crate) async fn require_designer() -> Result<domain::AuthenticatedUser, AppError> {
    use super::context::*;
    let user = request_user().await?;
    authorize(user, domain::policy::Action::DesignForms, None)
}
