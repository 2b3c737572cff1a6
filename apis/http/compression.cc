#include "apis/http/compression.h"

#include <zlib.h>

#include <cstdlib>

#include "apis/http/text.h"

namespace ferry::http {
bool accepts_gzip(const Request& request) {
  const std::string* header = request.header("accept-encoding");
  if (header == nullptr) return false;
  std::string_view rest = *header;
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    size_t semi = item.find(';');
    std::string coding = lower(trim(item.substr(0, semi)));
    if (coding != "gzip" && coding != "x-gzip" && coding != "*") continue;
    if (semi == std::string_view::npos) return true;
    std::string params = lower(trim(item.substr(semi + 1)));
    size_t q = params.find("q=");
    if (q == std::string::npos) return true;
    return std::strtod(params.c_str() + q + 2, nullptr) > 0;
  }
  return false;
}

bool compressible(std::string_view content_type) {
  return content_type.substr(0, 5) == "text/" || content_type.substr(0, 9) == "image/svg" ||
         content_type.substr(0, 16) == "application/json";
}

std::optional<std::string> gzip(std::string_view data, int level) {
  z_stream stream{};
  // 15 window bits + 16: a gzip header and trailer instead of zlib's.
  if (deflateInit2(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return std::nullopt;
  std::string out(deflateBound(&stream, data.size()), '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  int result = deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  if (result != Z_STREAM_END) return std::nullopt;
  return out;
}

struct GzipStream::State {
  z_stream stream{};
};

GzipStream::GzipStream(int level) : state_(std::make_unique<State>()) {
  ok_ = deflateInit2(&state_->stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK;
}

GzipStream::~GzipStream() {
  if (ok_) deflateEnd(&state_->stream);
}

std::string GzipStream::write(std::string_view data, bool finish) {
  std::string out;
  if (!ok_) return out;
  z_stream& stream = state_->stream;
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  char buffer[16384];
  int result = Z_OK;
  do {
    stream.next_out = reinterpret_cast<Bytef*>(buffer);
    stream.avail_out = sizeof buffer;
    result = deflate(&stream, finish ? Z_FINISH : Z_SYNC_FLUSH);
    out.append(buffer, sizeof buffer - stream.avail_out);
  } while (stream.avail_out == 0 && result == Z_OK);
  if (finish || (result != Z_OK && result != Z_BUF_ERROR)) {
    deflateEnd(&stream);
    ok_ = false;
  }
  return out;
}

}  // namespace ferry::http
