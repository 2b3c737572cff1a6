#include "store/pg.h"

#include <dlfcn.h>
#include <libpq-fe.h>

#include <cstdlib>
#include <cstring>
#include <algorithm>

namespace ferry::store::pg {
namespace {

// libpq is loaded when the first connection is opened rather than linked: it brings Kerberos,
// LDAP, GnuTLS, SASL and p11-kit along, and binding and initialising those cost every ferry
// process ~6 ms at start, though most commands (render, lint, the CLI client) never open a
// PostgreSQL store (issue #4). The header still supplies the types and the signatures. Each
// X(name) below is libpq's PQ<name>.
#define FERRY_LIBPQ_FUNCTIONS(X)                                                                     \
  X(clear) X(cmdTuples) X(connectdbParams) X(errorMessage) X(exec) X(execParams) X(finish) X(freemem) \
  X(getisnull) X(getlength) X(getvalue) X(ntuples) X(reset) X(resultErrorField) X(resultErrorMessage) \
  X(resultStatus) X(setNoticeProcessor) X(status) X(unescapeBytea)

constexpr const char* kLibpq = "libpq.so.5";

struct Libpq {
#define FERRY_LIBPQ_POINTER(name) decltype(&::PQ##name) name = nullptr;
  FERRY_LIBPQ_FUNCTIONS(FERRY_LIBPQ_POINTER)
#undef FERRY_LIBPQ_POINTER
  std::string error;  // why loading failed; "" once every function is bound
};

Libpq load_libpq() {
  Libpq pq;
  // Never closed: connections, and libpq's own OpenSSL state, live until the process ends.
  void* handle = ::dlopen(kLibpq, RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char* why = ::dlerror();
    pq.error = std::string("cannot load ") + kLibpq + ", the PostgreSQL client library (install libpq5): " +
               (why ? why : "unknown error");
    return pq;
  }
#define FERRY_LIBPQ_BIND(name)                                                         \
  pq.name = reinterpret_cast<decltype(pq.name)>(::dlsym(handle, "PQ" #name));          \
  if (!pq.name && pq.error.empty()) pq.error = std::string(kLibpq) + " has no PQ" #name;
  FERRY_LIBPQ_FUNCTIONS(FERRY_LIBPQ_BIND)
#undef FERRY_LIBPQ_BIND
  return pq;
}

// The loaded library, once per process (thread-safe). Connection::open() checks `error`; every
// other use follows an open connection, so finds the functions bound.
const Libpq& pq() {
  static const Libpq loaded = load_libpq();
  return loaded;
}

// libpq's messages end in a newline and may span lines; one line reads better in logs.
std::string one_line(const char* message) {
  std::string out;
  for (const char* p = message ? message : ""; *p; ++p) out += (*p == '\n' || *p == '\r') ? ' ' : *p;
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out.empty() ? "unknown error" : out;
}

// Masks the value of every "password=" in `s` from `from` on (URL query or key=value string).
std::string mask_password_keys(std::string s, size_t from) {
  for (size_t at = s.find("password=", from); at != std::string::npos; at = s.find("password=", at + 1)) {
    // Only a whole key: at the start, or after '?', '&' or whitespace.
    if (at != 0 && std::string_view("?& \t").find(s[at - 1]) == std::string_view::npos) continue;
    size_t begin = at + 9;
    size_t end = begin;
    if (end < s.size() && s[end] == '\'') {  // key='quoted value' in a connection string
      for (++end; end < s.size() && s[end] != '\''; ++end) {
        if (s[end] == '\\') ++end;
      }
      end = std::min(end + 1, s.size());
    } else {
      while (end < s.size() && std::string_view("& \t").find(s[end]) == std::string_view::npos) ++end;
    }
    s.replace(begin, end - begin, "***");
  }
  return s;
}

}  // namespace

std::string mask_password(const std::string& url) {
  size_t scheme = url.find("://");
  if (scheme == std::string::npos) return mask_password_keys(url, 0);  // a key=value string
  std::string out = url;
  size_t authority = scheme + 3;
  size_t authority_end = out.find_first_of("/?", authority);
  if (authority_end == std::string::npos) authority_end = out.size();
  // The password is between the first ':' and the last '@' of the user info.
  size_t at = out.rfind('@', authority_end);
  if (at != std::string::npos && at >= authority) {
    size_t colon = out.find(':', authority);
    if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
  }
  size_t query = out.find('?');
  return query == std::string::npos ? out : mask_password_keys(out, query);
}

std::string text_array(const std::vector<std::string>& items) {
  std::string out = "{";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ',';
    out += '"';
    for (char c : items[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

std::string int_array(const std::vector<int64_t>& items) {
  std::string out = "{";
  for (size_t i = 0; i < items.size(); ++i) out += (i > 0 ? "," : "") + std::to_string(items[i]);
  return out + "}";
}

// ---- Rows -----------------------------------------------------------------------------------

Rows::~Rows() {
  if (result_) pq().clear(result_);
}

int Rows::size() const { return pq().ntuples(result_); }

int64_t Rows::affected() const {
  const char* n = pq().cmdTuples(result_);
  return (n && *n) ? std::strtoll(n, nullptr, 10) : 0;
}

std::string Rows::text(int row, int column) const {
  if (pq().getisnull(result_, row, column)) return "";
  const char* value = pq().getvalue(result_, row, column);
  return std::string(value, static_cast<size_t>(pq().getlength(result_, row, column)));
}

int64_t Rows::int64(int row, int column) const {
  if (pq().getisnull(result_, row, column)) return 0;
  return std::strtoll(pq().getvalue(result_, row, column), nullptr, 10);
}

bool Rows::boolean(int row, int column) const {
  return !pq().getisnull(result_, row, column) && pq().getvalue(result_, row, column)[0] == 't';
}

std::string Rows::bytes(int row, int column) const {
  if (pq().getisnull(result_, row, column)) return "";
  size_t length = 0;
  unsigned char* raw =
      pq().unescapeBytea(reinterpret_cast<const unsigned char*>(pq().getvalue(result_, row, column)), &length);
  if (!raw) return "";
  std::string out(reinterpret_cast<char*>(raw), length);
  pq().freemem(raw);
  return out;
}

// ---- Connection -----------------------------------------------------------------------------

Result<std::unique_ptr<Connection>> Connection::open(const std::string& conninfo, Settings settings) {
  if (!pq().error.empty()) return Status::Internal("store " + settings.name + ": " + pq().error);
  // Keywords are applied in order and the URL (expanded from "dbname") comes last, so a value
  // the URL sets itself wins over these defaults.
  std::vector<std::pair<std::string, std::string>> params = settings.defaults;
  params.insert(params.begin(), {"connect_timeout", std::to_string(settings.connect_timeout_seconds)});
  params.emplace_back("dbname", conninfo);
  std::vector<const char*> keys, values;
  for (const auto& [k, v] : params) {
    keys.push_back(k.c_str());
    values.push_back(v.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  pg_conn* conn = pq().connectdbParams(keys.data(), values.data(), /*expand_dbname=*/1);
  if (!conn) return Status::Unavailable("store " + settings.name + ": out of memory connecting");
  // libpq prints server notices ("relation ... already exists, skipping") to stderr; the store
  // has nothing to tell users about them. The processor survives PQreset.
  pq().setNoticeProcessor(conn, [](void*, const char*) {}, nullptr);
  std::unique_ptr<Connection> c(new Connection(conn, std::move(settings)));
  if (pq().status(conn) != CONNECTION_OK) return c->connection_error("cannot connect");
  Status s = c->configure();
  if (!s.ok()) return s;
  return c;
}

Connection::~Connection() { pq().finish(conn_); }

bool Connection::broken() const { return pq().status(conn_) != CONNECTION_OK; }

Status Connection::connection_error(std::string_view what) const {
  return Status::Unavailable("store " + settings_.name + ": " + std::string(what) + ": " +
                             one_line(pq().errorMessage(conn_)));
}

Status Connection::configure() {
  for (const auto& [name, value] : settings_.session) {
    Status s = run("SELECT set_config($1, $2, false)", {name, value});
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

Status Connection::reset() {
  pq().reset(conn_);
  if (pq().status(conn_) != CONNECTION_OK) return connection_error("cannot reconnect");
  return configure();
}

Result<Rows> Connection::exec(std::string_view sql, const std::vector<Param>& params) {
  std::vector<const char*> values;
  std::vector<int> lengths, formats;
  for (const Param& p : params) {
    // libpq sends text parameters as C strings: a NUL would silently cut the value short.
    if (!p.binary() && p.value().find('\0') != std::string::npos) {
      return Status::Invalid("store " + settings_.name + ": text contains a NUL byte");
    }
    values.push_back(p.value().c_str());
    lengths.push_back(static_cast<int>(p.value().size()));
    formats.push_back(p.binary() ? 1 : 0);
  }
  std::string query(sql);
  return check(pq().execParams(conn_, query.c_str(), static_cast<int>(params.size()), nullptr, values.data(),
                            lengths.data(), formats.data(), /*resultFormat=*/0),
               sql);
}

Result<Rows> Connection::check(pg_result* result, std::string_view sql) {
  Rows rows(result);  // frees it on every path
  if (!result) return connection_error("no answer");
  ExecStatusType status = pq().resultStatus(result);
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY) return rows;
  if (broken()) return connection_error("connection lost");
  const char* code = pq().resultErrorField(result, PG_DIAG_SQLSTATE);
  return error(code ? code : "", one_line(pq().resultErrorMessage(result)), sql);
}

Status Connection::error(std::string_view sqlstate, const std::string& detail, std::string_view sql) const {
  std::string where = "store " + settings_.name + ": ";
  std::string during = " (during: " + std::string(sql.substr(0, 120)) + ")";
  std::string_view cls = sqlstate.substr(0, 2);
  // Unavailable: worth retrying later — the server is going away or overloaded, a timeout or
  // lock wait ran out (57014, 55P03), or the transaction lost a race (40001, 40P01).
  if (cls == "08" || cls == "53" || cls == "57" || cls == "40" || sqlstate == "55P03") {
    return Status::Unavailable(where + detail + during);
  }
  if (sqlstate == "23505") return Status::AlreadyExists(where + detail);
  if (cls == "23") return Status::Conflict(where + detail);
  if (cls == "22") return Status::Invalid(where + detail + during);  // bad data, e.g. not UTF-8
  return Status::Internal(where + detail + during);
}

Status Connection::run_script(std::string_view sql) {
  std::string script(sql);
  auto rows = check(pq().exec(conn_, script.c_str()), sql);
  return rows.ok() ? Status::Ok() : rows.status();
}

Status Connection::run(std::string_view sql, const std::vector<Param>& params) {
  auto rows = exec(sql, params);
  return rows.ok() ? Status::Ok() : rows.status();
}

// ---- Transaction ----------------------------------------------------------------------------

Result<Transaction> Transaction::begin(Connection& connection, Mode mode) {
  Status s = connection.run(mode == Mode::kWrite ? "BEGIN" : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  if (!s.ok()) return s;
  return Transaction(&connection);
}

Transaction::~Transaction() {
  if (connection_ && !connection_->broken()) (void)connection_->run("ROLLBACK");
}

Status Transaction::commit() {
  Connection* c = std::exchange(connection_, nullptr);
  Status s = c->run("COMMIT");
  if (!s.ok() && c->broken()) {
    return Status::Unavailable(s.message() + "; the connection was lost during COMMIT, so the write may or may "
                               "not have been applied");
  }
  return s;
}

// ---- Pool -----------------------------------------------------------------------------------

Pool::Pool(std::string conninfo, Settings settings, size_t size)
    : conninfo_(std::move(conninfo)), settings_(std::move(settings)), connections_(size) {
  for (size_t i = size; i-- > 0;) free_.push_back(i);
}

void Pool::adopt(std::unique_ptr<Connection> connection) {
  std::lock_guard lock(mu_);
  for (size_t slot : free_) {
    if (!connections_[slot]) {
      connections_[slot] = std::move(connection);
      return;
    }
  }
}

Result<Pool::Lease> Pool::acquire() {
  size_t slot;
  {
    std::unique_lock lock(mu_);
    freed_.wait(lock, [&] { return !free_.empty(); });
    slot = free_.back();
    free_.pop_back();
  }
  Lease lease(this, slot);  // gives the slot back on every path
  // Connecting happens outside the lock: it can take up to the connect timeout.
  std::unique_ptr<Connection>& c = connections_[slot];
  if (!c) {
    auto opened = Connection::open(conninfo_, settings_);
    if (!opened.ok()) return opened.status();
    c = std::move(*opened);
  } else if (c->broken()) {
    Status s = c->reset();
    if (!s.ok()) return s;
  }
  return lease;
}

void Pool::release(size_t slot) {
  {
    std::lock_guard lock(mu_);
    free_.push_back(slot);
  }
  freed_.notify_one();
}

Pool::Lease::~Lease() {
  if (pool_) pool_->release(slot_);
}

}  // namespace ferry::store::pg
