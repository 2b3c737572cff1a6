#include "apis/http/server.h"

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <cctype>
#include <deque>
#include <mutex>
#include <thread>

#include "apis/http/compression.h"
#include "apis/http/text.h"

namespace ferry::http {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {


const char* status_text(int status) {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 413: return "Request Entity Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Status";
  }
}

Response default_error(int status, const std::string& reason) {
  Response r;
  r.status = status;
  r.content_type = "text/plain; charset=utf-8";
  r.body = reason + "\n";
  return r;
}

std::string serialize_head(const Response& r, bool keep_alive, bool chunked, size_t length) {
  std::string head = "HTTP/1.1 " + std::to_string(r.status) + " " + status_text(r.status) + "\r\n";
  if (!r.content_type.empty()) head += "Content-Type: " + r.content_type + "\r\n";
  for (const auto& [name, value] : r.headers) head += name + ": " + value + "\r\n";
  if (chunked) head += "Transfer-Encoding: chunked\r\n";
  else head += "Content-Length: " + std::to_string(length) + "\r\n";
  head += keep_alive ? "Connection: keep-alive\r\n" : "Connection: close\r\n";
  head += "\r\n";
  return head;
}

std::string chunk(std::string_view data) {
  char size[20];
  snprintf(size, sizeof size, "%zx\r\n", data.size());
  std::string out = size;
  out.append(data);
  out += "\r\n";
  return out;
}

}  // namespace

const std::string* Request::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k == name) return &v;
  }
  return nullptr;
}

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    if (slash > start) parts.emplace_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return parts;
}

