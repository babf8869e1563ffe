//! "Contains, ignoring case" for the administration lists' search boxes, the same on SQLite and
//! PostgreSQL.
use sea_orm::Condition;
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};

/// Any of `columns` contains `search` (trimmed, case-insensitive); `None` for a blank search.
pub(crate) fn contains_any(
    search: &str,
    columns: impl IntoIterator<Item = Expr>,
) -> Option<Condition> {
    let needle = search.trim().to_lowercase();
    if needle.is_empty() {
        return None;
    }
    // LIKE with its wildcards escaped, on lower-cased columns: what was typed is matched literally.
    let pattern = format!(
        "%{}%",
        needle
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    Some(columns.into_iter().fold(Condition::any(), |any, column| {
        any.add(Expr::expr(Func::lower(column)).like(LikeExpr::new(pattern.clone()).escape('\\')))
    }))
}
