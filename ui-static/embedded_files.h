// The UI's files as compiled into the binary by ui-static/CMakeLists.txt (see embed.cmake).
// Immutable data with static storage duration: any thread may read it at any time.
#pragma once

#include <span>
#include <string_view>

namespace ferry::ui {

struct EmbeddedFile {
  std::string_view path;  // relative to ui-static/, '/'-separated: "index.html", "js/app.js"
  std::string_view data;  // the file's bytes
  std::string_view etag;  // a strong validator without quotes (a SHA-256 prefix of data)
};

// Every embedded file, sorted by path.
std::span<const EmbeddedFile> embedded_files();

}  // namespace ferry::ui
