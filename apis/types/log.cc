#include "apis/types/log.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <nlohmann/json.hpp>

namespace ferry::log {
namespace {

std::atomic<Format> g_format{Format::kText};
std::atomic<Level> g_level{Level::kInfo};
std::mutex g_write;

const char* level_name(Level level) {
  switch (level) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarn:
      return "warn";
    default:
      return "error";
  }
}

std::string now_utc() {
  auto now = std::chrono::system_clock::now();
  std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[40];
  size_t n = std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &utc);
  std::snprintf(buffer + n, sizeof buffer - n, ".%03dZ", static_cast<int>(ms));
  return buffer;
}

// A text field value is quoted when it has spaces, quotes or '=' so lines stay splittable.
std::string text_value(const std::string& value) {
  if (!value.empty() && value.find_first_of(" \"=\n\t") == std::string::npos) return value;
  return nlohmann::json(value).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

void configure(Format format, Level level) {
  g_format = format;
  g_level = level;
}

bool parse_format(std::string_view text, Format& format) {
  if (text == "json") format = Format::kJson;
  else if (text == "text") format = Format::kText;
  else return false;
  return true;
}

bool parse_level(std::string_view text, Level& level) {
  if (text == "debug") level = Level::kDebug;
  else if (text == "info") level = Level::kInfo;
  else if (text == "warn" || text == "warning") level = Level::kWarn;
  else if (text == "error") level = Level::kError;
  else return false;
  return true;
}

void write(Level level, std::string_view message, const Fields& fields) {
  if (level < g_level.load()) return;
  std::string line;
  if (g_format.load() == Format::kJson) {
    nlohmann::ordered_json out;
    out["time"] = now_utc();
    out["level"] = level_name(level);
    out["msg"] = std::string(message);
    for (const auto& [key, value] : fields) out[key] = value;
    line = out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  } else {
    line = now_utc() + " " + level_name(level) + " " + std::string(message);
    for (const auto& [key, value] : fields) line += " " + key + "=" + text_value(value);
  }
  line += '\n';
  std::lock_guard<std::mutex> lock(g_write);
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fflush(stdout);
}

}  // namespace ferry::log
