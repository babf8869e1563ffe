//! What Create item and Update item write when the content comes from the form itself: CSV
//! (RFC 4180) and JSON of named fields, and the names such files get.
use super::super::field_named;
use serde_json::{Map, Value, json};
use wharf_types::forms::{FieldKind, FieldValue, FormDefinition};
use wharf_types::rules::{Cell, RuleContext, value_text};

/// One CSV field, quoted when it holds a comma, a quote or a line break (RFC 4180).
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

fn csv_line<I: IntoIterator<Item = String>>(fields: I) -> String {
    let mut line = fields
        .into_iter()
        .map(|f| csv_field(&f))
        .collect::<Vec<_>>()
        .join(",");
    line.push_str("\r\n");
    line
}

/// The named fields as CSV: a header of their titles and one row of their values — or, when the
/// only field named is a Table, a header of its column titles and a row per table row.
pub fn csv(
    definition: &FormDefinition,
    fields: &[String],
    ctx: &RuleContext<'_>,
) -> Result<String, String> {
    let named = fields
        .iter()
        .map(|name| {
            field_named(definition, name)
                .ok_or_else(|| format!("“{name}” is not a field of this form."))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if let [only] = named.as_slice()
        && let FieldKind::Table(table) = &only.kind
    {
        let rows = match value_of(ctx, &only.name) {
            Some(FieldValue::Table(rows)) => rows.as_slice(),
            _ => &[],
        };
        let mut out = csv_line(table.columns.iter().map(|c| c.title.clone()));
        for row in rows {
            out.push_str(&csv_line(
                table
                    .columns
                    .iter()
                    .map(|c| row.get(&c.name).map(Cell::text).unwrap_or_default()),
            ));
        }
        return Ok(out);
    }
    let mut out = csv_line(named.iter().map(|f| f.title.clone()));
    out.push_str(&csv_line(named.iter().map(|f| ctx.field_text(&f.name))));
    Ok(out)
}

/// The named fields (every field that holds a value when none is named) as one JSON object by
/// field name, pretty-printed.
pub fn json_object(
    definition: &FormDefinition,
    fields: &[String],
    ctx: &RuleContext<'_>,
) -> Result<String, String> {
    let mut object = Map::new();
    if fields.is_empty() {
        for f in &definition.fields {
            if let Some(v) = value_of(ctx, &f.name)
                && !is_blank(v)
            {
                object.insert(f.name.clone(), json_value(v));
            }
        }
    } else {
        for name in fields {
            let f = field_named(definition, name)
                .ok_or_else(|| format!("“{name}” is not a field of this form."))?;
            let v = value_of(ctx, &f.name).map_or(Value::Null, json_value);
            object.insert(f.name.clone(), v);
        }
    }
    // A map of plain values always serializes.
    Ok(serde_json::to_string_pretty(&Value::Object(object)).unwrap_or_default())
}

fn value_of<'v>(ctx: &'v RuleContext<'_>, name: &str) -> Option<&'v FieldValue> {
    ctx.values
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

fn is_blank(v: &FieldValue) -> bool {
    match v {
        FieldValue::Text(t) | FieldValue::Date(t) => t.trim().is_empty(),
        FieldValue::Number(_) => false,
        FieldValue::Options(o) => o.is_empty(),
        FieldValue::Files(f) => f.is_empty(),
        FieldValue::UploadTokens(t) => t.is_empty(),
        FieldValue::Uploads(u) => u.is_empty(),
        FieldValue::Table(rows) => rows.is_empty(),
    }
}

fn json_value(v: &FieldValue) -> Value {
    match v {
        FieldValue::Number(n) => json!(n),
        FieldValue::Options(o) => json!(o),
        FieldValue::Files(files) => Value::Array(
            files
                .iter()
                .map(|f| json!({ "name": f.name, "path": format!("/{}", f.path.trim_start_matches('/')), "id": f.id }))
                .collect(),
        ),
        FieldValue::Uploads(files) => Value::Array(
            files
                .iter()
                .map(|f| json!({ "name": f.name, "size": f.size }))
                .collect(),
        ),
        FieldValue::Table(rows) => Value::Array(
            rows.iter()
                .map(|row| {
                    Value::Object(
                        row.iter()
                            .map(|(k, c)| {
                                let v = match c {
                                    Cell::Number(n) => json!(n),
                                    other => json!(other.text()),
                                };
                                (k.clone(), v)
                            })
                            .collect(),
                    )
                })
                .collect(),
        ),
        // Tokens are secrets of the person's browser, not content.
        FieldValue::UploadTokens(_) => Value::Array(Vec::new()),
        other => json!(value_text(other)),
    }
}

/// The extension of `name` with its dot (`.pdf`), or `""`.
pub fn extension_of(name: &str) -> &str {
    match name.rfind('.') {
        Some(i) if i > 0 && i + 1 < name.len() => &name[i..],
        _ => "",
    }
}

/// `name` with `fallback_extension` added when it has none (`Invoice` + `.pdf` → `Invoice.pdf`).
pub fn with_extension(name: &str, fallback_extension: &str) -> String {
    if extension_of(name).is_empty() {
        format!("{name}{fallback_extension}")
    } else {
        name.to_owned()
    }
}

/// `folder/name`, relative to the data source's root (`name` alone for the root).
pub fn join(folder: &str, name: &str) -> String {
    let folder = folder.trim().trim_matches('/');
    if folder.is_empty() {
        name.to_owned()
    } else {
        format!("{folder}/{name}")
    }
}

/// The names Dropbox's autorename may have given a file written as `name`: `name (n).ext`.
pub fn is_autorenamed(candidate: &str, name: &str) -> bool {
    let ext = extension_of(name);
    let stem = &name[..name.len() - ext.len()];
    let candidate = candidate.to_lowercase();
    let (stem, ext) = (stem.to_lowercase(), ext.to_lowercase());
    candidate
        .strip_prefix(&format!("{stem} ("))
        .and_then(|rest| rest.strip_suffix(&ext))
        .and_then(|rest| rest.strip_suffix(')'))
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use wharf_types::forms::FieldDefinition;
    use wharf_types::rules::{ColumnKind, Day, TableColumn, TableField, TableRow};

    fn ctx(values: &BTreeMap<String, FieldValue>) -> RuleContext<'_> {
        RuleContext {
            values,
            today: Day::from_ymd(2026, 12, 6),
            now: "2026-12-06T10:00:00Z".into(),
            user_name: "Uma".into(),
            user_email: String::new(),
        }
    }

    fn definition() -> FormDefinition {
        FormDefinition {
            fields: vec![
                FieldDefinition::new("Customer name", "customer", FieldKind::Text),
                FieldDefinition::new("Amount", "amount", FieldKind::Number),
                FieldDefinition::new("Notes", "notes", FieldKind::Text),
                FieldDefinition::new(
                    "Lines",
                    "lines",
                    FieldKind::Table(TableField {
                        columns: vec![
                            TableColumn {
                                name: "item".into(),
                                title: "Item".into(),
                                kind: ColumnKind::Text,
                            },
                            TableColumn {
                                name: "qty".into(),
                                title: "Qty".into(),
                                kind: ColumnKind::Number,
                            },
                        ],
                        editable: true,
                        page_size: 10,
                    }),
                ),
            ],
            ..FormDefinition::default()
        }
    }

    fn values() -> BTreeMap<String, FieldValue> {
        let row = |item: &str, qty: f64| -> TableRow {
            BTreeMap::from([
                ("item".to_owned(), Cell::Text(item.into())),
                ("qty".to_owned(), Cell::Number(qty)),
            ])
        };
        BTreeMap::from([
            ("customer".into(), FieldValue::Text("ACME, \"West\"".into())),
            ("amount".into(), FieldValue::Number(12.5)),
            (
                "notes".into(),
                FieldValue::Text("line one\nline two".into()),
            ),
            (
                "lines".into(),
                FieldValue::Table(vec![row("Bolts, M4", 3.0), row("Nuts", 10.0)]),
            ),
        ])
    }

    #[test]
    fn csv_quotes_commas_quotes_and_line_breaks() {
        let v = values();
        let out = csv(
            &definition(),
            &["customer".into(), "Amount".into(), "notes".into()],
            &ctx(&v),
        )
        .unwrap();
        assert_eq!(
            out,
            "Customer name,Amount,Notes\r\n\"ACME, \"\"West\"\"\",12.5,\"line one\nline two\"\r\n"
        );
    }

    #[test]
    fn csv_of_a_table_alone_is_a_row_per_table_row() {
        let v = values();
        let out = csv(&definition(), &["lines".into()], &ctx(&v)).unwrap();
        assert_eq!(out, "Item,Qty\r\n\"Bolts, M4\",3\r\nNuts,10\r\n");
        assert!(csv(&definition(), &["nope".into()], &ctx(&v)).is_err());
    }

    #[test]
    fn json_holds_the_named_fields_or_every_field_with_a_value() {
        let mut v = values();
        v.insert("notes".into(), FieldValue::Text("  ".into()));
        let named: Value = serde_json::from_str(
            &json_object(&definition(), &["amount".into(), "notes".into()], &ctx(&v)).unwrap(),
        )
        .unwrap();
        assert_eq!(named, json!({ "amount": 12.5, "notes": "  " }));
        let all: Value =
            serde_json::from_str(&json_object(&definition(), &[], &ctx(&v)).unwrap()).unwrap();
        assert_eq!(
            all,
            json!({
                "customer": "ACME, \"West\"",
                "amount": 12.5,
                "lines": [{ "item": "Bolts, M4", "qty": 3.0 }, { "item": "Nuts", "qty": 10.0 }],
            })
        );
    }

    #[test]
    fn names_get_the_original_extension_and_autorenamed_siblings_are_recognised() {
        assert_eq!(with_extension("Invoice", ".pdf"), "Invoice.pdf");
        assert_eq!(with_extension("Invoice.PDF", ".csv"), "Invoice.PDF");
        assert_eq!(with_extension(".profile", ".txt"), ".profile.txt");
        assert_eq!(join(" /Invoices/ACME/ ", "a.pdf"), "Invoices/ACME/a.pdf");
        assert_eq!(join("", "a.pdf"), "a.pdf");
        assert!(is_autorenamed("Invoice (1).pdf", "Invoice.pdf"));
        assert!(is_autorenamed("invoice (12).PDF", "Invoice.pdf"));
        assert!(!is_autorenamed("Invoice (x).pdf", "Invoice.pdf"));
        assert!(!is_autorenamed("Invoice.pdf", "Invoice.pdf"));
        assert!(is_autorenamed("Reports (2)", "Reports"));
    }
}