std::string percent_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%' && i + 2 < text.size() &&
        std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      out.push_back(static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string Request::query_param(std::string_view name, std::string_view fallback) const {
  std::string_view q = query;
  while (!q.empty()) {
    size_t amp = q.find('&');
    std::string_view pair = q.substr(0, amp);
    size_t eq = pair.find('=');
    std::string key = percent_decode(pair.substr(0, eq), true);
    if (key == name) return eq == std::string_view::npos ? "" : percent_decode(pair.substr(eq + 1), true);
    if (amp == std::string_view::npos) break;
    q.remove_prefix(amp + 1);
  }
  return std::string(fallback);
}

bool Request::has_query_param(std::string_view name) const {
  return query_param(name, "\x01") != "\x01";
}

// --- connections -------------------------------------------------------------------------

struct Server::Impl {
  ServerOptions options;
  Handler handler;
  asio::io_context io;
  std::unique_ptr<asio::ssl::context> tls;
  std::unique_ptr<tcp::acceptor> acceptor;
  std::vector<std::thread> threads;
  std::atomic<bool> stopped{false};
  int port = 0;

  void accept();
  Response error(int status, const std::string& reason) {
    return options.error_response ? options.error_response(status, reason) : default_error(status, reason);
  }
};

namespace {

template <class Stream>
class Connection : public std::enable_shared_from_this<Connection<Stream>> {
 public:
  Connection(Server::Impl& server, Stream stream, std::string remote, bool tls)
      : server_(server), stream_(std::move(stream)), remote_(std::move(remote)), tls_(tls) {
    buffer_.prepare(0);
  }

  void start() {
    if constexpr (std::is_same_v<Stream, asio::ssl::stream<tcp::socket>>) {
      auto self = this->shared_from_this();
      stream_.async_handshake(asio::ssl::stream_base::server, [self](error_code ec) {
        if (ec) return;
        self->read_client_certificate();
        self->read_head();
      });
    } else {
      read_head();
    }
  }

  // Called by the stream writer on the connection's strand.
  void queue_write(std::string data, bool close_after) {
    if (finished_) return;
    outbox_.push_back(std::move(data));
    if (close_after) close_after_write_ = true;
    if (!writing_) flush();
  }
  bool peer_gone() const { return peer_gone_.load(); }
  auto executor() { return stream_.get_executor(); }

 private:
  void read_client_certificate() {
    if constexpr (std::is_same_v<Stream, asio::ssl::stream<tcp::socket>>) {
      SSL* ssl = stream_.native_handle();
      X509* cert = SSL_get1_peer_certificate(ssl);
      if (cert == nullptr) return;
      if (SSL_get_verify_result(ssl) == X509_V_OK) {
        char cn[256] = {0};
        X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn - 1);
        client_cn_ = cn;
      }
      X509_free(cert);
    }
  }

  void read_head() {
    auto self = this->shared_from_this();
    asio::async_read_until(stream_, buffer_, "\r\n\r\n", [self](error_code ec, size_t n) {
      if (ec) {
        if (ec == asio::error::not_found) self->reject(431, "request header too large");
        return;
      }
      self->parse_head(n);
    });
  }

  void parse_head(size_t head_size) {
    std::string head(asio::buffers_begin(buffer_.data()), asio::buffers_begin(buffer_.data()) + head_size);
    buffer_.consume(head_size);
    request_ = Request{};
    request_.remote_address = remote_;
    request_.tls = tls_;
    request_.client_cert_common_name = client_cn_;
    size_t line_end = head.find("\r\n");
    std::string_view request_line(head.data(), line_end);
    size_t sp1 = request_line.find(' ');
    size_t sp2 = request_line.rfind(' ');
    if (sp1 == std::string_view::npos || sp2 == sp1) return reject(400, "malformed request line");
    request_.method = std::string(request_line.substr(0, sp1));
    request_.target = std::string(request_line.substr(sp1 + 1, sp2 - sp1 - 1));
    std::string_view version = request_line.substr(sp2 + 1);
    keep_alive_ = version == "HTTP/1.1";
    size_t q = request_.target.find('?');
    request_.path = percent_decode(std::string_view(request_.target).substr(0, q));
    if (q != std::string::npos) request_.query = request_.target.substr(q + 1);

    size_t pos = line_end + 2;
    while (pos < head.size()) {
      size_t end = head.find("\r\n", pos);
      if (end == std::string::npos || end == pos) break;
      std::string_view line(head.data() + pos, end - pos);
      size_t colon = line.find(':');
      if (colon == std::string_view::npos) return reject(400, "malformed header line");
      request_.headers.emplace_back(lower(trim(line.substr(0, colon))), std::string(trim(line.substr(colon + 1))));
      pos = end + 2;
    }
    if (const auto* c = request_.header("connection")) {
      std::string v = lower(*c);
      if (v.find("close") != std::string::npos) keep_alive_ = false;
      if (v.find("keep-alive") != std::string::npos) keep_alive_ = true;
    }
    if (const auto* expect = request_.header("expect"); expect && lower(*expect) == "100-continue") {
      auto self = this->shared_from_this();
      auto cont = std::make_shared<std::string>("HTTP/1.1 100 Continue\r\n\r\n");
      asio::async_write(stream_, asio::buffer(*cont), [self, cont](error_code ec, size_t) {
        if (!ec) self->read_body();
      });
      return;
    }
    read_body();
  }

  void read_body() {
    const auto* te = request_.header("transfer-encoding");
    if (te && lower(*te).find("chunked") != std::string::npos) return read_chunk_size();
    size_t length = 0;
    if (const auto* cl = request_.header("content-length")) {
      try {
        length = std::stoull(*cl);
      } catch (...) {
        return reject(400, "invalid Content-Length");
      }
    }
    if (length > server_.options.max_body_bytes) return reject(413, "request body too large");
    if (buffer_.size() >= length) {
      take_body(length);
      return dispatch();
    }
    auto self = this->shared_from_this();
    asio::async_read(stream_, buffer_, asio::transfer_exactly(length - buffer_.size()),
                     [self, length](error_code ec, size_t) {
                       if (ec) return;
                       self->take_body(length);
                       self->dispatch();
                     });
  }

  void take_body(size_t length) {
    request_.body.append(asio::buffers_begin(buffer_.data()), asio::buffers_begin(buffer_.data()) + length);
    buffer_.consume(length);
  }

  void read_chunk_size() {
    auto self = this->shared_from_this();
    asio::async_read_until(stream_, buffer_, "\r\n", [self](error_code ec, size_t n) {
      if (ec) return;
      std::string line(asio::buffers_begin(self->buffer_.data()), asio::buffers_begin(self->buffer_.data()) + n);
      self->buffer_.consume(n);
      size_t size = 0;
      try {
        size = std::stoull(line, nullptr, 16);
      } catch (...) {
        return self->reject(400, "malformed chunk size");
      }
      if (self->request_.body.size() + size > self->server_.options.max_body_bytes) {
        return self->reject(413, "request body too large");
      }
      if (size == 0) return self->finish_chunked_body();
      size_t need = size + 2;  // data + CRLF
      auto take = [self, size]() {
        self->take_body(size);
        self->buffer_.consume(2);
        self->read_chunk_size();
      };
      if (self->buffer_.size() >= need) return take();
      asio::async_read(self->stream_, self->buffer_, asio::transfer_exactly(need - self->buffer_.size()),
                       [self, take](error_code ec2, size_t) {
                         if (!ec2) take();
                       });
    });
  }

  void finish_chunked_body() {
    // Trailers end with an empty line.
    auto self = this->shared_from_this();
    asio::async_read_until(stream_, buffer_, "\r\n", [self](error_code ec, size_t n) {
      if (ec) return;
      bool empty_line = n == 2;
      self->buffer_.consume(n);
      if (empty_line) self->dispatch();
      else self->finish_chunked_body();
    });
  }

  void dispatch() {
    Response response;
    try {
      response = server_.handler(request_);
    } catch (const std::exception& e) {
      response = server_.error(500, std::string("internal error: ") + e.what());
    }
    if (response.deferred) {
      auto self = this->shared_from_this();
      auto sent = std::make_shared<std::atomic<bool>>(false);
      response.deferred([self, sent](Response answer) {
        if (sent->exchange(true)) return;
        asio::post(self->executor(), [self, answer = std::move(answer)]() mutable { self->respond(std::move(answer)); });
      });
      return;
    }
    if (response.delay.count() > 0) {
      auto self = this->shared_from_this();
      auto timer = std::make_shared<asio::steady_timer>(stream_.get_executor(), response.delay);
      auto held = std::make_shared<Response>(std::move(response));
      timer->async_wait([self, timer, held](error_code) { self->respond(std::move(*held)); });
      return;
    }
    respond(std::move(response));
  }

  void reject(int status, const std::string& reason) {
    keep_alive_ = false;
    respond(server_.error(status, reason));
  }

  void respond(Response response);
  bool may_gzip(const Response& response) const;  // the server gzips, the client accepts it
  void maybe_gzip(Response& response) const;

  void flush() {
    if (outbox_.empty()) {
      writing_ = false;
      if (close_after_write_) shutdown();
      return;
    }
    writing_ = true;
    auto data = std::make_shared<std::string>(std::move(outbox_.front()));
    outbox_.pop_front();
    auto self = this->shared_from_this();
    asio::async_write(stream_, asio::buffer(*data), [self, data](error_code ec, size_t) {
      if (ec) {
        self->peer_gone_ = true;
        self->finished_ = true;
        return;
      }
      self->flush();
    });
  }

  void shutdown() {
    finished_ = true;
    error_code ec;
    if constexpr (std::is_same_v<Stream, asio::ssl::stream<tcp::socket>>) {
      stream_.lowest_layer().shutdown(tcp::socket::shutdown_both, ec);
      stream_.lowest_layer().close(ec);
    } else {
      stream_.shutdown(tcp::socket::shutdown_both, ec);
      stream_.close(ec);
    }
  }

  // While streaming, a read that completes means the client closed (or misbehaved).
  void watch_for_hangup() {
    auto self = this->shared_from_this();
    auto scratch = std::make_shared<std::array<char, 256>>();
    stream_.async_read_some(asio::buffer(*scratch), [self, scratch](error_code ec, size_t) {
      if (ec) {
        self->peer_gone_ = true;
        return;
      }
      self->watch_for_hangup();
    });
  }

  Server::Impl& server_;
  Stream stream_;
  std::string remote_;
  bool tls_;
  std::string client_cn_;
  asio::streambuf buffer_{1 << 26};
  Request request_;
  bool keep_alive_ = true;
  std::deque<std::string> outbox_;
  bool writing_ = false;
  bool close_after_write_ = false;
  bool finished_ = false;
  std::atomic<bool> peer_gone_{false};

  template <class S>
  friend class StreamWriter;
};

template <class Stream>
class StreamWriter : public ChunkWriter {
 public:
  // `gzip`: the stream's body is one gzip stream, flushed after every write.
  StreamWriter(std::shared_ptr<Connection<Stream>> connection, bool gzip) : connection_(std::move(connection)) {
    if (gzip) gzip_ = std::make_unique<GzipStream>(1);
  }

  bool write(std::string data) override {
    if (closed()) return false;
    if (data.empty()) return true;
    // Under the lock: compressed pieces must reach the socket in the order they were made.
    std::lock_guard<std::mutex> lock(mu_);
    if (gzip_) data = gzip_->write(data);
    asio::post(connection_->executor(), [c = connection_, d = chunk(data)]() mutable { c->queue_write(std::move(d), false); });
    return true;
  }
  void close() override {
    if (closed_.exchange(true)) return;
    std::lock_guard<std::mutex> lock(mu_);
    std::string tail = gzip_ ? gzip_->write("", true) : "";
    asio::post(connection_->executor(), [c = connection_, tail = std::move(tail)]() {
      c->queue_write((tail.empty() ? "" : chunk(tail)) + "0\r\n\r\n", true);
    });
  }
  bool closed() const override { return closed_.load() || connection_->peer_gone(); }

 private:
  std::shared_ptr<Connection<Stream>> connection_;
  std::atomic<bool> closed_{false};
  std::mutex mu_;
  std::unique_ptr<GzipStream> gzip_;  // guarded by mu_
};

template <class Stream>
bool Connection<Stream>::may_gzip(const Response& response) const {
  if (server_.options.gzip_min_bytes == 0 || !compressible(response.content_type)) return false;
  for (const auto& [name, value] : response.headers) {
    if (lower(name) == "content-encoding") return false;
  }
  return accepts_gzip(request_);
}

template <class Stream>
void Connection<Stream>::maybe_gzip(Response& response) const {
  if (response.body.size() < server_.options.gzip_min_bytes || !may_gzip(response)) return;
  auto compressed = gzip(response.body, 1);
  if (!compressed || compressed->size() >= response.body.size()) return;
  response.body = std::move(*compressed);
  response.headers.emplace_back("Content-Encoding", "gzip");
  response.headers.emplace_back("Vary", "Accept-Encoding");
}

template <class Stream>
void Connection<Stream>::respond(Response response) {
  if (response.start_stream) {
    bool zip = may_gzip(response);
    if (zip) {
      response.headers.emplace_back("Content-Encoding", "gzip");
      response.headers.emplace_back("Vary", "Accept-Encoding");
    }
    queue_write(serialize_head(response, false, true, 0), false);
    auto writer = std::make_shared<StreamWriter<Stream>>(this->shared_from_this(), zip);
    watch_for_hangup();
    response.start_stream(writer);
    return;
  }
  if (request_.method == "HEAD") response.body.clear();
  maybe_gzip(response);
  std::string head = serialize_head(response, keep_alive_, false, response.body.size());
  queue_write(head + response.body, !keep_alive_);
  if (keep_alive_) read_head();
}

}  // namespace

