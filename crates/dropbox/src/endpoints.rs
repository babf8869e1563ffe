//! Where Dropbox lives. The SDK hard-codes `https://{api,content,notify}.dropboxapi.com`; the transport
//! rewrites those origins to these bases so tests and the built-in sandbox reach a local server.

use url::Url;

const SDK_API: &str = "https://api.dropboxapi.com";
const SDK_CONTENT: &str = "https://content.dropboxapi.com";
const SDK_NOTIFY: &str = "https://notify.dropboxapi.com";

/// Base URLs of the Dropbox hosts and the two OAuth URLs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DropboxEndpoints {
    /// RPC host (`https://api.dropboxapi.com`).
    pub api: Url,
    /// Upload/download host (`https://content.dropboxapi.com`).
    pub content: Url,
    /// Longpoll host (`https://notify.dropboxapi.com`).
    pub notify: Url,
    /// Where the user's browser is sent to authorize (`https://www.dropbox.com/oauth2/authorize`).
    pub authorize: Url,
    /// Token endpoint (`https://api.dropboxapi.com/oauth2/token`).
    pub token: Url,
}

fn parse(s: &str) -> Url {
    // Only called with the literal constants above; they are valid URLs.
    Url::parse(s).unwrap_or_else(|_| unreachable!("constant URL {s} is valid"))
}

impl DropboxEndpoints {
    /// The real dropbox.com hosts.
    pub fn real() -> Self {
        Self {
            api: parse(SDK_API),
            content: parse(SDK_CONTENT),
            notify: parse(SDK_NOTIFY),
            authorize: parse("https://www.dropbox.com/oauth2/authorize"),
            token: parse("https://api.dropboxapi.com/oauth2/token"),
        }
    }

    /// Every host at one base URL, as the Dropbox sandbox serves them (`http://127.0.0.1:PORT`).
    pub fn all_at(base_url: &str) -> Result<Self, url::ParseError> {
        let base = Url::parse(base_url)?;
        let with_path = |p: &str| base.join(p);
        Ok(Self {
            api: base.clone(),
            content: base.clone(),
            notify: base.clone(),
            authorize: with_path("/oauth2/authorize")?,
            token: with_path("/oauth2/token")?,
        })
    }

    /// Maps a URL built by the SDK onto the configured hosts; other URLs pass unchanged.
    pub(crate) fn rewrite(&self, sdk_url: &str) -> String {
        for (prefix, base) in [
            (SDK_API, &self.api),
            (SDK_CONTENT, &self.content),
            (SDK_NOTIFY, &self.notify),
        ] {
            if let Some(rest) = sdk_url.strip_prefix(prefix) {
                return format!("{}{rest}", base.as_str().trim_end_matches('/'));
            }
        }
        sdk_url.to_string()
    }

    /// Whether a (rewritten) URL goes to the longpoll host, whose answers may take minutes.
    pub(crate) fn is_notify(&self, sdk_url: &str) -> bool {
        sdk_url.starts_with(SDK_NOTIFY)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sdk_urls_are_rewritten_to_the_sandbox_base() {
        let e = DropboxEndpoints::all_at("http://127.0.0.1:9000").unwrap();
        assert_eq!(
            e.rewrite("https://content.dropboxapi.com/2/files/download"),
            "http://127.0.0.1:9000/2/files/download"
        );
        assert_eq!(
            e.rewrite("https://api.dropboxapi.com/oauth2/token"),
            "http://127.0.0.1:9000/oauth2/token"
        );
        assert_eq!(e.token.as_str(), "http://127.0.0.1:9000/oauth2/token");
    }

    #[test]
    fn real_endpoints_leave_sdk_urls_unchanged() {
        let e = DropboxEndpoints::real();
        let u = "https://notify.dropboxapi.com/2/files/list_folder/longpoll";
        assert_eq!(e.rewrite(u), u);
        assert!(e.is_notify(u));
    }
}
