//! `/pkg/*`: the wasm, JavaScript and CSS cargo-leptos builds. Served precompressed — brotli or gzip
//! as the browser's `Accept-Encoding` allows, from `<file>.br` / `<file>.gz` written once beside each
//! file ([`precompress`], by a release build's server at start-up, in the background) — instead of
//! the whole 3 MB of wasm on every first visit. A debug build compresses nothing: `cargo leptos
//! watch` rebuilds the wasm under a running server, which would then serve the old copies.
//!
//! cargo-leptos names each built file after its content (`wharf.<md5>.wasm`, `hash-files`), so a
//! browser may keep those for a year without asking again (`immutable`): a new build has new names.
//! Anything else under `/pkg` is revalidated (`no-cache`: an unchanged file costs a `304`).
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use leptos::config::LeptosOptions;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock, RwLock};
use std::time::SystemTime;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

/// The files worth compressing (images and fonts are compressed already).
const COMPRESSIBLE: [&str; 3] = ["wasm", "js", "css"];

/// Serves `pkg_dir` (mount it at `/pkg`).
pub fn pkg_service(pkg_dir: &Path) -> Router {
    let built = Built {
        dir: pkg_dir.to_owned(),
        read: Arc::default(),
    };
    Router::new()
        .fallback_service(
            ServeDir::new(pkg_dir)
                .precompressed_br()
                .precompressed_gzip(),
        )
        .layer(middleware::from_fn_with_state(built, from_memory))
        .layer(middleware::from_fn(cache_control))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::VARY,
            HeaderValue::from_static("accept-encoding"),
        ))
}

/// The files named after their content, each encoding read once: such a file never changes, so
/// it is answered from memory without a system call. (`ServeDir` opens, stats and reads every
/// file on tokio's blocking pool for every request — four or five thread hand-offs that held a
/// 45 KB file to ~1,800 requests/s on two cores.) Holds at most what the build wrote (≈ 8 MB in
/// release: the wasm, its `.br` and `.gz`, the JavaScript and the CSS) and only what was asked for.
#[derive(Clone)]
struct Built {
    dir: PathBuf,
    read: Arc<RwLock<HashMap<(String, &'static str), Bytes>>>,
}

impl Built {
    /// `name` in `encoding` (`""`, `"br"`, `"gzip"`) from memory, else read from disk and kept;
    /// `None` when that file does not exist (a copy not written yet is looked for again next time).
    async fn get(&self, name: &str, encoding: &'static str) -> Option<Bytes> {
        let key = (name.to_owned(), encoding);
        if let Some(bytes) = self.read.read().ok()?.get(&key) {
            return Some(bytes.clone());
        }
        let suffix = match encoding {
            "br" => ".br",
            "gzip" => ".gz",
            _ => "",
        };
        let path = self.dir.join(format!("{name}{suffix}"));
        let bytes = Bytes::from(tokio::fs::read(path).await.ok()?);
        self.read.write().ok()?.insert(key, bytes.clone());
        Some(bytes)
    }
}

/// A file named after its content, from memory in the best encoding the browser accepts; anything
/// else goes on to `ServeDir` (a debug build's files change under the server).
async fn from_memory(State(built): State<Built>, request: Request, next: Next) -> Response {
    let name = request.uri().path().trim_start_matches('/').to_owned();
    let Some(hash) = content_hash_of(&name).filter(|_| !name.contains('/')) else {
        return next.run(request).await;
    };
    // Its hash names its content: the entity tag.
    let Ok(etag) = HeaderValue::from_str(&format!("\"{hash}\"")) else {
        return next.run(request).await;
    };
    if request.headers().get(header::IF_NONE_MATCH) == Some(&etag) {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
    }
    let accepted = request
        .headers()
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let mut wanted: Vec<&'static str> = Vec::new();
    if is_compressible(Path::new(&name)) {
        for encoding in ["br", "gzip"] {
            if accepts(&accepted, encoding) {
                wanted.push(encoding);
            }
        }
    }
    wanted.push("");
    for encoding in wanted {
        if let Some(bytes) = built.get(&name, encoding).await {
            let mime = mime_guess::from_path(&name).first_or_octet_stream();
            let mut response = bytes.into_response();
            let headers = response.headers_mut();
            if let Ok(v) = HeaderValue::from_str(mime.as_ref()) {
                headers.insert(header::CONTENT_TYPE, v);
            }
            if !encoding.is_empty() {
                headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(encoding));
            }
            headers.insert(header::ETAG, etag);
            return response;
        }
    }
    next.run(request).await
}

