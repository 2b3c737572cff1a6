// The HTTP layer over real sockets on loopback: keep-alive, bodies, limits, streaming.
#include "apis/http/server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <zlib.h>

#include <thread>

namespace ferry::http {
namespace {

// A minimal blocking client: sends raw bytes, reads until `until` appears or the peer closes.
class RawClient {
 public:
  explicit RawClient(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    timeval tv{5, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~RawClient() { close(fd_); }
  bool connected() const { return connected_; }
  void send(const std::string& data) { ASSERT_EQ(::send(fd_, data.data(), data.size(), 0), static_cast<ssize_t>(data.size())); }
  std::string read_until(const std::string& until) {
    char buf[4096];
    while (received_.find(until) == std::string::npos) {
      ssize_t n = recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) break;
      received_.append(buf, static_cast<size_t>(n));
    }
    return received_;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
  std::string received_;
};

class HttpServerTest : public ::testing::Test {
 protected:
  void start(Handler handler, size_t max_body = 1024, size_t gzip_min_bytes = 0) {
    ServerOptions options;
    options.max_body_bytes = max_body;
    options.gzip_min_bytes = gzip_min_bytes;
    server_ = std::make_unique<Server>(options, std::move(handler));
    ASSERT_EQ(server_->start(), "");
    ASSERT_GT(server_->port(), 0);
  }
  std::unique_ptr<Server> server_;
};

TEST_F(HttpServerTest, KeepAliveServesTwoRequestsOnOneConnection) {
  start([](Request& r) {
    Response out;
    out.body = r.method + " " + r.path + " q=" + r.query_param("q") + " body=" + r.body;
    return out;
  });
  RawClient client(server_->port());
  ASSERT_TRUE(client.connected());
  client.send("GET /a%20b?q=x%2By HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_NE(client.read_until("q=x+y body=").find("GET /a b q=x+y body="), std::string::npos);
  client.send("POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");
  EXPECT_NE(client.read_until("body=hello").find("POST /p q= body=hello"), std::string::npos);
}

TEST_F(HttpServerTest, LargeJsonAnswersAreGzippedForClientsThatAcceptIt) {
  const std::string json = "[" + std::string(3000, ' ') + "]";
  start(
      [json](Request& r) {
        Response out;
        out.body = r.path == "/small" ? "[]" : json;
        if (r.path == "/own") out.headers.push_back({"Content-Encoding", "identity"});
        return out;
      },
      1024, 1024);
  auto answer = [&](const std::string& path, const std::string& accept) {
    RawClient client(server_->port());
    client.send("GET " + path + " HTTP/1.1\r\nConnection: close\r\n" + accept + "\r\n");
    return client.read_until("\r\n\r\n\x01never");
  };
  std::string zipped = answer("/", "Accept-Encoding: br, gzip;q=0.8\r\n");
  EXPECT_NE(zipped.find("Content-Encoding: gzip"), std::string::npos) << zipped;
  EXPECT_NE(zipped.find("Vary: Accept-Encoding"), std::string::npos);
  EXPECT_NE(zipped.find("\r\n\r\n\x1f\x8b"), std::string::npos);  // the gzip magic starts the body
  EXPECT_LT(zipped.size(), json.size());
  std::string plain = answer("/", "");
  EXPECT_EQ(plain.find("Content-Encoding"), std::string::npos);
  EXPECT_NE(plain.find(json), std::string::npos);
  EXPECT_EQ(answer("/", "Accept-Encoding: gzip;q=0\r\n").find("Content-Encoding: gzip"), std::string::npos);
  EXPECT_EQ(answer("/small", "Accept-Encoding: gzip\r\n").find("Content-Encoding: gzip"), std::string::npos);
  EXPECT_EQ(answer("/own", "Accept-Encoding: gzip\r\n").find("Content-Encoding: gzip"), std::string::npos);
}

TEST_F(HttpServerTest, ChunkedRequestBodyIsAssembled) {
  start([](Request& r) {
    Response out;
    out.body = "got:" + r.body;
    return out;
  });
  RawClient client(server_->port());
  client.send("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
  EXPECT_NE(client.read_until("got:abcde").find("got:abcde"), std::string::npos);
}

TEST_F(HttpServerTest, OversizedBodyIsRefusedWith413) {
  start([](Request&) { return Response{}; }, 10);
  RawClient client(server_->port());
  client.send("POST / HTTP/1.1\r\nContent-Length: 100\r\n\r\n");
  EXPECT_NE(client.read_until("\r\n\r\n").find("HTTP/1.1 413"), std::string::npos);
}

// The body of a chunked answer (after the head), its chunks joined.
std::string dechunk(const std::string& answer) {
  std::string out;
  size_t at = answer.find("\r\n\r\n");
  if (at == std::string::npos) return out;
  at += 4;
  while (at < answer.size()) {
    size_t eol = answer.find("\r\n", at);
    if (eol == std::string::npos) break;
    size_t size = std::stoul(answer.substr(at, eol - at), nullptr, 16);
    if (size == 0) break;
    out += answer.substr(eol + 2, size);
    at = eol + 2 + size + 2;
  }
  return out;
}

// The text of a gzip stream that may stop at a flush point (no trailer yet).
std::string gunzip(const std::string& data) {
  z_stream stream{};
  EXPECT_EQ(inflateInit2(&stream, 15 + 16), Z_OK);
  std::string out(1 << 16, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  inflate(&stream, Z_SYNC_FLUSH);
  out.resize(stream.total_out);
  inflateEnd(&stream);
  return out;
}

TEST_F(HttpServerTest, AStreamIsOneGzipStreamFlushedAtEveryWrite) {
  start(
      [](Request&) {
        Response out;
        out.content_type = "text/event-stream";
        out.start_stream = [](std::shared_ptr<ChunkWriter> writer) {
          writer->write("data: one\n\n");
          writer->write("data: two\n\n");
        };
        return out;
      },
      1024, 1024);
  RawClient client(server_->port());
  client.send("GET /events HTTP/1.1\r\nAccept-Encoding: gzip\r\n\r\n");
  std::string answer;
  // Each write is flushed: both events can be decoded while the stream is still open.
  for (int i = 0; i < 50 && gunzip(dechunk(answer)) != "data: one\n\ndata: two\n\n"; ++i) {
    answer = client.read_until("\x01never");  // returns after the 5 s receive timeout at most
  }
  EXPECT_NE(answer.find("Content-Encoding: gzip"), std::string::npos) << answer;
  EXPECT_EQ(gunzip(dechunk(answer)), "data: one\n\ndata: two\n\n");
}

TEST_F(HttpServerTest, MalformedRequestLineIsRefusedWith400) {
  start([](Request&) { return Response{}; });
  RawClient client(server_->port());
  client.send("NONSENSE\r\n\r\n");
  EXPECT_NE(client.read_until("\r\n\r\n").find("HTTP/1.1 400"), std::string::npos);
}

TEST_F(HttpServerTest, StreamingResponseSendsChunksFromAnotherThread) {
  std::shared_ptr<ChunkWriter> held;
  std::mutex mutex;
  start([&](Request&) {
    Response out;
    out.start_stream = [&](std::shared_ptr<ChunkWriter> writer) {
      std::lock_guard lock(mutex);
      held = writer;
    };
    return out;
  });
  RawClient client(server_->port());
  client.send("GET /watch HTTP/1.1\r\n\r\n");
  EXPECT_NE(client.read_until("chunked\r\n\r\n").find("Transfer-Encoding: chunked"), std::string::npos);
  std::shared_ptr<ChunkWriter> writer;
  for (int i = 0; i < 500 && !writer; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    std::lock_guard lock(mutex);
    writer = held;
  }
  ASSERT_TRUE(writer);
  std::thread([writer] {
    writer->write("{\"n\":1}\n");
    writer->write("{\"n\":2}\n");
    writer->close();
  }).join();
  std::string all = client.read_until("0\r\n\r\n");
  EXPECT_NE(all.find("8\r\n{\"n\":1}\n\r\n"), std::string::npos) << all;
  EXPECT_NE(all.find("{\"n\":2}"), std::string::npos);
  EXPECT_FALSE(writer->write("late"));
}

TEST_F(HttpServerTest, DeferredResponseIsSentFromAnotherThreadAndOnlyOnce) {
  std::thread answering;
  start([&answering](Request&) {
    Response r;
    r.deferred = [&answering](std::function<void(Response)> reply) {
      answering = std::thread([reply]() {
        Response first;
        first.status = 202;
        first.body = "later";
        reply(first);
        Response second;
        second.status = 500;
        second.body = "ignored";
        reply(second);
      });
    };
    return r;
  });
  RawClient client(server_->port());
  client.send("GET /wait HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  std::string got = client.read_until("later");
  EXPECT_NE(got.find("HTTP/1.1 202"), std::string::npos) << got;
  EXPECT_EQ(got.find("ignored"), std::string::npos) << got;
  answering.join();
}

TEST_F(HttpServerTest, HandlerExceptionBecomes500) {
  start([](Request&) -> Response { throw std::runtime_error("boom"); });
  RawClient client(server_->port());
  client.send("GET / HTTP/1.1\r\n\r\n");
  EXPECT_NE(client.read_until("\r\n\r\n").find("HTTP/1.1 500"), std::string::npos);
}

TEST(PercentDecode, DecodesEscapesAndKeepsBrokenOnes) {
  EXPECT_EQ(percent_decode("a%2Fb"), "a/b");
  EXPECT_EQ(percent_decode("a+b", true), "a b");
  EXPECT_EQ(percent_decode("a+b"), "a+b");
  EXPECT_EQ(percent_decode("100%"), "100%");
  EXPECT_EQ(percent_decode("%zz"), "%zz");
}

}  // namespace
}  // namespace ferry::http
