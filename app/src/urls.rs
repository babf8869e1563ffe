//! The addresses of the plain routes (files served outside server functions) and of the files page,
//! in one place: the server routes these patterns, and the browser, the server-rendered pages and the
//! tests build links with these functions. A data source's files live under the data source.

/// Streams one file of a data source (`?path=`, relative to its root).
pub const FILE_DOWNLOAD_ROUTE: &str = "/data-sources/{id}/files/download";
/// A small JPEG of a picture in a data source (`?path=&rev=`).
pub const FILE_THUMBNAIL_ROUTE: &str = "/data-sources/{id}/files/thumbnail";
/// Receives one file for a form's File upload field (`?name=`, the raw file as the body).
pub const UPLOAD_ROUTE: &str = "/forms/{id}/uploads/{field}";
/// Streams an uploaded file back.
pub const UPLOADED_FILE_ROUTE: &str = "/uploads/{id}";

fn query(pairs: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

/// Where the file at `path` of data source `data_source` downloads from.
pub fn file_download(data_source: i32, path: &str) -> String {
    format!(
        "/data-sources/{data_source}/files/download?{}",
        query(&[("path", path)])
    )
}

/// Where the thumbnail of the picture at `path` (revision `rev`, when known) comes from.
pub fn file_thumbnail(data_source: i32, path: &str, rev: Option<&str>) -> String {
    format!(
        "/data-sources/{data_source}/files/thumbnail?{}",
        query(&[("path", path), ("rev", rev.unwrap_or(""))])
    )
}

/// Where a file named `name` is sent for field `field` of form `form` (field names are plain
/// identifiers, checked when the form is saved).
pub fn upload(form: i32, field: &str, name: &str) -> String {
    format!("/forms/{form}/uploads/{field}?{}", query(&[("name", name)]))
}

/// The page of data source `data_source`'s files at `folder` (relative to its root; `""` is the root).
pub fn data_source_files(data_source: i32, folder: &str) -> String {
    if folder.is_empty() {
        format!("/data-sources/{data_source}/files")
    } else {
        format!(
            "/data-sources/{data_source}/files?{}",
            query(&[("folder", folder)])
        )
    }
}

/// Where uploaded file `id` downloads from.
pub fn uploaded_file(id: i32) -> String {
    format!("/uploads/{id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each builder fills in its route's pattern, so a renamed route cannot leave links behind.
    #[test]
    fn links_follow_their_routes() {
        let filled = |route: &str, id: &str| route.replace("{id}", id);
        assert!(
            file_download(7, "Invoices/März & co.pdf")
                .starts_with(&format!("{}?", filled(FILE_DOWNLOAD_ROUTE, "7")))
        );
        assert_eq!(
            file_download(7, "a b&c.pdf"),
            "/data-sources/7/files/download?path=a+b%26c.pdf"
        );
        assert_eq!(
            file_thumbnail(3, "p.png", Some("0a1")),
            format!("{}?path=p.png&rev=0a1", filled(FILE_THUMBNAIL_ROUTE, "3"))
        );
        assert_eq!(
            upload(5, "attachment", "notes.txt"),
            format!(
                "{}?name=notes.txt",
                filled(UPLOAD_ROUTE, "5").replace("{field}", "attachment")
            )
        );
        assert_eq!(uploaded_file(9), filled(UPLOADED_FILE_ROUTE, "9"));
    }
}
