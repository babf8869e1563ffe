pub mod data_source_detail;
pub mod data_source_new;
pub mod data_source_security;
pub mod data_sources;
pub mod groups;
pub mod users;
