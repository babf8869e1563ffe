//! Forms: the list (to fill in, and to design), the designer, filling one in, and submissions.
pub mod designer;
mod designer_rules;
pub mod fill;
pub mod list;
mod rule_editor;
mod rule_find;
mod rule_write;
pub mod runs;
pub mod submissions;
mod writes;

/// "Draft", "Published (v3)" or "Published (v3) · unpublished changes".
pub fn status_label(row: &crate::dto::FormRow) -> String {
    match (row.version, row.unpublished_changes) {
        (0, _) => "Draft".to_owned(),
        (v, false) => format!("Published (v{v})"),
        (v, true) => format!("Published (v{v}) · unpublished changes"),
    }
}
