//! Rule writes into Dropbox: [`ItemWriter`] for the connector. Root, File pattern and confinement
//! apply here as for every other file call; staged uploads are streamed from Wharf's store.
use super::DropboxConnector;
use crate::rules::ItemWriter;
use std::path::{Path, PathBuf};

/// The connector plus where Wharf keeps uploaded files (content for Create / Update item).
pub struct DropboxWriter {
    connector: DropboxConnector,
    data_dir: PathBuf,
}

impl DropboxWriter {
    pub fn new(connector: &DropboxConnector, data_dir: &Path) -> Self {
        DropboxWriter {
            connector: connector.clone(),
            data_dir: data_dir.to_owned(),
        }
    }
}

#[async_trait::async_trait]
impl ItemWriter for DropboxWriter {}

#[allow(dead_code)]
impl DropboxWriter {
    fn parts(&self) -> (&DropboxConnector, &Path) {
        (&self.connector, &self.data_dir)
    }
}
