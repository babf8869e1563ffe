//! `files/get_thumbnail_v2`: real JPEG/PNG thumbnails of PNG and JPEG files via the `image` crate.

use super::call::{Args, Caller};
use super::download::{find_file, shown_file};
use crate::paths::PathKind;
use crate::state::Sandbox;
use crate::util::ascii_json;
use crate::wire::{ApiError, route_err, tag};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use image::{DynamicImage, ImageFormat, imageops::FilterType};
use serde_json::json;
use std::io::Cursor;

const MAX_SOURCE: u64 = 20 * 1024 * 1024;
/// The extensions Dropbox documents for thumbnails (others answer `unsupported_extension`); the ones
/// the `image` features here cannot decode answer `unsupported_image`, as an undecodable file would.
const EXTENSIONS: [&str; 9] = [
    "jpg", "jpeg", "png", "tiff", "tif", "gif", "webp", "ppm", "bmp",
];

fn size_of(tag: &str) -> Option<(u32, u32)> {
    Some(match tag {
        "w32h32" => (32, 32),
        "w64h64" => (64, 64),
        "w128h128" => (128, 128),
        "w256h256" => (256, 256),
        "w480h320" => (480, 320),
        "w640h480" => (640, 480),
        "w960h640" => (960, 640),
        "w1024h768" => (1024, 768),
        "w2048h1536" => (2048, 1536),
        _ => return None,
    })
}

/// Scales `img` down per `files.ThumbnailMode`; never scales up.
pub fn scale(img: &DynamicImage, (w, h): (u32, u32), mode: &str) -> DynamicImage {
    let (iw, ih) = (img.width().max(1) as f64, img.height().max(1) as f64);
    let (bw, bh) = if mode != "strict" && (ih > iw) != (h > w) {
        (h, w)
    } else {
        (w, h)
    };
    let (sx, sy) = (bw as f64 / iw, bh as f64 / ih);
    let factor = if mode == "fitone_bestfit" {
        sx.max(sy)
    } else {
        sx.min(sy)
    }
    .min(1.0);
    let nw = ((iw * factor).round() as u32).max(1);
    let nh = ((ih * factor).round() as u32).max(1);
    img.resize_exact(nw, nh, FilterType::Triangle)
}

fn encode(img: &DynamicImage, png: bool) -> Result<Vec<u8>, image::ImageError> {
    let mut out = Cursor::new(Vec::new());
    if png {
        img.write_to(&mut out, ImageFormat::Png)?;
    } else {
        DynamicImage::ImageRgb8(img.to_rgb8()).write_to(&mut out, ImageFormat::Jpeg)?;
    }
    Ok(out.into_inner())
}

pub async fn get_thumbnail(sb: &Sandbox, c: &Caller, a: &Args) -> Result<Response, ApiError> {
    let resource = a.sub("resource")?.ok_or_else(|| {
        ApiError::bad_request("HTTP header \"Dropbox-API-Arg\": missing required field 'resource'")
    })?;
    match resource.union(".tag")? {
        Some((t, _)) if t == "path" => {}
        _ => return Err(ApiError::Route(tag("access_denied"))),
    }
    let p = resource.path("path", PathKind::Read, |m| route_err("path", m))?;
    let png = match a.union("format")? {
        None => false,
        Some((t, _)) if t == "jpeg" => false,
        Some((t, _)) if t == "png" => true,
        Some((t, _)) => {
            return Err(ApiError::bad_request(format!(
                "HTTP header \"Dropbox-API-Arg\": format: unsupported format '{t}'"
            )));
        }
    };
    let size = match a.union("size")? {
        None => (64, 64),
        Some((t, _)) => size_of(&t).ok_or_else(|| {
            ApiError::bad_request(format!(
                "HTTP header \"Dropbox-API-Arg\": size: unknown tag '{t}'"
            ))
        })?,
    };
    let mode = a
        .union("mode")?
        .map(|(t, _)| t)
        .unwrap_or_else(|| "strict".into());
    if !["strict", "bestfit", "fitone_bestfit"].contains(&mode.as_str()) {
        return Err(ApiError::bad_request(format!(
            "HTTP header \"Dropbox-API-Arg\": mode: unknown tag '{mode}'"
        )));
    }
    let found = find_file(sb, c, &p, "path")?;
    let meta = shown_file(sb, c, &found);
    let f = found.1;
    let ext = f
        .path_display
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    if !EXTENSIONS.contains(&ext.as_str()) {
        return Err(ApiError::Route(tag("unsupported_extension")));
    }
    if f.size > MAX_SOURCE {
        return Err(ApiError::Route(tag("unsupported_image")));
    }
    let path = sb.blobs.blob_path(&f.blob);
    let bytes = tokio::task::spawn_blocking(move || -> Result<Vec<u8>, ApiError> {
        let data = std::fs::read(&path).map_err(ApiError::internal)?;
        let img = image::load_from_memory(&data)
            .map_err(|_| ApiError::Route(tag("unsupported_image")))?;
        encode(&scale(&img, size, &mode), png).map_err(|_| ApiError::Route(tag("conversion_error")))
    })
    .await
    .map_err(ApiError::internal)??;
    let result = json!({"file_metadata": meta});
    let mut resp = Response::new(axum::body::Body::from(bytes));
    *resp.status_mut() = StatusCode::OK;
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    h.insert(
        "dropbox-api-result",
        HeaderValue::from_str(&ascii_json(&result)).map_err(ApiError::internal)?,
    );
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_mode_fits_within_box_keeping_aspect_ratio() {
        let img = DynamicImage::new_rgb8(400, 200);
        let t = scale(&img, (64, 64), "strict");
        assert_eq!((t.width(), t.height()), (64, 32));
    }

    #[test]
    fn small_images_are_not_scaled_up() {
        let img = DynamicImage::new_rgb8(10, 20);
        let t = scale(&img, (640, 480), "bestfit");
        assert_eq!((t.width(), t.height()), (10, 20));
    }
}
