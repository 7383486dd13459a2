//! The pages' own script and style and the vendored wavesurfer.js
//! (scripts/vendor-wavesurfer), embedded: the browser loads nothing from
//! anywhere else.

use axum::extract::Path;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};

use super::error::{Fail, PageError};

const FILES: &[(&str, &str, &[u8])] = &[
    ("style.css", "text/css", include_bytes!("assets/style.css")),
    (
        "recording.js",
        "text/javascript",
        include_bytes!("assets/recording.js"),
    ),
    (
        "together.js",
        "text/javascript",
        include_bytes!("assets/together.js"),
    ),
    (
        "wavesurfer.min.js",
        "text/javascript",
        include_bytes!("assets/vendor/wavesurfer/wavesurfer.min.js"),
    ),
    (
        "regions.min.js",
        "text/javascript",
        include_bytes!("assets/vendor/wavesurfer/regions.min.js"),
    ),
    (
        "timeline.min.js",
        "text/javascript",
        include_bytes!("assets/vendor/wavesurfer/timeline.min.js"),
    ),
    (
        "wavesurfer-LICENSE.txt",
        "text/plain; charset=utf-8",
        include_bytes!("assets/vendor/wavesurfer/LICENSE"),
    ),
];

pub async fn asset(Path(name): Path<String>) -> Response {
    match FILES.iter().find(|(n, _, _)| *n == name) {
        Some((_, mime, bytes)) => {
            let mut r = bytes.into_response();
            let h = r.headers_mut();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
            h.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            );
            r
        }
        None => PageError(Fail::NotFound("no such file".into())).into_response(),
    }
}
