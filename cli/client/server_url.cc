#include "cli/client/server_url.h"

#include <cctype>

namespace ferry::cli {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool valid_host_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
}

}  // namespace

std::string ServerUrl::url(std::string_view fallback_scheme) const {
  std::string s = scheme.empty() ? std::string(fallback_scheme) : scheme;
  return s + "://" + host + ":" + std::to_string(port) + base_path;
}

std::string ServerUrl::key() const { return host + ":" + std::to_string(port) + base_path; }

Result<ServerUrl> parse_server_url(std::string_view text, bool plaintext) {
  auto invalid = [&](const std::string& why) {
    return Status::Invalid("server \"" + std::string(text) + "\": " + why);
  };
  std::string_view rest = text;
  while (!rest.empty() && std::isspace(static_cast<unsigned char>(rest.front()))) rest.remove_prefix(1);
  while (!rest.empty() && std::isspace(static_cast<unsigned char>(rest.back()))) rest.remove_suffix(1);
  if (rest.empty()) return invalid("empty");

  ServerUrl out;
  if (size_t sep = rest.find("://"); sep != std::string_view::npos) {
    out.scheme = lower(rest.substr(0, sep));
    if (out.scheme != "http" && out.scheme != "https") return invalid("the scheme must be http or https");
    rest.remove_prefix(sep + 3);
  }
  if (plaintext) {
    if (out.scheme == "https") return invalid("--plaintext conflicts with https://");
    out.scheme = "http";
  }

  size_t path_start = rest.find('/');
  std::string_view authority = rest.substr(0, path_start);
  std::string_view path = path_start == std::string_view::npos ? std::string_view() : rest.substr(path_start);
  if (authority.find('@') != std::string_view::npos) return invalid("user info is not allowed; use ferry login");
  if (path.find_first_of("?#") != std::string_view::npos) return invalid("queries and fragments are not allowed");
  for (char c : path) {
    if (std::isspace(static_cast<unsigned char>(c))) return invalid("spaces are not allowed");
  }
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  out.base_path = std::string(path);

  std::string_view host = authority, port;
  if (!authority.empty() && authority.front() == '[') {  // [::1]:8080
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return invalid("unclosed [ in an IPv6 address");
    host = authority.substr(0, close + 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return invalid("unexpected text after the IPv6 address");
      port = after.substr(1);
      if (port.empty()) return invalid("empty port");
    }
    for (char c : host.substr(1, host.size() - 2)) {
      if (!std::isxdigit(static_cast<unsigned char>(c)) && c != ':' && c != '.') return invalid("bad IPv6 address");
    }
  } else {
    size_t colon = authority.rfind(':');
    if (colon != std::string_view::npos) {
      host = authority.substr(0, colon);
      port = authority.substr(colon + 1);
      if (port.empty()) return invalid("empty port");
    }
    for (char c : host) {
      if (!valid_host_char(c)) return invalid("bad character in the host name");
    }
  }
  if (host.empty() || host == "[]") return invalid("no host");
  out.host = lower(host);

  if (port.empty()) {
    out.port = out.scheme == "http" ? 80 : 443;
  } else {
    if (port.size() > 5) return invalid("bad port");
    int value = 0;
    for (char c : port) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return invalid("bad port");
      value = value * 10 + (c - '0');
    }
    if (value < 1 || value > 65535) return invalid("port out of range");
    out.port = value;
  }
  return out;
}

}  // namespace ferry::cli
