//! File upload fields gained settings (where their files are saved): a stored definition's
//! `"kind": "FileUpload"` becomes `"kind": {"FileUpload": {"save_to": "Wharf"}}`, today's behaviour,
//! in every draft and published definition. Done once here so the model needs no legacy shape.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;
use serde_json::Value;

use crate::m20261127_000005_forms::Forms;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        rewrite(manager, |kind| {
            (kind == &Value::String("FileUpload".into()))
                .then(|| serde_json::json!({ "FileUpload": { "save_to": "Wharf" } }))
        })
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Settings other than Wharf are lost going back: the old model had none.
        rewrite(manager, |kind| {
            kind.get("FileUpload")
                .map(|_| Value::String("FileUpload".into()))
        })
        .await
    }
}

/// Applies `change` to the `kind` of every field of every stored definition.
async fn rewrite(
    manager: &SchemaManager<'_>,
    change: impl Fn(&Value) -> Option<Value>,
) -> Result<(), DbErr> {
    let db = manager.get_connection();
    let select = Query::select()
        .columns([Forms::Id, Forms::Draft, Forms::Published])
        .from(Forms::Table)
        .to_owned();
    for row in db.query_all(&select).await? {
        let id: i32 = row.try_get("", "id")?;
        let draft: String = row.try_get("", "draft")?;
        let published: Option<String> = row.try_get("", "published")?;
        let new_draft = changed(&draft, &change)?;
        let new_published = match &published {
            Some(p) => changed(p, &change)?,
            None => None,
        };
        if new_draft.is_none() && new_published.is_none() {
            continue;
        }
        let mut update = Query::update();
        update
            .table(Forms::Table)
            .and_where(Expr::col(Forms::Id).eq(id));
        if let Some(d) = new_draft {
            update.value(Forms::Draft, d);
        }
        if let Some(p) = new_published {
            update.value(Forms::Published, p);
        }
        db.execute(&update).await?;
    }
    Ok(())
}

/// The definition with its fields' kinds changed, or `None` when nothing changed.
fn changed(json: &str, change: &impl Fn(&Value) -> Option<Value>) -> Result<Option<String>, DbErr> {
    let mut definition: Value = serde_json::from_str(json)
        .map_err(|e| DbErr::Migration(format!("a stored form definition is not JSON: {e}")))?;
    let mut any = false;
    if let Some(fields) = definition.get_mut("fields").and_then(Value::as_array_mut) {
        for field in fields {
            if let Some(kind) = field.get_mut("kind")
                && let Some(new) = change(kind)
            {
                *kind = new;
                any = true;
            }
        }
    }
    Ok(any.then(|| definition.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_file_upload_kinds_change() {
        let up = |kind: &Value| {
            (kind == &Value::String("FileUpload".into()))
                .then(|| serde_json::json!({ "FileUpload": { "save_to": "Wharf" } }))
        };
        let stored = r#"{"fields":[{"name":"a","kind":"Text"},{"name":"b","kind":"FileUpload"}],"rules":[]}"#;
        let out: Value = serde_json::from_str(&changed(stored, &up).unwrap().unwrap()).unwrap();
        assert_eq!(out["fields"][0]["kind"], "Text");
        assert_eq!(out["fields"][1]["kind"]["FileUpload"]["save_to"], "Wharf");
        assert_eq!(
            changed(r#"{"fields":[{"kind":"Text"}]}"#, &up).unwrap(),
            None
        );
    }
}
