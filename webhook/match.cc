#include "webhook/match.h"

#include <algorithm>
#include <cctype>

#include "reconciler/source/repo_url.h"

namespace ferry::webhook {
namespace {

constexpr std::string_view kHeads = "refs/heads/";
constexpr std::string_view kTags = "refs/tags/";

// "./apps//web/" -> "apps/web"; "" for the root; nullopt when ".." climbs above the root.
std::optional<std::string> clean_path(std::string_view path) {
  std::vector<std::string_view> parts;
  while (!path.empty()) {
    size_t slash = path.find('/');
    std::string_view part = path.substr(0, slash);
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (parts.empty()) return std::nullopt;
      parts.pop_back();
      continue;
    }
    parts.push_back(part);
  }
  std::string out;
  for (std::string_view part : parts) {
    if (!out.empty()) out += '/';
    out += part;
  }
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Full SHA-1 or SHA-256 commit ids. Short ones are left alone: "cafe123" may be a branch.
bool is_commit_sha(std::string_view revision) {
  return (revision.size() == 40 || revision.size() == 64) &&
         std::all_of(revision.begin(), revision.end(), [](unsigned char c) { return std::isxdigit(c) != 0; });
}

bool lies_under(std::string_view file, std::string_view dir) {
  if (dir.empty()) return true;
  return file.starts_with(dir) && (file.size() == dir.size() || file[dir.size()] == '/');
}

}  // namespace

std::vector<std::string> watch_paths(std::string_view source_path, std::string_view manifest_generate_paths) {
  std::string base = clean_path(source_path).value_or("");
  std::vector<std::string> out{base};
  while (!manifest_generate_paths.empty()) {
    size_t semi = manifest_generate_paths.find(';');
    std::string_view entry = trim(manifest_generate_paths.substr(0, semi));
    manifest_generate_paths =
        semi == std::string_view::npos ? std::string_view() : manifest_generate_paths.substr(semi + 1);
    if (entry.empty()) continue;
    std::optional<std::string> resolved =
        entry.front() == '/' ? clean_path(entry) : clean_path(base + "/" + std::string(entry));
    std::string path = resolved.value_or("");
    if (std::find(out.begin(), out.end(), path) == out.end()) out.push_back(std::move(path));
  }
  return out;
}

std::optional<std::string> repo_identity(std::string_view url) {
  auto parsed = reconciler::parse_repo_url(url);
  if (!parsed.ok()) return std::nullopt;
  const std::string& key = parsed->key;
  if (parsed->scheme == "file") return key;
  size_t scheme_end = key.find("://");
  std::string_view rest = scheme_end == std::string::npos ? std::string_view(key)
                                                          : std::string_view(key).substr(scheme_end + 3);
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  std::string_view host = authority;
  if (authority.starts_with('[')) {  // [v6 address]:port
    host = authority.substr(0, authority.find(']') + 1);
  } else if (size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
  }
  return std::string(host) + std::string(path);
}

bool same_repository(std::string_view a, std::string_view b) {
  std::optional<std::string> ia = repo_identity(a);
  return ia.has_value() && ia == repo_identity(b);
}

bool repository_matches(const PushEvent& event, std::string_view app_repo_url) {
  std::optional<std::string> app = repo_identity(app_repo_url);
  if (!app) return false;
  return std::any_of(event.repo_urls.begin(), event.repo_urls.end(),
                     [&](const std::string& url) { return repo_identity(url) == app; });
}

bool revision_matches(const PushEvent& event, std::string_view target_revision) {
  std::string_view revision = trim(target_revision);
  if (revision.empty() || revision == "HEAD") {
    if (!event.ref.starts_with(kHeads)) return false;
    std::string_view default_branch = event.default_branch;
    if (default_branch.starts_with(kHeads)) default_branch.remove_prefix(kHeads.size());
    // Without the default branch named, any branch may be it; the controller resolves HEAD.
    return default_branch.empty() || std::string_view(event.ref).substr(kHeads.size()) == default_branch;
  }
  if (is_commit_sha(revision)) return false;
  if (revision.starts_with("refs/")) return event.ref == revision;
  std::string_view ref = event.ref;
  if (ref.starts_with(kHeads)) return ref.substr(kHeads.size()) == revision;
  if (ref.starts_with(kTags)) return ref.substr(kTags.size()) == revision;
  return false;
}

bool paths_match(const PushEvent& event, const std::vector<std::string>& paths) {
  if (!event.files_known || paths.empty()) return true;
  std::vector<std::string> dirs;
  for (const std::string& path : paths) {
    std::string dir = clean_path(path).value_or("");
    if (dir.empty()) return true;
    dirs.push_back(std::move(dir));
  }
  for (const std::string& file : event.changed_files) {
    std::string cleaned = clean_path(file).value_or(file);
    for (const std::string& dir : dirs) {
      if (lies_under(cleaned, dir)) return true;
    }
  }
  return false;
}

bool push_matches(const PushEvent& event, const AppSource& app) {
  return repository_matches(event, app.repo_url) && revision_matches(event, app.target_revision) &&
         paths_match(event, app.paths);
}

}  // namespace ferry::webhook
