// The HTTP routes `ferry controller` and `ferry demo` serve on their one port today: /healthz,
// /readyz and /metrics. The REST API, webhooks and UI join here as they land.
#pragma once

#include "apis/http/server.h"
#include "controller/controller.h"

namespace ferry::cli {

// The handler borrows `controller`, which must outlive the server using it.
http::Handler controller_routes(controller::Controller& controller);

}  // namespace ferry::cli
