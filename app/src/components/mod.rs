//! Reusable pieces of the interface.
pub mod admin;
pub mod choosers;
pub mod confirm;
pub mod data_source_bits;
pub mod errors;
pub mod file_picker;
pub mod icons;
pub mod list_page;
pub mod notice;
pub mod paged_list;
pub mod shell;
pub mod table_field;
pub mod time;
pub mod toast;
pub mod upload_field;

/// Sends the browser to `path` with a full page load, so that everything rendered for the previous
/// identity (navigation, cached resources) is thrown away — used after signing in and out.
pub fn reload_at(path: &str) {
    if let Some(window) = web_sys::window() {
        let _ = window.location().set_href(path);
    }
}
