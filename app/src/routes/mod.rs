//! One module per page.
pub mod admin;
pub mod browse;
pub mod change_password;
pub mod forms;
pub mod home;
pub mod not_found;
pub mod sign_in;
