#include "reconciler/source/credentials.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <fstream>
#include <regex>
#include <sstream>
#include <vector>

#include "apis/types/base64.h"

namespace ferry::reconciler {
namespace {

// known_hosts fields are padded standard base64; empty when malformed (never matches).
std::string decoded(std::string_view text) {
  std::string out;
  return base64_decode(text, out) ? out : std::string();
}

std::vector<std::string> split_ws(const std::string& line) {
  std::vector<std::string> out;
  std::istringstream in(line);
  std::string field;
  while (in >> field) out.push_back(field);
  return out;
}

std::string host_pattern(std::string_view host, int port) {
  if (port == 22 || port <= 0) return std::string(host);
  return "[" + std::string(host) + "]:" + std::to_string(port);
}

// OpenSSH glob for known_hosts host lists: '*' and '?'.
bool glob_match(std::string_view pattern, std::string_view text) {
  size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
      ++p, ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++, mark = t;
    } else if (star != std::string_view::npos) {
      p = star + 1, t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool hashed_match(const std::string& entry, const std::string& name) {
  // |1|base64(salt)|base64(hmac-sha1(salt, name))
  if (entry.rfind("|1|", 0) != 0) return false;
  size_t bar = entry.find('|', 3);
  if (bar == std::string::npos) return false;
  std::string salt = decoded(entry.substr(3, bar - 3));
  std::string want = decoded(entry.substr(bar + 1));
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  if (!HMAC(EVP_sha1(), salt.data(), static_cast<int>(salt.size()),
            reinterpret_cast<const unsigned char*>(name.data()), name.size(), mac, &mac_len)) {
    return false;
  }
  return want.size() == mac_len && want == std::string(reinterpret_cast<char*>(mac), mac_len);
}

bool host_list_matches(const std::string& list, const std::string& name) {
  if (list.rfind("|1|", 0) == 0) return hashed_match(list, name);
  bool matched = false;
  std::istringstream in(list);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (item.empty()) continue;
    if (item[0] == '!') {
      if (glob_match(item.substr(1), name)) return false;
    } else if (glob_match(item, name)) {
      matched = true;
    }
  }
  return matched;
}

}  // namespace

std::vector<std::string> Credentials::secrets() const {
  std::vector<std::string> out;
  for (const std::string* s : {&password, &ssh_passphrase, &ssh_private_key}) {
    if (!s->empty()) out.push_back(*s);
  }
  return out;
}

Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot read file " + path);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return Status::Internal("error reading file " + path);
  return buffer.str();
}

Result<std::string> read_secret(std::string_view value) {
  if (value.rfind("file:", 0) != 0) return std::string(value);
  auto content = read_file(std::string(value.substr(5)));
  if (!content.ok()) return content.status();
  std::string text = std::move(*content);
  if (!text.empty() && text.back() == '\n') text.pop_back();
  if (!text.empty() && text.back() == '\r') text.pop_back();
  return text;
}

std::string redact(std::string text, const std::vector<std::string>& secrets) {
  for (const auto& secret : secrets) {
    if (secret.size() < 3) continue;  // too short to scrub without mangling ordinary text
    size_t pos = 0;
    while ((pos = text.find(secret, pos)) != std::string::npos) {
      text.replace(pos, secret.size(), "******");
      pos += 6;
    }
  }
  static const std::regex kUrlPassword(R"(([a-zA-Z][a-zA-Z0-9+.-]*://[^/@:\s]*):[^/@\s]*@)");
  return std::regex_replace(text, kUrlPassword, "$1:******@");
}

Status check_known_host(std::string_view known_hosts_text, std::string_view host, int port,
                        std::string_view key_type, std::string_view key_blob) {
  const std::string name = host_pattern(host, port);
  bool host_seen = false;
  std::istringstream in{std::string(known_hosts_text)};
  std::string line;
  while (std::getline(in, line)) {
    auto fields = split_ws(line);
    if (fields.empty() || fields[0][0] == '#') continue;
    std::string marker;
    if (fields[0][0] == '@') {
      marker = fields[0];
      fields.erase(fields.begin());
    }
    if (fields.size() < 3) continue;
    if (marker == "@cert-authority") continue;  // certificates are not supported
    if (!host_list_matches(fields[0], name)) continue;
    bool same_key = fields[1] == key_type && decoded(fields[2]) == key_blob;
    if (marker == "@revoked") {
      if (same_key) return {Reason::kUnauthorized, "host key for " + name + " is revoked in known_hosts"};
      continue;
    }
    if (same_key) return Status::Ok();
    host_seen = true;
  }
  if (host_seen) {
    return {Reason::kUnauthorized,
            "host key for " + name + " does not match known_hosts (possible man-in-the-middle)"};
  }
  return {Reason::kUnauthorized, "host key for " + name + " is unknown (not in known_hosts)"};
}


}  // namespace ferry::reconciler
