//! Wharf's shared vocabulary: plain types with no I/O, compiled for the server and the browser, so that
//! the navigation the browser hides and the refusals the server makes come from one definition.

pub mod data_sources;
pub mod files;
pub mod forms;
pub mod identity;
pub mod paging;
pub mod rules;
pub mod security;

pub use data_sources::*;
pub use files::{FileEntry, Pick};
pub use identity::*;
pub use paging::{PAGE_SIZE, Page};
pub use security::*;
