// gzip for HTTP answers: whether a client accepts it, and the compression itself (zlib).
#pragma once

#include <memory>
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

// One gzip stream written piece by piece (an event stream): each piece is flushed so the client
// can decode it at once. Not thread-safe: one writer at a time.
class GzipStream {
 public:
  explicit GzipStream(int level);
  ~GzipStream();
  GzipStream(const GzipStream&) = delete;
  GzipStream& operator=(const GzipStream&) = delete;

  bool ok() const { return ok_; }
  // The compressed bytes for `data` (flushed); with `finish`, the stream's end too.
  std::string write(std::string_view data, bool finish = false);

 private:
  struct State;
  std::unique_ptr<State> state_;
  bool ok_ = false;
};

}  // namespace ferry::http
