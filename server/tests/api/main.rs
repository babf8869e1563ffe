//! Integration tests: the real application on a free port, with a fresh database per test (a temporary
//! SQLite file, or a uniquely named PostgreSQL database when TEST_DATABASE=postgres).
mod access;
mod authorization_matrix;
mod connector;
mod data_source_settings;
mod data_sources;
mod forms;
mod groups;
mod hardening;
mod helpers;
mod jobs;
mod pages;
mod rule_writes;
mod rules;
mod security;
mod sessions;
mod sign_in;
mod thumbnails;
mod uploads;
mod users;
