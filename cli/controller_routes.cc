#include "cli/controller_routes.h"

namespace ferry::cli {

http::Handler controller_routes(controller::Controller& controller) {
  return [&controller](http::Request& request) {
    http::Response response;
    response.content_type = "text/plain; charset=utf-8";
    if (request.path == "/healthz") {
      response.body = "ok\n";
    } else if (request.path == "/readyz") {
      bool ready = controller.ready();
      response.status = ready ? 200 : 503;
      response.body = ready ? "ready\n" : "not ready: the Application watch has not synced\n";
    } else if (request.path == "/metrics") {
      response.content_type = "text/plain; version=0.0.4";
      response.body = controller.metrics_text();
    } else {
      response.status = 404;
      response.content_type = "application/json";
      response.body = R"({"error":"not found","code":404})";
    }
    return response;
  };
}

}  // namespace ferry::cli
