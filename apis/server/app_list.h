// The Applications as list answers and event streams show them, kept as answer text per app
// (controller::AppViews) so listing 1,000 apps copies bytes instead of parsing and dumping
// 1,000 documents per request.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace ferry::apis {

using Json = nlohmann::json;

// An app as list answers and stream events carry it: URL passwords masked (as in every answer),
// and without metadata.managedFields and kubectl's last-applied annotation, which only weigh
// down a list (GET of one app still has them).
Json listed_application(Json app);

struct ListedApp {
  std::string name;
  std::string project;  // "default" when the spec names none
  Json labels = Json::object();
  std::string text;  // listed_application(app), dumped
  static std::optional<ListedApp> of(Json app);
};

}  // namespace ferry::apis
