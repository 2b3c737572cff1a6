// Serves the web UI (ui-static/) on the controller's port: GET and HEAD of `/` and of the UI's
// files, from the copy embedded in the binary (ui-static/CMakeLists.txt) or, for development, from
// a directory on disk. Every answer carries the UI's security headers (a Content-Security-Policy
// without inline script or style, nosniff, no referrer, no framing); files are validated by ETag
// (If-None-Match → 304), revalidated on each load (`Cache-Control: no-cache`, as the names carry
// no version), and gzip-compressed when the client accepts it.
//
// Paths the UI does not own are left to the caller: `/api` and everything under `/api/`, and
// `/healthz`, `/readyz`, `/metrics` make serve_ui return nullopt. Any other path is the UI's: a
// method other than GET/HEAD is 405; a file that does not exist, or is not of a kind the UI is
// made of (.html .css .js .mjs .svg .png .ico .json .txt .woff2, never CMakeLists.txt), is 404.
// Paths with `..`, `.` or dot-file segments, backslashes or control characters are refused (404),
// and a directory's files are served only when they resolve to a regular file inside it, so
// nothing outside the UI can be read.
//
// Threads: serve_ui may be called from any number of threads at once (the gzip cache of the
// embedded files is guarded).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "apis/http/server.h"

namespace ferry::apis {

// The Content-Security-Policy sent with every UI answer.
inline constexpr std::string_view kUiContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

// The UI's answer to `request`, or nullopt when the path is not the UI's (see above).
// `directory` empty: the embedded files; otherwise the UI is read from that directory on each
// request (the `--ui-dir` development override), which must hold index.html.
std::optional<http::Response> serve_ui(const http::Request& request, const std::string& directory = "");

// The MIME type the UI serves a file name with ("app.js" → "text/javascript; charset=utf-8").
std::string ui_content_type(std::string_view path);

}  // namespace ferry::apis
