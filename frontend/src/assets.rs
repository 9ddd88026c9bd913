//! Static files compiled into the binary (the image has nothing else), served with year-long caching:
//! vendored files carry their version in the name, our own files get a content hash in the URL.

use std::{
    hash::{DefaultHasher, Hash, Hasher},
    sync::LazyLock,
};

use axum::{
    extract::Path,
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
};

use crate::{error::Error, urls};

/// htmx from the npm package `htmx.org`, vendored unchanged.
pub(crate) const HTMX_FILE: &str = "htmx-2.0.11.min.js";
/// Subresource-integrity hash of [`HTMX_FILE`] (checked by a unit test).
pub(crate) const HTMX_SRI: &str = "sha384-2OatzQy1H+Zd/IIrjr1TcuDGqLXeHhbooAyJY1KdQMKnr4LZ22k31GBLdYKHmVjg";
/// The SSE extension from the npm package `htmx-ext-sse`, vendored unchanged.
pub(crate) const SSE_FILE: &str = "htmx-ext-sse-2.2.4.min.js";
pub(crate) const SSE_SRI: &str = "sha384-A986SAtodyH8eg8x8irJnYUk7i9inVQqYigD6qZ9evobksGNIXfeFvDwLSHcp31N";

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

struct Asset {
    file: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

static ASSETS: &[Asset] = &[
    Asset {
        file: HTMX_FILE,
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../static/htmx-2.0.11.min.js"),
    },
    Asset {
        file: SSE_FILE,
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../static/htmx-ext-sse-2.2.4.min.js"),
    },
    Asset {
        file: "app.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../static/app.js"),
    },
    Asset {
        file: "connect.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../static/connect.js"),
    },
    Asset {
        file: "app.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("../static/app.css"),
    },
    Asset {
        file: "favicon.svg",
        content_type: "image/svg+xml",
        body: include_bytes!("../static/favicon.svg"),
    },
];

/// URLs the layout links to; our own files carry `?v=<content hash>` so a new build busts caches.
#[derive(Debug)]
pub(crate) struct AssetUrls {
    pub htmx: String,
    pub htmx_sri: &'static str,
    pub sse: String,
    pub sse_sri: &'static str,
    pub js: String,
    /// The access-token page's script (the copy button).
    pub connect_js: String,
    pub css: String,
    pub icon: String,
}

pub(crate) static URLS: LazyLock<AssetUrls> = LazyLock::new(|| AssetUrls {
    htmx: urls::asset(HTMX_FILE),
    htmx_sri: HTMX_SRI,
    sse: urls::asset(SSE_FILE),
    sse_sri: SSE_SRI,
    js: versioned("app.js"),
    connect_js: versioned("connect.js"),
    css: versioned("app.css"),
    icon: versioned("favicon.svg"),
});

fn find(file: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|asset| asset.file == file)
}

fn versioned(file: &str) -> String {
    let body = find(file).map_or(&[][..], |asset| asset.body);
    // SipHash with the default (fixed) keys: stable for a given binary, which is all a cache buster needs.
    let mut hasher = DefaultHasher::new();
    body.hash(&mut hasher);
    format!("{}?v={:016x}", urls::asset(file), hasher.finish())
}

/// `GET /static/{file}`.
pub(crate) async fn serve(Path(file): Path<String>) -> Response {
    match find(&file) {
        Some(asset) => (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type)),
                (header::CACHE_CONTROL, HeaderValue::from_static(IMMUTABLE)),
            ],
            asset.body,
        )
            .into_response(),
        None => Error::NotFound.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use sha2::Digest;

    use super::*;

    fn sri(body: &[u8]) -> String {
        let digest = sha2::Sha384::digest(body);
        format!("sha384-{}", base64::engine::general_purpose::STANDARD.encode(digest))
    }

    #[test]
    fn integrity_hashes_match_the_vendored_files() {
        assert_eq!(sri(find(HTMX_FILE).unwrap().body), HTMX_SRI);
        assert_eq!(sri(find(SSE_FILE).unwrap().body), SSE_SRI);
    }

    #[test]
    fn own_files_are_versioned_by_content() {
        assert!(URLS.css.starts_with("/static/app.css?v="));
        assert_ne!(versioned("app.css"), versioned("app.js"));
    }
}
