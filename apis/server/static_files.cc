#include "apis/server/static_files.h"

#include <sys/stat.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <vector>

#include "apis/http/compression.h"
#include "apis/http/text.h"
#include "ui-static/embedded_files.h"

namespace ferry::apis {
namespace {

// Files smaller than this are sent as they are: gzip would save next to nothing.
constexpr size_t kMinGzipBytes = 512;

bool starts_with(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// Paths served by the API server's other routes, never by the UI.
bool owned_by_others(std::string_view path) {
  return path == "/api" || starts_with(path, "/api/") || path == "/healthz" || path == "/readyz" || path == "/metrics";
}

void add_security_headers(http::Response& response) {
  response.headers.emplace_back("Content-Security-Policy", std::string(kUiContentSecurityPolicy));
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  response.headers.emplace_back("Referrer-Policy", "no-referrer");
  response.headers.emplace_back("X-Frame-Options", "DENY");
}

http::Response plain(int status, std::string body) {
  http::Response response;
  response.status = status;
  response.content_type = "text/plain; charset=utf-8";
  response.body = std::move(body);
  response.headers.emplace_back("Cache-Control", "no-store");
  add_security_headers(response);
  return response;
}

// "/" → "index.html", "/js/app.js" → "js/app.js"; nullopt for anything that could leave the UI's
// folder or name a hidden file: empty, "." or ".." segments, dot-files, backslashes, NUL.
std::optional<std::string> relative_path(std::string_view path) {
  if (path.empty() || path.front() != '/') return std::nullopt;
  if (path == "/") return std::string("index.html");
  path.remove_prefix(1);
  if (path.empty() || path.back() == '/') return std::nullopt;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view segment = path.substr(start, end - start);
    if (segment.empty() || segment.front() == '.') return std::nullopt;
    for (char c : segment) {
      if (c == '\\' || c == '\0' || static_cast<unsigned char>(c) < 0x20) return std::nullopt;
    }
    start = end + 1;
  }
  return std::string(path);
}

// Whether If-None-Match names `etag` (quoted, weak or not) or is "*".
bool etag_matches(const http::Request& request, std::string_view etag) {
  const std::string* header = request.header("if-none-match");
  if (header == nullptr) return false;
  std::string_view rest = *header;
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    std::string_view item = http::trim(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    if (item == "*") return true;
    if (starts_with(item, "W/")) item.remove_prefix(2);
    if (item == etag) return true;
  }
  return false;
}

// The gzip form of an embedded file, made once (nullopt when compression is unavailable).
const std::optional<std::string>& embedded_gzip(const ui::EmbeddedFile& file) {
  static std::mutex mutex;
  static std::map<const void*, std::unique_ptr<std::optional<std::string>>> cache;
  std::lock_guard lock(mutex);
  auto& slot = cache[file.data.data()];
  if (!slot) slot = std::make_unique<std::optional<std::string>>(http::gzip(file.data, 9));
  return *slot;
}

// The kinds of files the UI consists of (ui-static/CMakeLists.txt embeds the same): a --ui-dir
// source tree also holds CMakeLists.txt, embed.cmake, a header and a README, never served.
bool ui_file(std::string_view relative) {
  if (relative == "CMakeLists.txt") return false;
  for (std::string_view suffix : {".html", ".css", ".js", ".mjs", ".svg", ".png", ".ico", ".json", ".txt", ".woff2"}) {
    if (ends_with(relative, suffix)) return true;
  }
  return false;
}

std::string fnv1a_hex(std::string_view data) {
  uint64_t hash = 1469598103934665603ull;
  for (unsigned char c : data) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(hash));
  return text;
}

// A file of the UI's folder on disk, only when it resolves to a regular file inside it.
std::optional<std::string> read_from_directory(const std::string& directory, const std::string& relative) {
  std::unique_ptr<char, decltype(&std::free)> root(realpath(directory.c_str(), nullptr), &std::free);
  if (!root) return std::nullopt;
  std::string wanted = directory + "/" + relative;
  std::unique_ptr<char, decltype(&std::free)> resolved(realpath(wanted.c_str(), nullptr), &std::free);
  if (!resolved) return std::nullopt;
  std::string prefix = std::string(root.get()) + "/";
  if (!starts_with(resolved.get(), prefix)) return std::nullopt;
  struct stat info {};
  if (stat(resolved.get(), &info) != 0 || !S_ISREG(info.st_mode)) return std::nullopt;
  std::ifstream in(resolved.get(), std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

}  // namespace

std::string ui_content_type(std::string_view path) {
  struct Type {
    std::string_view suffix, type;
  };
  static constexpr Type kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".json", "application/json"},
      {".txt", "text/plain; charset=utf-8"},
      {".woff2", "font/woff2"},
  };
  for (const auto& [suffix, type] : kTypes) {
    if (ends_with(path, suffix)) return std::string(type);
  }
  return "application/octet-stream";
}

std::optional<http::Response> serve_ui(const http::Request& request, const std::string& directory) {
  if (owned_by_others(request.path)) return std::nullopt;
  if (request.method != "GET" && request.method != "HEAD") {
    http::Response response = plain(405, "method not allowed\n");
    response.headers.emplace_back("Allow", "GET, HEAD");
    return response;
  }
  std::optional<std::string> relative = relative_path(request.path);
  if (!relative || !ui_file(*relative)) return plain(404, "not found\n");

  // The file's bytes and identity-encoding ETag, from the binary or the directory.
  std::string_view data;
  std::string etag;
  std::string owned;  // the directory's copy
  const std::optional<std::string>* compressed = nullptr;
  std::optional<std::string> compressed_owned;
  if (directory.empty()) {
    const ui::EmbeddedFile* found = nullptr;
    for (const ui::EmbeddedFile& file : ui::embedded_files()) {
      if (file.path == *relative) found = &file;
    }
    if (found == nullptr) return plain(404, "not found\n");
    data = found->data;
    etag = std::string(found->etag);
    if (data.size() >= kMinGzipBytes && http::compressible(ui_content_type(*relative))) compressed = &embedded_gzip(*found);
  } else {
    std::optional<std::string> content = read_from_directory(directory, *relative);
    if (!content) return plain(404, "not found\n");
    owned = std::move(*content);
    data = owned;
    etag = fnv1a_hex(data);
    if (data.size() >= kMinGzipBytes && http::compressible(ui_content_type(*relative)) && http::accepts_gzip(request)) {
      compressed_owned = http::gzip(data, 9);
      compressed = &compressed_owned;
    }
  }

  bool use_gzip = compressed != nullptr && compressed->has_value() && http::accepts_gzip(request);
  // The gzip representation is a different entity, so it gets its own validator.
  std::string quoted = "\"" + etag + (use_gzip ? "-gz\"" : "\"");

  http::Response response;
  response.content_type = ui_content_type(*relative);
  response.headers.emplace_back("ETag", quoted);
  response.headers.emplace_back("Cache-Control", "no-cache");
  response.headers.emplace_back("Vary", "Accept-Encoding");
  add_security_headers(response);
  if (etag_matches(request, quoted)) {
    response.status = 304;
    response.content_type.clear();
    return response;
  }
  if (use_gzip) {
    response.headers.emplace_back("Content-Encoding", "gzip");
    response.body = **compressed;
  } else {
    response.body = std::string(data);
  }
  return response;
}

}  // namespace ferry::apis
