//! `dropbox-sandbox`: run the Dropbox-compatible server on its own.

use dropbox_sandbox::{AccountSpec, AppSpec, SandboxConfig, spawn};
use std::net::SocketAddr;
use std::path::PathBuf;

const USAGE: &str = "\
dropbox-sandbox — a local Dropbox-API-v2-compatible server (Wharf's Sandbox Dropbox)

USAGE:
    dropbox-sandbox [OPTIONS]

OPTIONS:
    --addr <ADDR>            Address to listen on [default: 127.0.0.1:8765]
    --data-dir <DIR>         Keep state and file contents in DIR across restarts
                             [default: a temporary directory, removed on exit]
    --app-key <KEY>          App key (client_id) to register [default: sandbox-app]
    --app-secret <SECRET>    App secret [default: sandbox-secret]
    --app-name <NAME>        App name shown on the authorize page [default: Sandbox App]
    --redirect-uri <URI>     Redirect URI accepted for the app (repeatable)
    --account <EMAIL>        Create a sandbox account (repeatable) [default: sandbox@example.com]
    --tls-cert <PEM>         Serve https with this certificate chain (needs --tls-key)
    --tls-key <PEM>          Private key for --tls-cert
    --control-api            Serve the test control API under /__sandbox/
    --token-ttl <SECS>       Access-token lifetime in seconds [default: 14400]
    -h, --help               Print this help

Point a Dropbox client's https://api.dropboxapi.com, https://content.dropboxapi.com,
https://notify.dropboxapi.com and https://www.dropbox.com at http(s)://<ADDR>.
For the official Python SDK: DROPBOX_API_HOST, DROPBOX_API_CONTENT_HOST and
DROPBOX_API_NOTIFY_HOST set to <ADDR>, with --tls-cert/--tls-key and REQUESTS_CA_BUNDLE.
";

struct Cli {
    config: SandboxConfig,
    app: AppSpec,
    accounts: Vec<String>,
}

fn parse(args: &[String]) -> Result<Option<Cli>, String> {
    let mut config = SandboxConfig {
        addr: SocketAddr::from(([127, 0, 0, 1], 8765)),
        ..SandboxConfig::default()
    };
    let mut app = AppSpec::new("sandbox-app", "sandbox-secret");
    let mut accounts = Vec::new();
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(None),
            "--addr" => config.addr = value()?.parse().map_err(|e| format!("--addr: {e}"))?,
            "--data-dir" => config.data_dir = Some(PathBuf::from(value()?)),
            "--app-key" => app.key = value()?,
            "--app-secret" => app.secret = value()?,
            "--app-name" => app.name = value()?,
            "--redirect-uri" => app.redirect_uris.push(value()?),
            "--account" => accounts.push(value()?),
            "--tls-cert" => config.tls_cert = Some(PathBuf::from(value()?)),
            "--tls-key" => config.tls_key = Some(PathBuf::from(value()?)),
            "--control-api" => config.control_api = true,
            "--token-ttl" => {
                let secs: u64 = value()?.parse().map_err(|e| format!("--token-ttl: {e}"))?;
                config.access_token_ttl = std::time::Duration::from_secs(secs);
            }
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(Some(Cli {
        config,
        app,
        accounts,
    }))
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let cli = match parse(&args) {
        Ok(Some(cli)) => cli,
        Ok(None) => {
            print!("{USAGE}");
            return;
        }
        Err(e) => {
            eprintln!("error: {e}\n\n{USAGE}");
            std::process::exit(2);
        }
    };
    let mut config = cli.config.with_app(cli.app.clone());
    for email in cli.accounts {
        config = config.with_account(AccountSpec::new(email));
    }
    let sandbox = match spawn(config).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: cannot start: {e}");
            std::process::exit(1);
        }
    };
    let base = sandbox.base_url();
    print!("{USAGE}");
    println!("\nListening on {base}");
    println!(
        "App:      client_id={} client_secret={}",
        cli.app.key, cli.app.secret
    );
    if cli.app.redirect_uris.is_empty() {
        println!(
            "          (no redirect URI registered: the authorize page shows the code; add --redirect-uri)"
        );
    }
    for a in sandbox.accounts() {
        println!(
            "Account:  {} <{}> {}",
            a.display_name, a.email, a.account_id
        );
    }
    println!(
        "Authorize: {base}/oauth2/authorize?client_id={}&response_type=code&token_access_type=offline",
        cli.app.key
    );
    println!(
        "Token:     curl -X POST {base}/oauth2/token -d grant_type=authorization_code -d code=CODE -u {}:{}",
        cli.app.key, cli.app.secret
    );
    println!("Press Ctrl-C to stop.");
    let _ = tokio::signal::ctrl_c().await;
    sandbox.shutdown().await;
}
