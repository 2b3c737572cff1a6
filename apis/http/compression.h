// gzip for HTTP answers: whether a client accepts it, and the compression itself (zlib).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "apis/http/server.h"

namespace ferry::http {

// Whether the request's Accept-Encoding lists gzip (or *) with a q-value above zero.
bool accepts_gzip(const Request& request);
// Whether answers of this Content-Type shrink with gzip (text, JSON, SVG).
bool compressible(std::string_view content_type);
// `data` in the gzip format; level 1 (fast) to 9 (small). nullopt if zlib fails.
std::optional<std::string> gzip(std::string_view data, int level);

}  // namespace ferry::http