/// Whether an `Accept-Encoding` value accepts `encoding` (listed without `q=0`).
fn accepts(accepted: &str, encoding: &str) -> bool {
    accepted.split(',').any(|part| {
        let mut pieces = part.split(';').map(str::trim);
        pieces.next() == Some(encoding) && !pieces.any(|p| p.replace(' ', "") == "q=0")
    })
}

/// A year and `immutable` for a file named after its content; revalidation for anything else.
async fn cache_control(request: Request, next: Next) -> Response {
    let named_by_content = request
        .uri()
        .path()
        .rsplit('/')
        .next()
        .is_some_and(is_named_by_content);
    let mut response = next.run(request).await;
    let found = response.status().is_success() || response.status().as_u16() == 304;
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(if named_by_content && found {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        }),
    );
    response
}

fn is_named_by_content(file_name: &str) -> bool {
    content_hash_of(file_name).is_some()
}

/// The hash in `wharf.<hash>.wasm`: cargo-leptos's hashes are MD5s in unpadded base64url (22
/// characters); its placeholder before hashing is 22 underscores.
fn content_hash_of(file_name: &str) -> Option<&str> {
    // `<name>.<hash>.<extension>`, read from the end.
    let mut parts = file_name.rsplit('.');
    let (_extension, hash, _name) = (parts.next()?, parts.next()?, parts.next()?);
    let base64url = hash
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    (hash.len() == 22 && base64url && !hash.bytes().all(|b| b == b'_')).then_some(hash)
}

/// A wasm, JavaScript or CSS file (worth compressing).
fn is_compressible(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| COMPRESSIBLE.contains(&e))
}

static STYLESHEET: OnceLock<String> = OnceLock::new();

/// Remembers where the built stylesheet is (its hashed name), for pages rendered outside Leptos.
pub fn find_stylesheet(options: &LeptosOptions) {
    let mut name = options.output_name.to_string();
    if options.hash_files
        && let Some(hash) = built_hash(options, "css")
    {
        name = format!("{name}.{hash}");
    }
    let _ = STYLESHEET.set(format!("/{}/{name}.css", options.site_pkg_dir));
}

/// The stylesheet's path, as [`find_stylesheet`] found it (`/pkg/wharf.css` before that).
pub fn stylesheet_href() -> &'static str {
    STYLESHEET.get().map_or("/pkg/wharf.css", String::as_str)
}

/// The hash cargo-leptos gave the built file of `kind` (`css`, `js`, `wasm`), from the hash file
/// beside the binary.
fn built_hash(options: &LeptosOptions, kind: &str) -> Option<String> {
    let exe = std::env::current_exe().ok()?;
    let listed = std::fs::read_to_string(exe.parent()?.join(&*options.hash_file)).ok()?;
    listed.lines().find_map(|line| {
        let (file, hash) = line.split_once(':')?;
        (file.trim() == kind).then(|| hash.trim().to_owned())
    })
}

/// Whether `pkg_dir` holds a wasm but no split loader (`__wasm_split.*.js`): every page is a lazy
/// route, so such a wasm imports a loader that is not there and never starts.
pub fn built_without_split(pkg_dir: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(pkg_dir) else {
        return false;
    };
    let names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.iter().any(|n| n.ends_with(".wasm"))
        && !names
            .iter()
            .any(|n| n.starts_with("__wasm_split.") && n.ends_with(".js"))
}

