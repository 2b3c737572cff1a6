// A small HTTP/1.1 server (plain or TLS) for Ferry's own endpoints: the simulator, the REST API,
// the webhook and the UI. Keep-alive, request bodies by Content-Length or chunked, streaming
// responses with chunked encoding (watches, server-sent events), optional client certificates.
//
// Threads: the handler runs on one of the server's I/O threads and must not block for long;
// a ChunkWriter may be used from any thread. Server::stop() may be called from any thread
// except a handler's; after it returns no handler runs.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ferry::http {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method;
  std::string target;  // as sent: path and query
  std::string path;    // percent-decoded path
  std::string query;   // raw query string without '?'
  Headers headers;     // names lower-cased
  std::string body;
  std::string remote_address;
  bool tls = false;
  std::string client_cert_common_name;  // set when a client certificate was verified

  // The first header with this (lower-case) name, or nullptr.
  const std::string* header(std::string_view name) const;
  // The first query parameter with this name, percent-decoded; `fallback` when absent.
  std::string query_param(std::string_view name, std::string_view fallback = "") const;
  bool has_query_param(std::string_view name) const;
};

// Writes the chunks of a streaming response. Thread-safe; owned jointly by the caller and the
// connection, so it stays valid after the client leaves (writes then return false).
class ChunkWriter {
 public:
  virtual ~ChunkWriter() = default;
  // Queues one chunk; false once the stream is closed or the client went away.
  virtual bool write(std::string data) = 0;
  // Ends the stream (the terminating chunk is sent, then the connection closes).
  virtual void close() = 0;
  virtual bool closed() const = 0;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  Headers headers;
  std::string body;
  // Sent only after this delay (the simulator's latency injection); the I/O thread is not held.
  std::chrono::milliseconds delay{0};
  // When set, the body is streamed: headers are sent, then this is called once with a writer.
  std::function<void(std::shared_ptr<ChunkWriter>)> start_stream;
  // When set, the answer comes later, from another thread: this is called once with `reply`,
  // which sends the real Response (its first call wins; it may be called from any thread). For
  // handlers that wait (a sync with ?wait=true) without holding an I/O thread. A `reply` that is
  // never called leaves the client waiting until it gives up.
  std::function<void(std::function<void(Response)> reply)> deferred;
};

using Handler = std::function<Response(Request&)>;

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0 picks a free port; see Server::port()
  int threads = 2;
  size_t max_header_bytes = 64 * 1024;
  size_t max_body_bytes = 3 * 1024 * 1024;
  // > 0: answers of at least this many bytes with a text or JSON type, and no Content-Encoding
  // of their own, are gzipped (fast level) for clients that accept it; so are such streams
  // (flushed after every write), whatever their size.
  size_t gzip_min_bytes = 0;
  // TLS when both are set (PEM text).
  std::string tls_cert_pem;
  std::string tls_key_pem;
  // When set, client certificates signed by this CA are verified and their CN passed on.
  std::string client_ca_pem;
  // Builds the answer for requests the server rejects itself (413 too large, 400 malformed).
  std::function<Response(int status, const std::string& reason)> error_response;
};

class Server {
 public:
  Server(ServerOptions options, Handler handler);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts the I/O threads. Returns an error message, empty on success.
  std::string start();
  void stop();
  int port() const;

  struct Impl;  // public only so the connection code in server.cc can name it

 private:
  std::unique_ptr<Impl> impl_;
};

// The non-empty segments of a path: "/api/v1/x/" → {"api", "v1", "x"}.
std::vector<std::string> split_path(std::string_view path);

// Percent-decodes a URL component ('+' stays '+' in paths; use for query values too).
std::string percent_decode(std::string_view text, bool plus_is_space = false);

}  // namespace ferry::http