void Server::Impl::accept() {
  acceptor->async_accept(asio::make_strand(io), [this](error_code ec, tcp::socket socket) {
    if (ec) {
      if (!stopped) accept();
      return;
    }
    error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    std::string remote = socket.remote_endpoint(ignored).address().to_string();
    if (tls) {
      auto c = std::make_shared<Connection<asio::ssl::stream<tcp::socket>>>(
          *this, asio::ssl::stream<tcp::socket>(std::move(socket), *tls), remote, true);
      c->start();
    } else {
      auto c = std::make_shared<Connection<tcp::socket>>(*this, std::move(socket), remote, false);
      c->start();
    }
    accept();
  });
}

Server::Server(ServerOptions options, Handler handler) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->handler = std::move(handler);
}

Server::~Server() { stop(); }

std::string Server::start() {
  auto& o = impl_->options;
  try {
    if (!o.tls_cert_pem.empty()) {
      impl_->tls = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
      impl_->tls->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                              asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                              asio::ssl::context::no_tlsv1_1);
      impl_->tls->use_certificate_chain(asio::buffer(o.tls_cert_pem));
      impl_->tls->use_private_key(asio::buffer(o.tls_key_pem), asio::ssl::context::pem);
      if (!o.client_ca_pem.empty()) {
        impl_->tls->add_certificate_authority(asio::buffer(o.client_ca_pem));
        impl_->tls->set_verify_mode(asio::ssl::verify_peer);  // optional: token auth still works
      }
    }
    tcp::endpoint endpoint(asio::ip::make_address(o.host), static_cast<unsigned short>(o.port));
    impl_->acceptor = std::make_unique<tcp::acceptor>(impl_->io);
    impl_->acceptor->open(endpoint.protocol());
    impl_->acceptor->set_option(tcp::acceptor::reuse_address(true));
    impl_->acceptor->bind(endpoint);
    impl_->acceptor->listen(1024);
    impl_->port = impl_->acceptor->local_endpoint().port();
  } catch (const std::exception& e) {
    return std::string("cannot listen on ") + o.host + ":" + std::to_string(o.port) + ": " + e.what();
  }
  impl_->accept();
  for (int i = 0; i < std::max(1, o.threads); ++i) {
    impl_->threads.emplace_back([this] { impl_->io.run(); });
  }
  return "";
}

void Server::stop() {
  if (!impl_ || impl_->stopped.exchange(true)) return;
  error_code ec;
  if (impl_->acceptor) impl_->acceptor->close(ec);
  impl_->io.stop();
  for (auto& t : impl_->threads) {
    if (t.joinable()) t.join();
  }
}

int Server::port() const { return impl_->port; }

}  // namespace ferry::http