/// Removes compressed copies older than their file (a new build): they would be served in its
/// place. Quick; run it before serving. Answers how many it removed.
pub fn remove_stale(pkg_dir: &Path) -> std::io::Result<usize> {
    let mut removed = 0;
    for (path, target, _) in copies(pkg_dir)? {
        if modified(&target).is_ok_and(|t| t < modified(&path).unwrap_or(t)) {
            std::fs::remove_file(&target)?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// Writes `<file>.br` and `<file>.gz` beside every wasm, js and css file of `pkg_dir` that has none
/// or an older one (a new build), each to a temporary name first so that no half-written file is
/// ever served. Answers how many files it compressed. Until it is done the files go uncompressed.
pub fn precompress(pkg_dir: &Path) -> std::io::Result<usize> {
    let mut done = 0;
    for (path, target, compress) in copies(pkg_dir)? {
        if modified(&target).is_ok_and(|t| t >= modified(&path).unwrap_or(t)) {
            continue;
        }
        let temporary = with_suffix(&target, "partial");
        compress(&path, &temporary)?;
        // The copy carries its file's time: every encoding of one file answers the same
        // `Last-Modified`, so a revalidation is a `304` whichever encoding was cached before.
        std::fs::File::options()
            .write(true)
            .open(&temporary)?
            .set_modified(modified(&path)?)?;
        std::fs::rename(&temporary, &target)?;
        done += 1;
    }
    Ok(done)
}

/// Every compressible file of `pkg_dir` with each compressed copy it should have, and how to make it.
fn copies(pkg_dir: &Path) -> std::io::Result<Vec<(PathBuf, PathBuf, Compressor)>> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir(pkg_dir)? {
        let path = entry?.path();
        if is_compressible(&path) && path.is_file() {
            for (suffix, compress) in [("br", brotli as Compressor), ("gz", gzip)] {
                all.push((path.clone(), with_suffix(&path, suffix), compress));
            }
        }
    }
    Ok(all)
}

type Compressor = fn(&Path, &Path) -> std::io::Result<()>;

fn brotli(from: &Path, to: &Path) -> std::io::Result<()> {
    let mut input = std::fs::File::open(from)?;
    let mut output = std::fs::File::create(to)?;
    // The best quality for what a release build ships (≈ 3 MB: seconds, once per build, for every
    // visit after it); a debug build's wasm is many times larger and only for tests: quickly.
    let large = std::fs::metadata(from)?.len() > 8 << 20;
    let params = ::brotli::enc::BrotliEncoderParams {
        quality: if large { 5 } else { 11 },
        lgwin: 22,
        ..Default::default()
    };
    ::brotli::BrotliCompress(&mut input, &mut output, &params)?;
    Ok(())
}

fn gzip(from: &Path, to: &Path) -> std::io::Result<()> {
    let mut input = std::fs::File::open(from)?;
    let output = std::fs::File::create(to)?;
    let mut encoder = flate2::write::GzEncoder::new(output, flate2::Compression::best());
    std::io::copy(&mut input, &mut encoder)?;
    encoder.finish()?;
    Ok(())
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".");
    name.push(suffix);
    PathBuf::from(name)
}

fn modified(path: &Path) -> std::io::Result<SystemTime> {
    std::fs::metadata(path)?.modified()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use std::io::Read;
    use tower::ServiceExt;

    fn site() -> (tempfile::TempDir, Vec<u8>) {
        let dir = tempfile::tempdir().unwrap();
        let wasm: Vec<u8> = (0..200_000u32)
            .flat_map(|i| (i % 97).to_le_bytes())
            .collect();
        std::fs::write(dir.path().join("wharf.wasm"), &wasm).unwrap();
        // Built a minute ago: its compressed copies are written in a later second.
        std::fs::File::options()
            .write(true)
            .open(dir.path().join("wharf.wasm"))
            .unwrap()
            .set_modified(SystemTime::now() - std::time::Duration::from_secs(60))
            .unwrap();
        std::fs::write(dir.path().join("logo.png"), b"\x89PNG already compressed").unwrap();
        (dir, wasm)
    }

    async fn get(
        dir: &Path,
        path: &str,
        accept: Option<&str>,
        since: Option<&str>,
    ) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
        let mut request = Request::get(path);
        if let Some(a) = accept {
            request = request.header(header::ACCEPT_ENCODING, a);
        }
        if let Some(s) = since {
            request = request.header(header::IF_MODIFIED_SINCE, s);
        }
        let response = pkg_service(dir)
            .oneshot(request.body(Body::empty()).unwrap())
            .await
            .unwrap();
        let (parts, body) = response.into_parts();
        let bytes = axum::body::to_bytes(Body::new(body), usize::MAX)
            .await
            .unwrap();
        (parts.status, parts.headers, bytes.to_vec())
    }

    #[tokio::test]
    async fn files_go_out_compressed_as_the_browser_accepts_and_are_revalidated() {
        let (dir, wasm) = site();
        assert_eq!(
            precompress(dir.path()).unwrap(),
            2,
            "wasm to .br and .gz, the png left alone"
        );
        assert!(!dir.path().join("logo.png.br").exists());

        let (status, headers, body) =
            get(dir.path(), "/wharf.wasm", Some("gzip, deflate, br"), None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers[header::CONTENT_ENCODING], "br");
        assert_eq!(headers[header::CONTENT_TYPE], "application/wasm");
        assert_eq!(headers[header::CACHE_CONTROL], "no-cache");
        assert_eq!(headers[header::VARY], "accept-encoding");
        assert!(
            body.len() < wasm.len() / 4,
            "{} of {}",
            body.len(),
            wasm.len()
        );
        let mut unpacked = Vec::new();
        ::brotli::Decompressor::new(&body[..], 4096)
            .read_to_end(&mut unpacked)
            .unwrap();
        assert_eq!(unpacked, wasm);

        let (_, headers, body) = get(dir.path(), "/wharf.wasm", Some("gzip"), None).await;
        assert_eq!(headers[header::CONTENT_ENCODING], "gzip");
        let mut unpacked = Vec::new();
        flate2::read::GzDecoder::new(&body[..])
            .read_to_end(&mut unpacked)
            .unwrap();
        assert_eq!(unpacked, wasm);

        let (_, headers, body) = get(dir.path(), "/wharf.wasm", None, None).await;
        assert!(headers.get(header::CONTENT_ENCODING).is_none());
        assert_eq!(body, wasm);

        // An unchanged file is not sent again, whichever encoding the browser had before.
        let since = headers[header::LAST_MODIFIED].to_str().unwrap().to_owned();
        let (status, _, body) = get(dir.path(), "/wharf.wasm", Some("br"), Some(&since)).await;
        assert_eq!(status, StatusCode::NOT_MODIFIED);
        assert!(body.is_empty());
    }

    #[tokio::test]
    async fn a_new_build_is_compressed_again_and_an_unchanged_one_is_not() {
        let (dir, _) = site();
        precompress(dir.path()).unwrap();
        assert_eq!(precompress(dir.path()).unwrap(), 0);
        // A rebuilt file (newer than its compressed copies) is compressed again.
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(dir.path().join("wharf.wasm"), b"a new build").unwrap();
        // Until it is compressed again the old copies are not served in its place.
        assert_eq!(remove_stale(dir.path()).unwrap(), 2);
        let (_, headers, body) = get(dir.path(), "/wharf.wasm", Some("br, gzip"), None).await;
        assert!(headers.get(header::CONTENT_ENCODING).is_none());
        assert_eq!(body, b"a new build");
        assert_eq!(precompress(dir.path()).unwrap(), 2);
        let (_, _, body) = get(dir.path(), "/wharf.wasm", Some("gzip"), None).await;
        let mut unpacked = Vec::new();
        flate2::read::GzDecoder::new(&body[..])
            .read_to_end(&mut unpacked)
            .unwrap();
        assert_eq!(unpacked, b"a new build");
    }

    #[tokio::test]
    async fn files_named_after_their_content_are_cached_for_good_and_others_revalidated() {
        let (dir, _) = site();
        let hashed = "wharf.Xl3kQ9_zR-7aBcDeFgHiJk.wasm";
        std::fs::write(dir.path().join(hashed), b"built").unwrap();

        let (status, headers, _) = get(dir.path(), &format!("/{hashed}"), None, None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            headers[header::CACHE_CONTROL],
            "public, max-age=31536000, immutable"
        );
        let (_, headers, _) = get(dir.path(), "/wharf.wasm", None, None).await;
        assert_eq!(headers[header::CACHE_CONTROL], "no-cache");
        // Not there (an old page asking for an earlier build's file): never cached.
        let gone = "/wharf.AAAAAAAAAAAAAAAAAAAAAA.wasm";
        let (status, headers, _) = get(dir.path(), gone, None, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(headers[header::CACHE_CONTROL], "no-cache");
    }

    #[tokio::test]
    async fn a_file_named_after_its_content_is_read_once_and_answered_from_memory() {
        let (dir, wasm) = site();
        let hashed = "wharf.Xl3kQ9_zR-7aBcDeFgHiJk.wasm";
        std::fs::write(dir.path().join(hashed), &wasm).unwrap();
        let service = pkg_service(dir.path());
        let get = |accept: &'static str, tag: Option<&'static str>| {
            let service = service.clone();
            async move {
                let mut request =
                    Request::get(format!("/{hashed}")).header(header::ACCEPT_ENCODING, accept);
                if let Some(tag) = tag {
                    request = request.header(header::IF_NONE_MATCH, tag);
                }
                let response = service
                    .oneshot(request.body(Body::empty()).unwrap())
                    .await
                    .unwrap();
                let (parts, body) = response.into_parts();
                let body = axum::body::to_bytes(Body::new(body), usize::MAX)
                    .await
                    .unwrap();
                (parts.status, parts.headers, body.to_vec())
            }
        };

        // Before its compressed copies exist: as it is, and they are looked for again later.
        let (status, headers, body) = get("br, gzip", None).await;
        assert_eq!(status, StatusCode::OK);
        assert!(headers.get(header::CONTENT_ENCODING).is_none());
        assert_eq!(headers[header::CONTENT_TYPE], "application/wasm");
        assert_eq!(
            headers[header::CACHE_CONTROL],
            "public, max-age=31536000, immutable"
        );
        assert_eq!(headers[header::VARY], "accept-encoding");
        assert_eq!(body, wasm);
        precompress(dir.path()).unwrap();
        let (_, headers, body) = get("gzip, br", None).await;
        assert_eq!(headers[header::CONTENT_ENCODING], "br");
        let mut unpacked = Vec::new();
        ::brotli::Decompressor::new(&body[..], 4096)
            .read_to_end(&mut unpacked)
            .unwrap();
        assert_eq!(unpacked, wasm);
        let (_, headers, _) = get("br;q=0, gzip", None).await;
        assert_eq!(headers[header::CONTENT_ENCODING], "gzip");

        // Read once: what is on disk now is not read again (it cannot change under its name).
        std::fs::write(dir.path().join(hashed), b"changed under its name").unwrap();
        let (_, _, body) = get("identity", None).await;
        assert_eq!(body, wasm);

        // Its hash is its entity tag.
        let (status, headers, body) = get("br", Some("\"Xl3kQ9_zR-7aBcDeFgHiJk\"")).await;
        assert_eq!(status, StatusCode::NOT_MODIFIED);
        assert_eq!(headers[header::ETAG], "\"Xl3kQ9_zR-7aBcDeFgHiJk\"");
        assert!(body.is_empty());
    }

    #[test]
    fn content_names_are_cargo_leptos_hashes_not_its_placeholder() {
        assert!(is_named_by_content("wharf.Xl3kQ9_zR-7aBcDeFgHiJk.css"));
        assert!(!is_named_by_content("wharf.css"));
        assert!(!is_named_by_content(
            "__wasm_split.______________________.js"
        ));
        assert!(!is_named_by_content("wharf.short.js"));
        assert!(!is_named_by_content("wharf.Xl3kQ9_zR+7aBcDeFgHiJk.css"));
    }

    #[test]
    fn a_wasm_without_its_split_loader_is_noticed() {
        let (dir, _) = site();
        assert!(built_without_split(dir.path()));
        std::fs::write(
            dir.path().join("__wasm_split.Xl3kQ9_zR-7aBcDeFgHiJk.js"),
            b"",
        )
        .unwrap();
        assert!(!built_without_split(dir.path()));
        // No site at all (tests, a server started without cargo-leptos): nothing to say.
        assert!(!built_without_split(&dir.path().join("missing")));
    }
}
