//! Inline SVG icons, so they render the same everywhere: emoji need a colour-emoji font, which many
//! servers and some desktops (Debian's default install among them) do not have.
//!
//! The shapes are Lucide's (https://lucide.dev, ISC licence: "Permission to use, copy, modify, and/or
//! distribute this software for any purpose with or without fee is hereby granted, provided that the
//! above copyright notice and this permission notice appear in all copies." Copyright (c) 2026
//! Lucide Icons and Contributors).
use leptos::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IconName {
    Folder,
    File,
    FileText,
    Image,
    User,
    Users,
    Shield,
    Trash,
    Info,
    CircleCheck,
    TriangleAlert,
    CircleX,
    ChevronUp,
    ChevronDown,
    ArrowUpDown,
    Check,
    Brand,
}

impl IconName {
    /// The inner markup of a 24×24 Lucide icon (stroke drawn with `currentColor`).
    fn shapes(self) -> &'static str {
        match self {
            IconName::Folder => {
                r#"<path d="M20 20a2 2 0 0 0 2-2V8a2 2 0 0 0-2-2h-7.9a2 2 0 0 1-1.69-.9L9.6 3.9A2 2 0 0 0 7.93 3H4a2 2 0 0 0-2 2v13a2 2 0 0 0 2 2Z"/>"#
            }
            IconName::File => {
                r#"<path d="M6 22a2 2 0 0 1-2-2V4a2 2 0 0 1 2-2h8a2.4 2.4 0 0 1 1.704.706l3.588 3.588A2.4 2.4 0 0 1 20 8v12a2 2 0 0 1-2 2z"/><path d="M14 2v5a1 1 0 0 0 1 1h5"/>"#
            }
            IconName::FileText => {
                r#"<path d="M6 22a2 2 0 0 1-2-2V4a2 2 0 0 1 2-2h8a2.4 2.4 0 0 1 1.704.706l3.588 3.588A2.4 2.4 0 0 1 20 8v12a2 2 0 0 1-2 2z"/><path d="M14 2v5a1 1 0 0 0 1 1h5"/><path d="M10 9H8"/><path d="M16 13H8"/><path d="M16 17H8"/>"#
            }
            IconName::Image => {
                r#"<rect width="18" height="18" x="3" y="3" rx="2" ry="2"/><circle cx="9" cy="9" r="2"/><path d="m21 15-3.086-3.086a2 2 0 0 0-2.828 0L6 21"/>"#
            }
            IconName::User => {
                r#"<path d="M19 21v-2a4 4 0 0 0-4-4H9a4 4 0 0 0-4 4v2"/><circle cx="12" cy="7" r="4"/>"#
            }
            IconName::Users => {
                r#"<path d="M16 21v-2a4 4 0 0 0-4-4H6a4 4 0 0 0-4 4v2"/><path d="M16 3.128a4 4 0 0 1 0 7.744"/><path d="M22 21v-2a4 4 0 0 0-3-3.87"/><circle cx="9" cy="7" r="4"/>"#
            }
            IconName::Shield => {
                r#"<path d="M20 13c0 5-3.5 7.5-7.66 8.95a1 1 0 0 1-.67-.01C7.5 20.5 4 18 4 13V6a1 1 0 0 1 1-1c2 0 4.5-1.2 6.24-2.72a1.17 1.17 0 0 1 1.52 0C14.51 3.81 17 5 19 5a1 1 0 0 1 1 1z"/>"#
            }
            IconName::Trash => {
                r#"<path d="M10 11v6"/><path d="M14 11v6"/><path d="M19 6v14a2 2 0 0 1-2 2H7a2 2 0 0 1-2-2V6"/><path d="M3 6h18"/><path d="M8 6V4a2 2 0 0 1 2-2h4a2 2 0 0 1 2 2v2"/>"#
            }
            IconName::Info => {
                r#"<circle cx="12" cy="12" r="10"/><path d="M12 16v-4"/><path d="M12 8h.01"/>"#
            }
            IconName::CircleCheck => {
                r#"<circle cx="12" cy="12" r="10"/><path d="m16 9-5.5 5.5L8 12"/>"#
            }
            IconName::TriangleAlert => {
                r#"<path d="m21.73 18-8-14a2 2 0 0 0-3.48 0l-8 14A2 2 0 0 0 4 21h16a2 2 0 0 0 1.73-3"/><path d="M12 9v4"/><path d="M12 17h.01"/>"#
            }
            IconName::CircleX => {
                r#"<circle cx="12" cy="12" r="10"/><path d="m15 9-6 6"/><path d="m9 9 6 6"/>"#
            }
            IconName::ChevronUp => r#"<path d="m18 15-6-6-6 6"/>"#,
            IconName::ChevronDown => r#"<path d="m6 9 6 6 6-6"/>"#,
            IconName::ArrowUpDown => {
                r#"<path d="m21 16-4 4-4-4"/><path d="M17 20V4"/><path d="m3 8 4-4 4 4"/><path d="M7 4v16"/>"#
            }
            IconName::Check => r#"<path d="M20 6 9 17l-5-5"/>"#,
            // Wharf's own mark: a diamond (a mooring buoy seen from above).
            IconName::Brand => r#"<path d="M12 2 22 12 12 22 2 12Z" fill="currentColor"/>"#,
        }
    }
}

/// A decorative icon (hidden from screen readers: the text next to it says what it means).
#[component]
pub fn Icon(name: IconName, #[prop(optional, into)] class: Option<String>) -> impl IntoView {
    let class = match class {
        Some(c) => format!("icon {c}"),
        None => "icon".to_owned(),
    };
    view! {
        <svg class=class viewBox="0 0 24 24" width="18" height="18" fill="none" stroke="currentColor"
            stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"
            focusable="false" inner_html=name.shapes()></svg>
    }
}

/// The icon for a file by its name: pictures, documents and other files look different.
pub fn file_icon(name: &str, is_folder: bool) -> IconName {
    if is_folder {
        return IconName::Folder;
    }
    let extension = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match extension.as_str() {
        "jpg" | "jpeg" | "png" | "gif" | "webp" | "bmp" | "tif" | "tiff" | "heic" | "svg" => {
            IconName::Image
        }
        "pdf" | "doc" | "docx" | "txt" | "md" | "rtf" | "odt" | "xls" | "xlsx" | "csv" | "ppt"
        | "pptx" => IconName::FileText,
        _ => IconName::File,
    }
}
