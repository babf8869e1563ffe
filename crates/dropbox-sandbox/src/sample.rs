//! Sample content for a newcomer's "Sandbox Dropbox": documents, images that have thumbnails, a
//! folder big enough to need paging, and a file type forms will refuse.
use crate::state::Sandbox;
use crate::state::control::ControlError;
use image::{ImageFormat, Rgb, RgbImage};
use std::io::Cursor;

/// How many files `/Invoices` gets: more than one page of any listing.
pub const INVOICE_COUNT: usize = 3000;
/// The file whose presence means the account was seeded already.
const MARKER: &str = "/Welcome.txt";

/// Seeds `account_id` once; later calls find the marker file and do nothing. Returns whether it seeded.
pub async fn seed_demo_account(sandbox: &Sandbox, account_id: &str) -> Result<bool, ControlError> {
    if sandbox.file_content(account_id, MARKER).await.is_some() {
        return Ok(false);
    }
    for folder in [
        "/Documents/Archive",
        "/Images",
        "/Invoices",
        "/Empty folder",
    ] {
        sandbox.seed_folder(account_id, folder)?;
    }
    let documents: [(&str, &[u8]); 6] = [
        ("/Documents/Quarterly report.pdf", &pdf("Quarterly report")),
        ("/Documents/Contract draft.pdf", &pdf("Contract draft")),
        (
            "/Documents/Meeting notes.docx",
            b"PK\x03\x04 sample Word document",
        ),
        (
            "/Documents/Budget 2026.xlsx",
            b"PK\x03\x04 sample spreadsheet",
        ),
        ("/Documents/Archive/Summary 2025.pdf", &pdf("Summary 2025")),
        (
            "/Documents/setup.exe",
            b"MZ sample program: forms that allow documents refuse it",
        ),
    ];
    for (path, content) in documents {
        sandbox.seed_file(account_id, path, content).await?;
    }
    for (name, colour) in [
        ("Harbour.png", [30, 90, 160]),
        ("Sunset.png", [220, 110, 40]),
        ("Forest.png", [40, 130, 70]),
    ] {
        sandbox
            .seed_file(
                account_id,
                &format!("/Images/{name}"),
                &gradient_png(colour),
            )
            .await?;
    }
    for i in 1..=INVOICE_COUNT {
        let content = format!("Invoice INV-{i:05}\nAmount: {}.00 EUR\n", 100 + i % 900);
        sandbox
            .seed_file(
                account_id,
                &format!("/Invoices/INV-{i:05}.pdf"),
                content.as_bytes(),
            )
            .await?;
    }
    sandbox
        .seed_file(
            account_id,
            MARKER,
            b"This is the Sandbox Dropbox that comes with Wharf: a stand-in for dropbox.com that needs no account.\n",
        )
        .await?;
    Ok(true)
}

/// A small, valid one-page PDF showing `title`.
fn pdf(title: &str) -> Vec<u8> {
    let stream = format!("BT /F1 24 Tf 72 720 Td ({title}) Tj ET");
    format!(
        "%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n\
         3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]/Contents 4 0 R/Resources<</Font<</F1 5 0 R>>>>>>endobj\n\
         4 0 obj<</Length {}>>stream\n{stream}\nendstream endobj\n5 0 obj<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>endobj\n\
         trailer<</Root 1 0 R>>\n%%EOF\n",
        stream.len()
    )
    .into_bytes()
}

/// A 320×200 gradient in `colour`, encoded as PNG: enough for real thumbnails (tests seed it too).
pub fn gradient_png(colour: [u8; 3]) -> Vec<u8> {
    let img = RgbImage::from_fn(320, 200, |x, y| {
        let shade = |c: u8| ((c as u32 * (x + 80) / 400) + y / 4).min(255) as u8;
        Rgb([shade(colour[0]), shade(colour[1]), shade(colour[2])])
    });
    let mut out = Cursor::new(Vec::new());
    // Encoding an in-memory RGB image as PNG cannot fail.
    let _ = img.write_to(&mut out, ImageFormat::Png);
    out.into_inner()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{SandboxConfig, spawn};

    #[tokio::test]
    async fn the_demo_account_is_seeded_once_with_documents_images_and_many_invoices() {
        let sb = spawn(SandboxConfig::for_tests()).await.unwrap();
        let account = sb.accounts()[0].account_id.clone();
        assert!(seed_demo_account(&sb, &account).await.unwrap());
        assert!(
            !seed_demo_account(&sb, &account).await.unwrap(),
            "second call does nothing"
        );
        let png = sb
            .file_content(&account, "/Images/Harbour.png")
            .await
            .unwrap();
        assert!(image::load_from_memory(&png).is_ok());
        assert!(
            sb.file_content(&account, "/Documents/Quarterly report.pdf")
                .await
                .unwrap()
                .starts_with(b"%PDF")
        );
        assert!(
            sb.file_content(&account, &format!("/Invoices/INV-{INVOICE_COUNT:05}.pdf"))
                .await
                .is_some()
        );
    }
}
