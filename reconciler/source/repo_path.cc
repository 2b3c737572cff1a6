#include "reconciler/source/repo_path.h"

#include <vector>

namespace ferry::reconciler {
namespace {

std::vector<std::string_view> split(std::string_view path) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view part = path.substr(start, end - start);
    if (!part.empty() && part != ".") parts.push_back(part);
    start = end + 1;
  }
  return parts;
}

std::string join(const std::vector<std::string_view>& parts) {
  std::string out;
  for (auto part : parts) {
    if (!out.empty()) out += '/';
    out += part;
  }
  return out;
}

}  // namespace

Status refusal(const char* name, const std::string& message, const std::string& path) {
  Status status(Reason::kForbidden, std::string(name) + ": " + message);
  status.add_cause({name, message, path});
  return status;
}

std::string refusal_name(const Status& status) {
  if (status.ok() || status.causes().empty()) return "";
  return status.causes().front().reason;
}

Result<std::string> clean_app_path(std::string_view path) {
  if (path.find('\0') != std::string_view::npos) {
    return refusal(kPathTraversal, "path contains a NUL byte", std::string(path));
  }
  if (!path.empty() && (path.front() == '/' || path.front() == '\\')) {
    return refusal(kPathTraversal, "path \"" + std::string(path) + "\" is absolute", std::string(path));
  }
  auto parts = split(path);
  for (auto part : parts) {
    if (part == "..") {
      return refusal(kPathTraversal, "path \"" + std::string(path) + "\" contains \"..\"",
                     std::string(path));
    }
  }
  return join(parts);
}

Result<std::string> join_inside_repo(std::string_view base, std::string_view relative) {
  if (!relative.empty() && relative.front() == '/') {
    return refusal(kPathTraversal, "\"" + std::string(relative) + "\" is absolute",
                   std::string(relative));
  }
  if (relative.find('\0') != std::string_view::npos) {
    return refusal(kPathTraversal, "path contains a NUL byte", std::string(relative));
  }
  std::vector<std::string_view> parts = split(base);
  for (auto part : split(relative)) {
    if (part == "..") {
      if (parts.empty()) {
        return refusal(kPathTraversal,
                       "\"" + std::string(relative) + "\" from \"" + std::string(base) +
                           "\" leaves the repository",
                       std::string(relative));
      }
      parts.pop_back();
    } else {
      parts.push_back(part);
    }
  }
  return join(parts);
}

bool path_is_under(std::string_view path, std::string_view dir) {
  if (dir.empty()) return true;
  if (path.size() < dir.size() || path.substr(0, dir.size()) != dir) return false;
  return path.size() == dir.size() || path[dir.size()] == '/';
}

}  // namespace ferry::reconciler
