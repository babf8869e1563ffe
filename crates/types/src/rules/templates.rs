//! Values and templates: where a value comes from (text, a field, `{Field}` templates) and how the
//! form's values read as text.
use super::*;
use crate::forms::FieldValue;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Where a value comes from: typed text, another field's value, or a template such as
/// `Invoices/{Customer}/{InvoiceNo}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Operand {
    Text(String),
    Field(String),
    Template(String),
}

impl Default for Operand {
    fn default() -> Self {
        Operand::Text(String::new())
    }
}

impl Operand {
    /// The operand's text in `ctx`.
    pub fn text(&self, ctx: &RuleContext<'_>) -> String {
        match self {
            Operand::Text(t) => t.clone(),
            Operand::Field(f) => ctx.field_text(f),
            Operand::Template(t) => render(t, ctx),
        }
    }

    /// The field names it reads.
    pub(super) fn references(&self) -> Vec<String> {
        match self {
            Operand::Text(_) => Vec::new(),
            Operand::Field(f) => vec![f.clone()],
            Operand::Template(t) => template_references(t).unwrap_or_default(),
        }
    }
}

/// What templates and conditions read: the form's current values, today, now and the person.
#[derive(Clone, Debug)]
pub struct RuleContext<'a> {
    pub values: &'a BTreeMap<String, FieldValue>,
    pub today: Day,
    /// RFC 3339, UTC.
    pub now: String,
    pub user_name: String,
    pub user_email: String,
}

/// The names a template may use besides the form's fields.
pub const TEMPLATE_NAMES: [&str; 4] = ["@today", "@now", "@user.name", "@user.email"];

impl RuleContext<'_> {
    /// A field's value as text: numbers without a needless `.0`, lists joined with `, `, files by name.
    pub fn field_text(&self, name: &str) -> String {
        self.values
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| value_text(v))
            .unwrap_or_default()
    }

    fn name_text(&self, name: &str) -> String {
        match name {
            "@today" => self.today.format(),
            "@now" => self.now.clone(),
            "@user.name" => self.user_name.clone(),
            "@user.email" => self.user_email.clone(),
            field => self.field_text(field),
        }
    }
}

/// A value as text, the way templates and comparisons read it.
pub fn value_text(v: &FieldValue) -> String {
    match v {
        FieldValue::Text(t) | FieldValue::Date(t) => t.clone(),
        FieldValue::Number(n) => number_text(*n),
        FieldValue::Options(o) => o.join(", "),
        FieldValue::Files(f) => f
            .iter()
            .map(|f| f.name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        FieldValue::UploadTokens(_) => String::new(),
        FieldValue::Uploads(u) => u
            .iter()
            .map(|f| f.name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        FieldValue::Table(rows) => rows.len().to_string(),
    }
}

/// `3` for 3.0, `2.5` for 2.5.
pub fn number_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// The template with every `{Name}` replaced by that field's text (or `@today`, `@now`,
/// `@user.name`, `@user.email`); `{{` and `}}` stand for braces. An unknown name becomes `""`
/// (the designer is told when the rule is saved).
pub fn render(template: &str, ctx: &RuleContext<'_>) -> String {
    let mut out = String::new();
    for piece in pieces(template) {
        match piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Name(n) => out.push_str(&ctx.name_text(n)),
        }
    }
    out
}

enum Piece<'a> {
    Text(&'a str),
    Name(&'a str),
}

/// A template split into text and `{names}`. An unclosed `{` is kept as text.
fn pieces(template: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut rest = template;
    while !rest.is_empty() {
        if let Some(tail) = rest.strip_prefix("{{") {
            out.push(Piece::Text("{"));
            rest = tail;
        } else if let Some(tail) = rest.strip_prefix("}}") {
            out.push(Piece::Text("}"));
            rest = tail;
        } else if let Some(tail) = rest.strip_prefix('{') {
            match tail.find('}') {
                Some(end) => {
                    out.push(Piece::Name(tail[..end].trim()));
                    rest = &tail[end + 1..];
                }
                None => {
                    out.push(Piece::Text(rest));
                    rest = "";
                }
            }
        } else {
            let end = rest
                .char_indices()
                .skip(1)
                .find(|(_, c)| *c == '{' || *c == '}')
                .map(|(i, _)| i)
                .unwrap_or(rest.len());
            out.push(Piece::Text(&rest[..end]));
            rest = &rest[end..];
        }
    }
    out
}

/// The names a template reads, or what is wrong with it (an unclosed `{`).
pub fn template_references(template: &str) -> Result<Vec<String>, String> {
    let mut names = Vec::new();
    for p in pieces(template) {
        match p {
            Piece::Name(n) => names.push(n.to_owned()),
            Piece::Text(t) if t.starts_with('{') && t.len() > 1 => {
                return Err("A { in the template is never closed with }.".into());
            }
            Piece::Text(_) => {}
        }
    }
    Ok(names)
}
