#include "reconciler/source/repo_url.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>

namespace ferry::reconciler {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string strip_path(std::string path, bool strip_git_suffix) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  if (strip_git_suffix && path.size() > 4 && path.compare(path.size() - 4, 4, ".git") == 0) {
    path.resize(path.size() - 4);
  }
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

const char* default_port(const std::string& scheme) {
  if (scheme == "https") return "443";
  if (scheme == "http") return "80";
  if (scheme == "ssh") return "22";
  if (scheme == "git") return "9418";
  return "";
}

uint64_t fnv1a(std::string_view s) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

}  // namespace

Result<RepoUrl> parse_repo_url(std::string_view raw) {
  std::string url(raw);
  while (!url.empty() && std::isspace(static_cast<unsigned char>(url.back()))) url.pop_back();
  while (!url.empty() && std::isspace(static_cast<unsigned char>(url.front()))) url.erase(0, 1);
  if (url.empty()) return Status::Invalid("repository URL is empty");
  RepoUrl out;

  if (url.front() == '/') url = "file://" + url;
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) {
    // scp-like: [user@]host:path
    size_t colon = url.find(':');
    size_t slash = url.find('/');
    if (colon == std::string::npos || (slash != std::string::npos && slash < colon)) {
      return Status::Invalid("repository URL \"" + url + "\" has no scheme");
    }
    std::string userhost = url.substr(0, colon);
    std::string path = url.substr(colon + 1);
    size_t at = userhost.rfind('@');
    out.scheme = "ssh";
    if (at != std::string::npos) {
      out.user = userhost.substr(0, at);
      userhost = userhost.substr(at + 1);
    }
    out.host = lower(userhost);
    if (out.host.empty()) return Status::Invalid("repository URL \"" + url + "\" has no host");
    if (!path.empty() && path.front() != '/') path = "/" + path;
    out.fetch_url = "ssh://" + (out.user.empty() ? "" : out.user + "@") + userhost + path;
    out.key = "ssh://" + out.host + lower(strip_path(path, true));
    return out;
  }

  out.scheme = lower(url.substr(0, scheme_end));
  std::string rest = url.substr(scheme_end + 3);
  if (out.scheme == "file") {
    if (rest.empty() || rest.front() != '/') {
      return Status::Invalid("file repository URL \"" + url + "\" must name an absolute path");
    }
    out.fetch_url = "file://" + rest;
    out.key = "file://" + strip_path(rest, true);
    return out;
  }
  if (out.scheme != "https" && out.scheme != "http" && out.scheme != "ssh" && out.scheme != "git") {
    return Status::Invalid("repository URL scheme \"" + out.scheme + "\" is not supported");
  }
  size_t path_start = rest.find('/');
  std::string authority = rest.substr(0, path_start);
  std::string path = path_start == std::string::npos ? "/" : rest.substr(path_start);
  size_t q = path.find_first_of("?#");
  if (q != std::string::npos) path.resize(q);
  std::string userinfo;
  size_t at = authority.rfind('@');
  if (at != std::string::npos) {
    userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
  }
  size_t colon = userinfo.find(':');
  out.user = userinfo.substr(0, colon);  // a password in the URL is dropped here
  std::string host = authority, port;
  if (!host.empty() && host.front() == '[') {
    size_t close = host.find(']');
    if (close == std::string::npos) return Status::Invalid("repository URL \"" + url + "\" is malformed");
    if (close + 1 < host.size() && host[close + 1] == ':') port = host.substr(close + 2);
    host = host.substr(0, close + 1);
  } else if (size_t c = host.rfind(':'); c != std::string::npos) {
    port = host.substr(c + 1);
    host = host.substr(0, c);
  }
  if (host.empty()) return Status::Invalid("repository URL \"" + url + "\" has no host");
  out.host = lower(host);
  std::string hostport = out.host;
  if (!port.empty() && port != default_port(out.scheme)) hostport += ":" + port;
  std::string fetch_authority = host + (port.empty() ? "" : ":" + port);
  // For ssh the user selects the account on the server and must be kept; for http(s) the
  // credentials come from the credential callback, never from the URL.
  std::string fetch_user = (out.scheme == "ssh" && !out.user.empty()) ? out.user + "@" : "";
  out.fetch_url = out.scheme + "://" + fetch_user + fetch_authority + path;
  out.key = out.scheme + "://" + hostport + lower(strip_path(path, true));
  return out;
}

std::string mirror_dir_name(const RepoUrl& url) {
  std::string readable;
  std::string_view tail = url.key;
  size_t scheme_end = tail.find("://");
  if (scheme_end != std::string_view::npos) tail.remove_prefix(scheme_end + 3);
  for (char c : tail) {
    bool safe = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
    readable += safe ? c : '_';
  }
  if (readable.size() > 48) readable = readable.substr(readable.size() - 48);
  char hash[17];
  std::snprintf(hash, sizeof hash, "%016llx", static_cast<unsigned long long>(fnv1a(url.key)));
  return readable + "-" + hash;
}

}  // namespace ferry::reconciler
