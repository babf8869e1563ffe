pub mod data_sources;
pub mod groups;
pub mod users;
