// apiVersion strings: "apps/v1" is group "apps" and version "v1"; the core group's "v1" has the
// group "". Pure; any thread.
#pragma once

#include <string>
#include <string_view>

namespace ferry::kube {

inline std::string group_of(std::string_view api_version) {
  auto slash = api_version.find('/');
  return slash == std::string_view::npos ? std::string() : std::string(api_version.substr(0, slash));
}

inline std::string version_of(std::string_view api_version) {
  auto slash = api_version.find('/');
  return std::string(slash == std::string_view::npos ? api_version : api_version.substr(slash + 1));
}

}  // namespace ferry::kube
