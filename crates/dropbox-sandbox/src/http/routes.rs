//! The table of `/2/` routes: how each is called (its style, which decides where the argument is and how
//! the caller authenticates) and the scope its token needs, as Dropbox's Stone spec declares them.

/// How a route is called.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// JSON argument in the body (`void`: the argument is `null` / empty), JSON result.
    Rpc { void: bool },
    /// `Dropbox-API-Arg` header, content in the body, JSON result (content host).
    Upload,
    /// `Dropbox-API-Arg` header, content in the response body, metadata in `Dropbox-API-Result`.
    Download,
    /// No authentication (`list_folder/longpoll` on the notify host).
    NoAuth,
    /// App authentication: HTTP Basic with the app key and secret.
    App,
}

/// A route: its style and the scope a user token needs for it.
#[derive(Clone, Copy, Debug)]
pub struct Route {
    pub style: Style,
    pub scope: Option<&'static str>,
}

const ACCOUNT_READ: Option<&str> = Some("account_info.read");
const METADATA_READ: Option<&str> = Some("files.metadata.read");
const CONTENT_READ: Option<&str> = Some("files.content.read");
const CONTENT_WRITE: Option<&str> = Some("files.content.write");
const SHARING_READ: Option<&str> = Some("sharing.read");
const SHARING_WRITE: Option<&str> = Some("sharing.write");

/// The route called `name` (as in `/2/<name>`), if the sandbox serves it.
pub fn lookup(name: &str) -> Option<Route> {
    let rpc = Style::Rpc { void: false };
    let (style, scope) = match name {
        "users/get_current_account" | "users/get_space_usage" => {
            (Style::Rpc { void: true }, ACCOUNT_READ)
        }
        "auth/token/revoke" => (Style::Rpc { void: true }, None),
        "check/user" => (rpc, ACCOUNT_READ),
        "check/app" => (Style::App, None),
        "files/get_metadata"
        | "files/list_folder"
        | "files/list_folder/continue"
        | "files/list_folder/get_latest_cursor"
        | "files/search_v2"
        | "files/search/continue_v2"
        | "files/list_revisions" => (rpc, METADATA_READ),
        "files/list_folder/longpoll" => (Style::NoAuth, None),
        "files/create_folder_v2"
        | "files/delete_v2"
        | "files/move_v2"
        | "files/copy_v2"
        | "files/restore"
        | "files/delete_batch"
        | "files/delete_batch/check"
        | "files/copy_batch_v2"
        | "files/copy_batch/check_v2"
        | "files/move_batch_v2"
        | "files/move_batch/check_v2"
        | "files/upload_session/finish_batch"
        | "files/upload_session/finish_batch_v2"
        | "files/upload_session/finish_batch/check" => (rpc, CONTENT_WRITE),
        "files/get_temporary_link" => (rpc, CONTENT_READ),
        "files/upload"
        | "files/upload_session/start"
        | "files/upload_session/append_v2"
        | "files/upload_session/finish" => (Style::Upload, CONTENT_WRITE),
        "files/download" | "files/get_thumbnail_v2" => (Style::Download, CONTENT_READ),
        "sharing/create_shared_link_with_settings" | "sharing/revoke_shared_link" => {
            (rpc, SHARING_WRITE)
        }
        "sharing/list_shared_links" | "sharing/get_shared_link_metadata" => (rpc, SHARING_READ),
        "sharing/get_shared_link_file" => (Style::Download, SHARING_READ),
        _ => return None,
    };
    Some(Route { style, scope })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_need_content_write_and_reads_their_read_scope() {
        assert_eq!(lookup("files/upload").unwrap().scope, CONTENT_WRITE);
        assert_eq!(
            lookup("files/copy_batch/check_v2").unwrap().scope,
            CONTENT_WRITE
        );
        assert_eq!(lookup("files/download").unwrap().scope, CONTENT_READ);
        assert_eq!(lookup("files/list_folder").unwrap().scope, METADATA_READ);
        assert_eq!(
            lookup("sharing/list_shared_links").unwrap().scope,
            SHARING_READ
        );
        assert!(lookup("auth/token/revoke").unwrap().scope.is_none());
        assert!(lookup("files/upload_session/finish_batch/check_v2").is_none());
    }
}
