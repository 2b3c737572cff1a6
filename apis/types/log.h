// One log line per event, as text for people or JSON for log pipelines (`--log-format`), on
// stdout. Every line carries a level, a message and named fields; a line about an app names the
// app, its revision and the operation id as fields, so logs can be filtered by app.
//
//   log::info("sync finished", {{"app", "ferry/web"}, {"revision", sha}, {"operation", "12"}});
//   text: 2026-11-23T10:00:00Z info sync finished app=ferry/web revision=3f2a... operation=12
//   json: {"time":"2026-11-23T10:00:00Z","level":"info","msg":"sync finished","app":"ferry/web",...}
//
// Secrets never belong in a field; callers redact URLs with credentials. Thread-safe: lines are
// written whole, one at a time.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ferry::log {

enum class Level { kDebug, kInfo, kWarn, kError };
enum class Format { kText, kJson };
using Fields = std::vector<std::pair<std::string, std::string>>;

// Process-wide; call before the first line (default: text, info).
void configure(Format format, Level level);
// Parses "json"/"text" and "debug"/"info"/"warn"/"error"; false for anything else.
bool parse_format(std::string_view text, Format& format);
bool parse_level(std::string_view text, Level& level);

void write(Level level, std::string_view message, const Fields& fields = {});
inline void debug(std::string_view m, const Fields& f = {}) { write(Level::kDebug, m, f); }
inline void info(std::string_view m, const Fields& f = {}) { write(Level::kInfo, m, f); }
inline void warn(std::string_view m, const Fields& f = {}) { write(Level::kWarn, m, f); }
inline void error(std::string_view m, const Fields& f = {}) { write(Level::kError, m, f); }

}  // namespace ferry::log
