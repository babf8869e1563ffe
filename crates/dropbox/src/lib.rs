//! Wharf's Dropbox client: the SDK's routes and types over Wharf's own HTTP client, with OAuth,
//! self-refreshing tokens (one refresh in flight per data source), retries, streaming transfers and
//! `content_hash` checks. Start at [`DropboxHub`].

mod auth;
mod call;
mod client;
mod download;
mod endpoints;
mod error;
mod files;
mod hash;
mod hub;
mod listing;
mod oauth;
mod retry;
mod token;
mod transport;
mod upload;

pub use client::{ConnectionInfo, DropboxClient, Space};
pub use download::{Download, DownloadRange};
pub use endpoints::DropboxEndpoints;
pub use error::DropboxError;
pub use files::{TemporaryLink, Thumbnail};
pub use hash::{BLOCK_SIZE, BackgroundHasher, ContentHasher, content_hash};
pub use hub::{DropboxConfig, DropboxHub};
pub use listing::{Changes, ListOptions};
pub use listing::{ListPage, SEARCH_PAGE_SIZE, SearchPage};
pub use oauth::{OAuthApp, OAuthClient};
pub use retry::RetryPolicy;
pub use token::{MemoryTokenStore, Secret, TokenSet, TokenStore, TokenStoreError};
pub use upload::{PendingUpload, SessionUpload, WriteMode};

/// The SDK's Dropbox types (metadata, accounts, …) as this client returns them.
pub use dropbox_sdk::{files as types, users};
