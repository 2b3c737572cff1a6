// The Boost.Beast engine (TransportOptions::engine = kBeast, the default): HTTP/1.1 over a pool
// of keep-alive connections, plain or TLS. There are no I/O threads: each connection has its own
// io_context, and the thread that borrowed the connection starts an operation and runs that
// io_context until the operation completes or its deadline passes (epoll_wait's own timeout: no
// timers to arm). So a request costs four system calls and no thread hand-offs.
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <limits>
#include <optional>
#include <vector>

#include "kube/client/http_transports.h"

namespace ferry::kube {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;
using RequestMessage = http::request<http::span_body<const char>>;

constexpr int kMaxOpenConnections = 32;  // send() waits for a free one beyond this
constexpr std::uint64_t kMaxResponseBytes = std::uint64_t{512} << 20;
constexpr std::uint32_t kMaxHeaderBytes = 1 << 20;
constexpr size_t kStreamChunkBytes = 64 * 1024;
// A pooled connection idle for longer is checked before reuse (servers close idle connections
// after seconds or minutes); a younger one is reused blind, the resend-once covering the race.
constexpr auto kCheckIdleAfter = std::chrono::seconds(1);

bool is_ip_address(const std::string& host) {
  error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

bool has_line_break(const std::string& s) { return s.find_first_of("\r\n") != std::string::npos; }

// One HTTP/1.1 connection with its own io_context. Used by one thread at a time (whoever took
// it from the pool); other threads only call interrupt().
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  explicit Connection(bool counted) : counted(counted) {}
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Creates the stream: TLS over TCP when `tls` is set, else plain TCP.
  void create_stream(std::shared_ptr<asio::ssl::context> tls, int generation) {
    generation_ = generation;
    tls_context_ = std::move(tls);
    if (tls_context_) {
      tls_.emplace(io_, *tls_context_);
    } else {
      plain_.emplace(io_);
    }
  }

  // Calls fn with the stream the HTTP messages go over (one type or the other).
  template <class Fn>
  auto with_stream(Fn&& fn) {
    return tls_ ? fn(*tls_) : fn(*plain_);
  }
  beast::tcp_stream& tcp() { return tls_ ? beast::get_lowest_layer(*tls_) : *plain_; }
  beast::ssl_stream<beast::tcp_stream>& tls() { return *tls_; }
  beast::flat_buffer& buffer() { return buffer_; }
  asio::io_context& io() { return io_; }
  int generation() const { return generation_; }
  // How many requests this connection carried before the current one.
  int uses() const { return uses_; }
  void count_use() {
    ++uses_;
    idle_since_ = Clock::now();
  }

  // Starts an asynchronous operation with `start(handler)` and runs the io_context on this
  // thread until that operation completed; returns its error. At `deadline` the socket is
  // closed and the error is beast::error::timeout.
  template <class Start>
  error_code complete(Start&& start, Clock::time_point deadline) {
    error_code result;
    bool done = false;
    start([&result, &done](error_code ec, auto&&...) {
      result = ec;
      done = true;
    });
    io_.restart();
    while (!done) {
      if (io_.run_one_until(deadline) > 0) continue;
      if (done) break;
      bool timed_out = Clock::now() >= deadline;
      tcp().close();  // ends the operation (with operation_aborted)
      io_.restart();
      while (!done && io_.run_one() > 0) {
      }
      return timed_out ? error_code(beast::error::timeout) : error_code(asio::error::operation_aborted);
    }
    return result;
  }

  // For a connection coming out of the pool: false when the server closed it (or, unasked, sent
  // something) while it was idle.
  bool still_open() {
    if (Clock::now() - idle_since_ < kCheckIdleAfter) return true;
    pollfd p{tcp().socket().native_handle(), POLLIN, 0};
    return ::poll(&p, 1, 0) == 0;
  }

  // From any thread: closes the socket on the thread running the io_context, which ends the
  // operation it is blocked in (a watch waiting for its next event).
  void interrupt() {
    asio::post(io_, [weak = weak_from_this()] {
      if (auto self = weak.lock()) self->tcp().close();
    });
  }

  bool counted;  // counts against kMaxOpenConnections; guarded by the pool's mutex

 private:
  asio::io_context io_{1};
  std::shared_ptr<asio::ssl::context> tls_context_;  // shared by the transport's connections
  std::optional<beast::tcp_stream> plain_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls_;
  beast::flat_buffer buffer_;  // bytes read past the current message
  int generation_ = 0;         // of the TLS context it was made with
  int uses_ = 0;
  Clock::time_point idle_since_;  // the end of its last request
};

// What one attempt on one connection came to.
struct Attempt {
  Result<Response> result = Status::Internal("not attempted");
  bool unanswered = false;  // failed before any response byte: may be resent on a fresh connection
  bool reusable = false;    // the connection can carry another request
};

template <class Body>
Response response_head(const http::response<Body>& message) {
  Response out;
  out.status = static_cast<int>(message.result_int());
  for (const auto& field : message) {
    std::string name(field.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto [it, inserted] = out.headers.emplace(std::move(name), std::string(field.value()));
    if (!inserted) it->second += ", " + std::string(field.value());
  }
  return out;
}

// Splits complete lines off the front of `pending` ("\r\n" or "\n") into on_line. False when
// on_line asked to stop or the call was cancelled.
bool deliver_lines(std::string& pending, const LineHandler& on_line, Cancellation* cancel) {
  size_t start = 0;
  bool go_on = true;
  for (size_t nl; go_on && (nl = pending.find('\n', start)) != std::string::npos; start = nl + 1) {
    size_t end = nl > start && pending[nl - 1] == '\r' ? nl - 1 : nl;
    go_on = !(cancel && cancel->cancelled()) && on_line(pending.substr(start, end - start));
  }
  pending.erase(0, start);
  return go_on;
}

class BeastTransport : public HttpTransportBase {
 public:
  BeastTransport(RestConfig config, TransportOptions options, ServerUrl url)
      : HttpTransportBase(std::move(config), std::move(options)), url_(std::move(url)) {}

 private:
  struct TlsContext {
    std::shared_ptr<asio::ssl::context> ctx;
    int generation = 0;
  };

  Result<Response> round_trip(const Request& request, const Auth& auth, const LineHandler* on_line,
                              Cancellation* cancel) override {
    if (has_line_break(request.method) || has_line_break(request.path) || request.path.find(' ') != std::string::npos ||
        has_line_break(auth.header)) {
      return Status::Invalid(request.method + " request: the method, path or credential holds a line break");
    }
    try {
      if (url_.tls) {
        auto tls = tls_context(auth);  // up front: a rotated client certificate retires pooled connections
        if (!tls.ok()) return tls.status();
      }
      return perform(request, auth, on_line, cancel);
    } catch (const std::exception& e) {  // allocation failures and the like: never out of the transport
      return Status::Internal(request.method + " " + request.path + " on " + config().server + ": " + e.what());
    }
  }

  RequestMessage message_for(const Request& request, const Auth& auth) const {
    RequestMessage message;
    message.version(11);
    message.method_string(request.method);
    message.target(url_.base_path + request.path);
    message.set(http::field::host, url_.host_header);
    message.set(http::field::user_agent, options().user_agent);
    message.set(http::field::accept, "application/json");
    if (!auth.header.empty()) message.set(http::field::authorization, auth.header);
    if (!request.content_type.empty() || !request.body.empty()) {
      message.set(http::field::content_type, request.content_type.empty() ? "application/json" : request.content_type);
      message.body() = {request.body.data(), request.body.size()};
      message.content_length(request.body.size());
    }
    return message;
  }

  // One request on a pooled connection, sent once more on a new connection when a reused one
  // gave no answer (the server closed it while idle). With `on_line`, a stream (a watch).
  Result<Response> perform(const Request& request, const Auth& auth, const LineHandler* on_line, Cancellation* cancel) {
    const std::string what = request.method + " " + request.path + " on";
    const auto deadline = Clock::now() + options().timeout;
    const RequestMessage message = message_for(request, auth);
    auto cancelled = [&] { return Status::Unavailable(request.method + " " + request.path + ": cancelled"); };
    for (int attempt = 0;; ++attempt) {
      if (cancel && cancel->cancelled()) return cancelled();
      // Watches hold their connection for minutes: outside the bound, so they cannot starve send().
      auto conn = checkout(auth, /*bounded=*/on_line == nullptr, /*fresh=*/attempt > 0, deadline, what);
      if (!conn.ok()) return conn.status();
      bool reused = (*conn)->uses() > 0;
      // The callback holds a weak reference: the connection may be gone by the time it runs.
      int cancel_id = cancel ? cancel->on_cancel([weak = std::weak_ptr<Connection>(*conn)] {
        if (auto c = weak.lock()) c->interrupt();
      })
                             : 0;
      Attempt result = on_line ? stream_on(**conn, message, *on_line, cancel, deadline, what)
                               : exchange_on(**conn, request, message, deadline, what);
      bool was_cancelled = false;
      if (cancel) {
        cancel->forget(cancel_id);
        // Once cancel() has begun, its callback may still post the interrupt: never pool the connection.
        was_cancelled = cancel->cancelled();
      }
      (*conn)->count_use();
      give_back(std::move(*conn), result.reusable && !was_cancelled);
      if (was_cancelled && !result.result.ok()) return cancelled();
      if (result.result.ok() || !result.unanswered || !reused || attempt > 0) return std::move(result.result);
    }
  }

  Attempt exchange_on(Connection& conn, const Request& request, const RequestMessage& message,
                      Clock::time_point deadline, const std::string& what) {
    error_code ec = write(conn, message, deadline);
    if (ec) return {io_error(what, ec), /*unanswered=*/true, false};
    http::response_parser<http::string_body> parser;
    parser.header_limit(kMaxHeaderBytes);
    parser.body_limit(kMaxResponseBytes);
    if (request.method == "HEAD") parser.skip(true);
    ec = read(conn, parser, Until::kMessage, deadline);
    if (ec) return {io_error(what, ec), !parser.got_some() && conn.buffer().size() == 0, false};
    bool reusable = parser.keep_alive() && conn.buffer().size() == 0;
    http::response<http::string_body> message_in = parser.release();
    Response out = response_head(message_in);
    out.body = std::move(message_in.body());
    return {std::move(out), false, reusable};
  }

  // For a stream: connect and headers within the deadline, then options().timeout for each read.
  Attempt stream_on(Connection& conn, const RequestMessage& message, const LineHandler& on_line, Cancellation* cancel,
                    Clock::time_point deadline, const std::string& what) {
    error_code ec = write(conn, message, deadline);
    if (ec) return {io_error(what, ec), /*unanswered=*/true, false};
    http::response_parser<http::buffer_body> parser;
    parser.header_limit(kMaxHeaderBytes);
    // A watch may run for hours. (Not boost::none: Boost 1.74 then refuses any Content-Length.)
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    ec = read(conn, parser, Until::kHeader, deadline);
    if (ec) return {io_error(what, ec), !parser.got_some() && conn.buffer().size() == 0, false};
    Response out = response_head(parser.get());
    if (out.status < 200 || out.status >= 300) {  // an error Status: returned whole
      http::response_parser<http::string_body> whole(std::move(parser));
      whole.body_limit(kMaxResponseBytes);
      ec = read(conn, whole, Until::kMessage, deadline);
      if (ec) return {io_error(what, ec), false, false};
      out.body = std::move(whole.get().body());
      return {std::move(out), false, whole.keep_alive() && conn.buffer().size() == 0};
    }
    std::vector<char> chunk(kStreamChunkBytes);
    std::string pending;  // the start of a line not yet complete
    bool stopped = false;
    while (!parser.is_done() && !stopped) {
      parser.get().body().data = chunk.data();
      parser.get().body().size = chunk.size();
      ec = read(conn, parser, Until::kSome, Clock::now() + options().timeout);
      if (ec == http::error::need_buffer) ec = {};
      pending.append(chunk.data(), chunk.size() - parser.get().body().size);
      stopped = !deliver_lines(pending, on_line, cancel);
      if (ec && cancel && cancel->cancelled()) {
        stopped = true;  // the interrupt closed the socket
      } else if (ec && !stopped) {
        return {io_error(what, ec), false, false};
      }
    }
    if (!stopped && !pending.empty() && !(cancel && cancel->cancelled())) on_line(pending);  // no final newline
    return {std::move(out), false, !stopped && parser.keep_alive() && conn.buffer().size() == 0};
  }

  static error_code write(Connection& conn, const RequestMessage& message, Clock::time_point deadline) {
    return conn.with_stream([&](auto& stream) {
      return conn.complete([&](auto handler) { http::async_write(stream, message, std::move(handler)); }, deadline);
    });
  }

  enum class Until { kMessage, kHeader, kSome };  // kSome: whatever arrives next
  template <class Parser>
  static error_code read(Connection& conn, Parser& parser, Until until, Clock::time_point deadline) {
    return conn.with_stream([&](auto& stream) {
      return conn.complete(
          [&](auto handler) {
            if (until == Until::kMessage) {
              http::async_read(stream, conn.buffer(), parser, std::move(handler));
            } else if (until == Until::kHeader) {
              http::async_read_header(stream, conn.buffer(), parser, std::move(handler));
            } else {
              http::async_read_some(stream, conn.buffer(), parser, std::move(handler));
            }
          },
          deadline);
    });
  }

  Status io_error(const std::string& what, const error_code& ec) const {
    return network_error(what, config().server, ec.message(), ec == asio::error::connection_refused,
                         ec == beast::error::timeout);
  }

  // The TLS context for this client certificate; a new certificate (an exec plugin rotated it)
  // makes a new context and retires pooled connections made with the old one.
  Result<TlsContext> tls_context(const Auth& auth) {
    std::lock_guard<std::mutex> lock(tls_mu_);
    if (tls_ctx_ && tls_cert_ == auth.cert_pem) return TlsContext{tls_ctx_, generation_.load()};
    auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
    try {
      SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
      ctx->set_verify_mode(config().insecure ? asio::ssl::verify_none : asio::ssl::verify_peer);
      if (config().ca_pem.empty()) ctx->set_default_verify_paths();  // else only the given CA, as client-go
      configure_tls(*ctx, config().ca_pem, auth.cert_pem, auth.key_pem,
                    config().insecure ? "" : config().tls_server_name);
    } catch (const std::exception&) {
      return Status::Invalid("REST config: client certificate or key is not valid PEM");
    }
    tls_ctx_ = std::move(ctx);
    tls_cert_ = auth.cert_pem;
    return TlsContext{tls_ctx_, ++generation_};
  }

  // A connection ready for a request: an idle one from the pool that is still open, or (always
  // when `fresh`) a new one.
  Result<std::shared_ptr<Connection>> checkout(const Auth& auth, bool bounded, bool fresh, Clock::time_point deadline,
                                               const std::string& what) {
    while (true) {
      auto taken = take(bounded, fresh, deadline, what);
      if (!taken.ok()) return taken.status();
      std::shared_ptr<Connection> conn = std::move(*taken);
      if (conn->uses() > 0) {
        if (conn->still_open()) return conn;
        give_back(std::move(conn), false);
        continue;
      }
      Status opened = open(*conn, auth, deadline, what);
      if (opened.ok()) return conn;
      give_back(std::move(conn), false);
      return opened;
    }
  }

  // Takes the most recently used idle connection (unless `fresh`), else a new unconnected one.
  // Bounded callers reserve a place among kMaxOpenConnections, waiting until `deadline` for one.
  Result<std::shared_ptr<Connection>> take(bool bounded, bool fresh, Clock::time_point deadline,
                                           const std::string& what) {
    std::vector<std::shared_ptr<Connection>> retired;  // closed after the lock is released
    std::unique_lock<std::mutex> lock(pool_mu_);
    while (true) {
      // The server dropped an idle connection, likely all: make room by closing the oldest.
      while (fresh && bounded && open_ >= kMaxOpenConnections && !idle_.empty()) {
        retired.push_back(std::move(idle_.front()));
        idle_.erase(idle_.begin());
        --open_;
      }
      while (!fresh && !idle_.empty()) {
        std::shared_ptr<Connection> conn = std::move(idle_.back());
        idle_.pop_back();
        if (conn->generation() != generation_.load()) {
          --open_;
          retired.push_back(std::move(conn));
          continue;
        }
        if (!bounded) {  // a watch: give its place back to send()
          conn->counted = false;
          --open_;
          pool_cv_.notify_one();
        }
        return conn;
      }
      if (!bounded || open_ < kMaxOpenConnections) {
        if (bounded) ++open_;
        return std::make_shared<Connection>(bounded);
      }
      if (pool_cv_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
          open_ >= kMaxOpenConnections) {
        return network_error(what, config().server,
                             "no connection free: all " + std::to_string(kMaxOpenConnections) + " are busy", false,
                             true);
      }
    }
  }

  void give_back(std::shared_ptr<Connection> conn, bool reusable) {
    std::lock_guard<std::mutex> lock(pool_mu_);
    if (reusable && conn->generation() == generation_.load()) {
      if (!conn->counted && open_ < kMaxOpenConnections) {
        conn->counted = true;
        ++open_;
      }
      if (conn->counted) {
        idle_.push_back(std::move(conn));
        pool_cv_.notify_one();
        return;
      }
    }
    if (conn->counted) {
      --open_;
      pool_cv_.notify_one();
    }
  }

  // Connects (and for https shakes hands) within `deadline`.
  Status open(Connection& conn, const Auth& auth, Clock::time_point deadline, const std::string& what) {
    TlsContext tls;
    if (url_.tls) {
      auto ctx = tls_context(auth);
      if (!ctx.ok()) return ctx.status();
      tls = *ctx;
    }
    conn.create_stream(tls.ctx, tls.generation);
    error_code ec;
    asio::ip::tcp::resolver resolver(conn.io());
    auto endpoints = resolver.resolve(url_.host, url_.port, asio::ip::tcp::resolver::numeric_service, ec);
    if (ec) return network_error(what, config().server, "resolving " + url_.host + ": " + ec.message(), false, false);
    beast::tcp_stream& tcp = conn.tcp();
    ec = conn.complete([&](auto handler) { tcp.async_connect(endpoints, std::move(handler)); }, deadline);
    if (ec) return io_error(what, ec);
    tcp.socket().set_option(asio::ip::tcp::no_delay(true), ec);  // requests go out in one write anyway
    if (!tls.ctx) return Status::Ok();

    SSL* ssl = conn.tls().native_handle();
    const std::string& name = config().tls_server_name.empty() ? url_.host : config().tls_server_name;
    if (!is_ip_address(name)) SSL_set_tlsext_host_name(ssl, name.c_str());  // SNI carries names only
    if (!config().insecure && config().tls_server_name.empty()) {           // else configure_tls set the name
      if (is_ip_address(url_.host)) {
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), url_.host.c_str());
      } else {
        SSL_set1_host(ssl, url_.host.c_str());
      }
    }
    ec = conn.complete(
        [&](auto handler) { conn.tls().async_handshake(asio::ssl::stream_base::client, std::move(handler)); },
        deadline);
    if (!ec) return Status::Ok();
    if (ec.category() == asio::error::get_ssl_category()) {
      return tls_handshake_error(config(), ec.message(), SSL_get_verify_result(ssl));
    }
    return network_error(what, config().server, "during the TLS handshake: " + ec.message(), false,
                         ec == beast::error::timeout);
  }

  const ServerUrl url_;

  std::mutex tls_mu_;
  std::shared_ptr<asio::ssl::context> tls_ctx_;  // guarded by tls_mu_
  std::string tls_cert_;                         // guarded by tls_mu_: the client cert tls_ctx_ holds
  std::atomic<int> generation_{0};               // of tls_ctx_; written under tls_mu_

  std::mutex pool_mu_;
  std::condition_variable pool_cv_;                // signalled when a connection is idle or closed
  std::vector<std::shared_ptr<Connection>> idle_;  // guarded by pool_mu_; most recently used last
  int open_ = 0;                                   // guarded by pool_mu_: counted connections, idle or busy
};

}  // namespace

Result<std::shared_ptr<Transport>> make_beast_transport(const RestConfig& config, const TransportOptions& options) {
  auto url = parse_server_url(config.server);
  if (!url.ok()) return url.status();
  return std::shared_ptr<Transport>(std::make_shared<BeastTransport>(config, options, std::move(*url)));
}

}  // namespace ferry::kube
