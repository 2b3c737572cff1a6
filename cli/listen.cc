#include "cli/listen.h"

#include <charconv>

namespace ferry::cli {

bool split_listen(const std::string& listen, std::string& host, int& port) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  const char* begin = listen.data() + colon + 1;
  const char* end = listen.data() + listen.size();
  int parsed = -1;
  auto [ptr, ec] = std::from_chars(begin, end, parsed);
  if (ec != std::errc() || ptr != end || parsed < 0 || parsed > 65535) return false;
  host = listen.substr(0, colon);
  port = parsed;
  return true;
}

}  // namespace ferry::cli
