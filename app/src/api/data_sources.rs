//! Administration > Data sources.
use crate::dto::DataSourceRow;
use crate::error::AppError;
use leptos::prelude::*;

/// Data sources whose name or type contains `search`.
#[server(endpoint = "list_data_sources")]
pub async fn list_data_sources(search: String) -> Result<Vec<DataSourceRow>, AppError> {
    use super::context::*;
    use time::format_description::well_known::Rfc3339;
    respond(
        async move {
            require_area(wharf_types::Area::DataSources).await?;
            let ctx = server_context()?;
            let rows = domain::data_sources::list(&ctx.db, &search)
                .await
                .map_err(internal)?;
            Ok(rows
                .into_iter()
                .map(|r| DataSourceRow {
                    id: r.id,
                    kind: r.kind,
                    display_name: r.display_name,
                    status: r.status,
                    modified_at: r.modified_at.format(&Rfc3339).unwrap_or_default(),
                    modified_by: r.modified_by,
                })
                .collect())
        }
        .await,
    )
}
