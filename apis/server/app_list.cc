#include "apis/server/app_list.h"

#include "apis/server/responses.h"
#include "apis/types/application.h"

namespace ferry::apis {

Json listed_application(Json app) {
  if (app.contains("metadata") && app["metadata"].is_object()) {
    Json& meta = app["metadata"];
    meta.erase("managedFields");
    if (meta.contains("annotations") && meta["annotations"].is_object()) {
      meta["annotations"].erase("kubectl.kubernetes.io/last-applied-configuration");
      if (meta["annotations"].empty()) meta.erase("annotations");
    }
  }
  return without_url_credentials(std::move(app));
}

std::optional<ListedApp> ListedApp::of(Json app) {
  if (!app.contains("metadata") || !app["metadata"].is_object()) return std::nullopt;
  ListedApp out;
  out.name = app["metadata"].value("name", "");
  out.project = apis::project_of(app);
  if (app["metadata"].contains("labels") && app["metadata"]["labels"].is_object()) out.labels = app["metadata"]["labels"];
  out.text = listed_application(std::move(app)).dump(-1, ' ', false, Json::error_handler_t::replace);
  return out;
}

}  // namespace ferry::apis
