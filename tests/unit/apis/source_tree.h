// Files of the source tree for the apis/types unit tests (CRD manifests, docs), found from this
// header's own path so the test binary needs no configuration; $FERRY_SOURCE_DIR overrides it.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace ferry::testing_apis {

inline std::filesystem::path source_root() {
  if (const char* dir = std::getenv("FERRY_SOURCE_DIR"); dir != nullptr && *dir != '\0') return dir;
  // tests/unit/apis/source_tree.h -> the root three levels up.
  return std::filesystem::path(__FILE__).parent_path().parent_path().parent_path().parent_path();
}

// The file's bytes, or "" when it cannot be read (the caller's assertion then names the path).
inline std::string read_source_file(const std::string& relative) {
  std::ifstream in(source_root() / relative, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace ferry::testing_apis
