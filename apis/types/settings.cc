#include "apis/types/settings.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <utility>

#include <yaml-cpp/yaml.h>

#include "apis/types/application.h"
#include "apis/types/base64.h"
#include "apis/types/duration.h"
#include "apis/types/yaml_codec.h"

namespace ferry::apis {
namespace {

namespace fs = std::filesystem;

constexpr size_t kMaxSecretFileBytes = 1 << 20;         // a secret, not a data set
constexpr size_t kMaxSettingsFileBytes = 64 << 20;      // Argo's whole install.yaml fits
constexpr int64_t kMaxPayloadMegabytes = 1024;
constexpr int kMaxFlattenDepth = 8;
constexpr const char* kSecretTypeLabel = "argocd.argoproj.io/secret-type";
constexpr std::string_view kPolicyGatesPrefix = "policy.gates.";

// ---- Small helpers --------------------------------------------------------------------------

std::string trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

std::string drop_one_newline(std::string s) {
  if (!s.empty() && s.back() == '\n') s.pop_back();
  if (!s.empty() && s.back() == '\r') s.pop_back();
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Go's strconv.ParseBool, which Argo CD uses for its "true"/"false" settings.
bool parse_bool_text(std::string_view s, bool& out) {
  static const std::set<std::string_view> kTrue = {"1", "t", "T", "TRUE", "true", "True"};
  static const std::set<std::string_view> kFalse = {"0", "f", "F", "FALSE", "false", "False"};
  if (kTrue.count(s)) {
    out = true;
    return true;
  }
  if (kFalse.count(s)) {
    out = false;
    return true;
  }
  return false;
}

// The codec quotes offending scalars (`...`, '...'); in a settings file such a scalar may be a
// secret, so the quoted text is cut out of any message that leaves this file.
std::string scrub_quotes(const std::string& message) {
  std::string out;
  out.reserve(message.size());
  for (size_t i = 0; i < message.size(); ++i) {
    char c = message[i];
    if (c == '`' || c == '\'') {
      size_t close = message.find(c, i + 1);
      if (close != std::string::npos) {
        out += c;
        out += "...";
        out += c;
        i = close;
        continue;
      }
    }
    out += c;
  }
  const std::string unsupported = "unsupported value: ";
  if (size_t pos = out.find(unsupported); pos != std::string::npos) {
    size_t start = pos + unsupported.size();
    size_t end = out.find(" (", start);
    out.replace(start, end == std::string::npos ? std::string::npos : end - start, "...");
  }
  return out;
}

// Reads a whole regular file of at most `limit` bytes. NotFound / Invalid / Internal naming the
// path, never the content.
Result<std::string> read_limited(const std::string& path, size_t limit, const char* what) {
  std::error_code ec;
  fs::file_status st = fs::status(path, ec);
  if (ec || !fs::exists(st)) return Status::NotFound(std::string(what) + " " + path + " not found");
  if (!fs::is_regular_file(st)) return Status::Invalid(std::string(what) + " " + path + " is not a regular file");
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Internal(std::string("cannot read ") + what + " " + path);
  std::string out;
  char buf[65536];
  while (in) {
    in.read(buf, sizeof buf);
    out.append(buf, static_cast<size_t>(in.gcount()));
    if (out.size() > limit) {
      return Status::Invalid(std::string(what) + " " + path + " is larger than " + std::to_string(limit) + " bytes");
    }
  }
  if (in.bad()) return Status::Internal(std::string("cannot read ") + what + " " + path);
  return out;
}

// ---- Where a value came from ----------------------------------------------------------------

// One step of the path from a document's root to a value: a map key or a list index.
struct Step {
  std::string key;
  int index = -1;
};

// Enough to name a value in an error: the file, the line (found lazily from the text, only when
// an error is reported) and the settings key.
struct Origin {
  std::string source;
  std::shared_ptr<const std::string> text;  // the whole stream; null when no lines can be told
  int doc_line = 0;                          // 1-based first line of the document, 0: unknown
  std::vector<Step> path;                    // from the document root
  bool whole_file = false;                   // the value is a file's content (directory form)
};

// The first document of `text` that starts at 1-based line `first_line`, up to the next `---`.
std::string document_slice(const std::string& text, int first_line) {
  size_t pos = 0;
  for (int line = 1; line < first_line && pos != std::string::npos; ++line) {
    pos = text.find('\n', pos);
    if (pos != std::string::npos) ++pos;
  }
  if (pos == std::string::npos) return "";
  size_t end = pos;
  while (end < text.size()) {
    if (text.compare(end, 3, "---") == 0 &&
        (end + 3 == text.size() || text[end + 3] == ' ' || text[end + 3] == '\t' || text[end + 3] == '\n' ||
         text[end + 3] == '\r')) {
      break;
    }
    size_t nl = text.find('\n', end);
    end = nl == std::string::npos ? text.size() : nl + 1;
  }
  return text.substr(pos, end - pos);
}

// The 1-based line of the deepest step of `origin.path` found in its document; 0 when unknown.
// yaml-cpp keeps positions, the JSON the codec makes does not; the document is read again only
// when an error is reported.
int line_of(const Origin& origin) {
  if (!origin.text || origin.doc_line <= 0) return 0;
  try {
    YAML::Node node = YAML::Load(document_slice(*origin.text, origin.doc_line));
    int line = origin.path.empty() ? 0 : -1;
    for (const Step& step : origin.path) {
      YAML::Node next;
      if (step.index >= 0) {
        if (!node.IsSequence() || static_cast<size_t>(step.index) >= node.size()) break;
        next = node[static_cast<size_t>(step.index)];
        line = next.Mark().line;
      } else {
        if (!node.IsMap()) break;
        bool found = false;
        for (auto it = node.begin(); it != node.end(); ++it) {
          if (it->first.IsScalar() && it->first.Scalar() == step.key) {  // the last duplicate wins
            next = it->second;
            line = it->first.Mark().line;
            found = true;
          }
        }
        if (!found) break;
      }
      node = next;
    }
    return line < 0 ? 0 : origin.doc_line + line;
  } catch (...) {  // yaml-cpp throws; a position is a nicety, never worth an error of its own
    return 0;
  }
}

std::string where(const Origin& origin, std::string_view key) {
  std::string out = origin.source.empty() ? "<settings>" : origin.source;
  if (int line = line_of(origin); line > 0) out += ": line " + std::to_string(line);
  if (!key.empty()) {
    out += ": ";
    out += key;
  }
  return out;
}

Status invalid_at(const Origin& origin, std::string_view key, const std::string& why) {
  return Status::Invalid(where(origin, key) + ": " + why);
}

Origin child(const Origin& parent, Step step) {
  Origin o = parent;
  o.path.push_back(std::move(step));
  return o;
}

const char* type_phrase(const Json& v) {
  switch (v.type()) {
    case Json::value_t::null: return "null";
    case Json::value_t::boolean: return "a boolean";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float: return "a number";
    case Json::value_t::string: return "a string";
    case Json::value_t::array: return "a list";
    case Json::value_t::object: return "a map";
    default: return "a value";
  }
}

// ---- The parser -----------------------------------------------------------------------------

struct Entry {
  Json value;
  Origin origin;
};

// A repository Secret (shape 3 with a secret-type label), read after the keys.
struct RepoSecret {
  std::map<std::string, std::string> data;
  bool prefix = false;
  Origin origin;
  std::string name;
};

class SettingsParser {
 public:
  // Adds one document of a stream.
  Status add_document(const Json& doc, const Origin& origin) {
    if (!doc.is_object()) {
      return Status::Invalid(where(origin, "") + ": settings must be a map of keys, not " + type_phrase(doc));
    }
    auto kind = doc.find("kind");
    if (kind == doc.end()) {
      for (const auto& [k, v] : doc.items()) add_key(k, v, child(origin, {k}), 0);
      return Status::Ok();
    }
    if (!kind->is_string()) return Status::Ok();  // not ours
    const std::string& k = kind->get_ref<const std::string&>();
    if (k.ends_with("List")) {
      auto items = doc.find("items");
      if (items == doc.end() || !items->is_array()) return Status::Ok();
      for (size_t i = 0; i < items->size(); ++i) {
        const Json& item = (*items)[i];
        Origin o = child(child(origin, {"items"}), {"", static_cast<int>(i)});
        if (!item.is_object()) continue;
        if (!item.contains("kind")) {
          Json with_kind = item;
          with_kind["kind"] = k.substr(0, k.size() - 4);
          if (Status s = add_document(with_kind, o); !s.ok()) return s;
        } else if (Status s = add_document(item, o); !s.ok()) {
          return s;
        }
      }
      return Status::Ok();
    }
    if (k == "ConfigMap") return add_config_map(doc, origin);
    if (k == "Secret") return add_secret(doc, origin);
    return Status::Ok();  // some other object in the same file (a Deployment, a CRD, ...)
  }

  // Adds one key file of a directory.
  void add_file_key(const std::string& key, std::string content, const std::string& file) {
    Origin o;
    o.source = file;
    o.whole_file = true;
    entries_[key] = Entry{Json(std::move(content)), std::move(o)};
  }

  Result<Settings> finish() {
    Settings out;
    std::map<std::string, AccountSetting> accounts;
    std::map<std::string, std::pair<std::string, Origin>> extra_policies;  // policy.<x>.csv
    const Entry* repositories = nullptr;
    const Entry* templates = nullptr;
    for (const auto& [key, entry] : entries_) {
      const Json& v = entry.value;
      if (v.is_null()) continue;  // Kubernetes reads an explicit null as absent
      Status s;
      if (key == "webhook.github.secret") {
        s = secret(entry, key, out.webhook_github_secret);
      } else if (key == "webhook.gitlab.secret") {
        s = secret(entry, key, out.webhook_gitlab_secret);
      } else if (key == "webhook.gogs.secret" || key == "webhook.gitea.secret") {
        // Gitea signs like Gogs; `webhook.gogs.secret` (Argo CD's name) wins when both are set.
        if (key == "webhook.gogs.secret" || !entries_.count("webhook.gogs.secret"))
          s = secret(entry, key, out.webhook_gogs_secret);
      } else if (key == "webhook.bitbucket.uuid") {
        s = secret(entry, key, out.webhook_bitbucket_uuid);
      } else if (key == "webhook.bitbucket.secret") {
        s = secret(entry, key, out.webhook_bitbucket_secret);
      } else if (key == "webhook.bitbucketserver.secret") {
        s = secret(entry, key, out.webhook_bitbucket_server_secret);
      } else if (key == "webhook.maxPayloadSizeMB") {
        int64_t mb = 0;
        s = integer(entry, key, mb);
        if (s.ok() && (mb < 1 || mb > kMaxPayloadMegabytes)) {
          s = invalid_at(entry.origin, key, "must be between 1 and " + std::to_string(kMaxPayloadMegabytes));
        }
        if (s.ok()) out.webhook_max_payload_bytes = mb * 1024 * 1024;
      } else if (key == "admin.enabled") {
        s = boolean(entry, key, out.admin_enabled);
      } else if (key.starts_with("accounts.")) {
        s = account(entry, key, accounts);
      } else if (key.starts_with(kPolicyGatesPrefix)) {
        s = policy_gate(entry, key, out.policy_gates);
      } else if (key == "policy.csv") {
        s = text(entry, key, out.policy_csv);
      } else if (key.starts_with("policy.") && key.ends_with(".csv") && key.size() > 11) {
        std::string csv;
        s = text(entry, key, csv);
        extra_policies[key] = {std::move(csv), entry.origin};
      } else if (key == "policy.default") {
        s = text(entry, key, out.policy_default);
        out.policy_default = trim(out.policy_default);
      } else if (key == "policy.matchMode") {
        std::string mode;
        s = text(entry, key, mode);
        // Regex mode would read every pattern differently; silently matching them as globs
        // could let a deny rule miss, so it is refused.
        if (s.ok() && trim(mode) != "glob" && !trim(mode).empty()) {
          s = invalid_at(entry.origin, key, "only \"glob\" is supported");
        }
      } else if (key == "users.session.duration") {
        s = session_duration(entry, key, out.session_duration);
      } else if (key == "accounts") {
        s = invalid_at(entry.origin, key, "must be a map of account names to capabilities");
      } else if (key == "repositories") {
        repositories = &entry;
      } else if (key == "repository.credentials") {
        templates = &entry;
      }
      if (!s.ok()) return s;
    }
    for (const auto& [key, csv] : extra_policies) {
      if (!out.policy_csv.empty() && !out.policy_csv.ends_with('\n')) out.policy_csv += '\n';
      out.policy_csv += csv.first;
    }
    for (auto& [name, a] : accounts) out.accounts.push_back(std::move(a));
    if (repositories) {
      if (Status s = repository_list(*repositories, "repositories", false, out.repositories); !s.ok()) return s;
    }
    for (const auto& rs : repo_secrets_) {
      if (Status s = repository_secret(rs, out.repositories); !s.ok()) return s;
    }
    if (templates) {
      if (Status s = repository_list(*templates, "repository.credentials", true, out.repositories); !s.ok())
        return s;
    }
    out.secret_files = secret_files_;
    return out;
  }

 private:
  // Flattens nested maps into Argo CD's dotted keys: webhook: {github: {secret: x}} is
  // webhook.github.secret. Values under accounts.<name> stay whole (an account's own map).
  void add_key(const std::string& key, const Json& value, const Origin& origin, int depth) {
    if (key.empty()) return;
    if (value.is_object() && depth < kMaxFlattenDepth && !key.starts_with("accounts.")) {
      for (const auto& [k, v] : value.items()) {
        std::string name = key == "rbac" ? (k.starts_with("policy.") ? k : "policy." + k) : key + "." + k;
        add_key(name, v, child(origin, {k}), depth + 1);
      }
      return;
    }
    entries_[key] = Entry{value, origin};
  }

  Status add_config_map(const Json& doc, const Origin& origin) {
    for (const char* field : {"data", "binaryData"}) {
      auto data = doc.find(field);
      if (data == doc.end() || data->is_null()) continue;
      if (!data->is_object()) {
        return invalid_at(child(origin, {field}), field, std::string("must be a map, not ") + type_phrase(*data));
      }
      bool binary = std::string_view(field) == "binaryData";
      for (const auto& [k, v] : data->items()) {
        Origin o = child(child(origin, {field}), {k});
        if (binary) {
          std::string decoded;
          if (!v.is_string() || !base64_decode(v.get_ref<const std::string&>(), decoded))
            return invalid_at(o, k, "binaryData values must be base64");
          entries_[k] = Entry{Json(std::move(decoded)), o};
        } else {
          entries_[k] = Entry{v, o};
        }
      }
    }
    return Status::Ok();
  }

  Status add_secret(const Json& doc, const Origin& origin) {
    std::map<std::string, std::pair<std::string, Origin>> values;
    auto data = doc.find("data");
    if (data != doc.end() && !data->is_null()) {
      if (!data->is_object()) return invalid_at(child(origin, {"data"}), "data", "must be a map");
      for (const auto& [k, v] : data->items()) {
        Origin o = child(child(origin, {"data"}), {k});
        std::string decoded;
        if (v.is_null()) continue;
        if (!v.is_string() || !base64_decode(v.get_ref<const std::string&>(), decoded)) {
          return invalid_at(o, k, "Secret data values must be base64");
        }
        values[k] = {std::move(decoded), o};
      }
    }
    auto string_data = doc.find("stringData");  // written over data, as the API server does
    if (string_data != doc.end() && !string_data->is_null()) {
      if (!string_data->is_object()) return invalid_at(child(origin, {"stringData"}), "stringData", "must be a map");
      for (const auto& [k, v] : string_data->items()) {
        Origin o = child(child(origin, {"stringData"}), {k});
        if (v.is_null()) continue;
        if (!v.is_string()) return invalid_at(o, k, std::string("must be a string, not ") + type_phrase(v));
        values[k] = {v.get<std::string>(), o};
      }
    }
    std::string name;
    std::string secret_type;
    if (auto meta = doc.find("metadata"); meta != doc.end() && meta->is_object()) {
      if (auto n = meta->find("name"); n != meta->end() && n->is_string()) name = n->get<std::string>();
      if (auto labels = meta->find("labels"); labels != meta->end() && labels->is_object()) {
        if (auto t = labels->find(kSecretTypeLabel); t != labels->end() && t->is_string())
          secret_type = t->get<std::string>();
      }
    }
    auto& named = secrets_[name];
    for (const auto& [k, v] : values) named[k] = v.first;
    if (secret_type.empty()) {
      for (auto& [k, v] : values) entries_[k] = Entry{Json(std::move(v.first)), std::move(v.second)};
    } else if (secret_type == "repository" || secret_type == "repo-creds") {
      RepoSecret rs;
      for (auto& [k, v] : values) rs.data[k] = std::move(v.first);
      rs.prefix = secret_type == "repo-creds";
      rs.origin = origin;
      rs.name = name;
      repo_secrets_.push_back(std::move(rs));
    }
    // Other types (cluster, repository-write, ...) are not settings.
    return Status::Ok();
  }

  // ---- Typed reads of entries ----

  Status text(const Entry& e, const std::string& key, std::string& out) {
    if (!e.value.is_string()) {
      return invalid_at(e.origin, key, std::string("must be a string, not ") + type_phrase(e.value));
    }
    out = e.value.get<std::string>();
    return Status::Ok();
  }

  // A secret: a string, or `file:/path`. A key file of a directory loses one trailing newline,
  // as `file:` does (`echo s > dir/webhook.github.secret` means "s").
  Status secret(const Entry& e, const std::string& key, std::string& out) {
    if (!e.value.is_string()) {
      return invalid_at(e.origin, key,
                        std::string("must be a string (quote it), not ") + type_phrase(e.value));
    }
    std::string raw = e.value.get<std::string>();
    if (e.origin.whole_file) raw = drop_one_newline(std::move(raw));
    auto value = secret_text(raw, e.origin, key);
    if (!value.ok()) return value.status();
    out = std::move(*value);
    return Status::Ok();
  }

  Result<std::string> secret_text(const std::string& value, const Origin& origin, const std::string& key) {
    if (!value.starts_with("file:")) return value;
    std::string path = trim(std::string_view(value).substr(5));
    if (path.empty()) return invalid_at(origin, key, "file: needs a path");
    if (std::find(secret_files_.begin(), secret_files_.end(), path) == secret_files_.end())
      secret_files_.push_back(path);
    auto content = read_limited(path, kMaxSecretFileBytes, "secret file");
    if (!content.ok()) return Status(content.status().reason(), where(origin, key) + ": " + content.status().message());
    return drop_one_newline(std::move(*content));
  }

  // policy.gates.<default|check-id>: off|warn|deny (a plain `off` reads as YAML's false).
  Status policy_gate(const Entry& e, const std::string& key, std::map<std::string, std::string>& out) {
    std::string level;
    if (e.value.is_boolean() && !e.value.get<bool>()) {
      level = std::string(kPolicyLevels[0]);
    } else if (Status s = text(e, key, level); !s.ok()) {
      return s;
    }
    std::map<std::string, std::string> one = {{key.substr(kPolicyGatesPrefix.size()), trim(level)}};
    std::vector<StatusCause> causes;
    validate_policy_map(one, "policy.gates", causes);
    if (!causes.empty()) return invalid_at(e.origin, key, causes.front().message.substr(key.size() + 2));
    out.insert(one.begin(), one.end());
    return Status::Ok();
  }

  Status boolean(const Entry& e, const std::string& key, bool& out) { return boolean_value(e.value, e.origin, key, out); }

  Status boolean_value(const Json& v, const Origin& origin, const std::string& key, bool& out) {
    if (v.is_boolean()) {
      out = v.get<bool>();
      return Status::Ok();
    }
    if (v.is_string() && parse_bool_text(trim(v.get_ref<const std::string&>()), out)) return Status::Ok();
    return invalid_at(origin, key, "must be true or false");
  }

  Status integer(const Entry& e, const std::string& key, int64_t& out) {
    if (e.value.is_number_integer()) {
      out = e.value.get<int64_t>();
      return Status::Ok();
    }
    if (e.value.is_string()) {
      std::string t = trim(e.value.get_ref<const std::string&>());
      auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), out);
      if (ec == std::errc() && ptr == t.data() + t.size() && !t.empty()) return Status::Ok();
    }
    return invalid_at(e.origin, key, "must be an integer");
  }

  Status session_duration(const Entry& e, const std::string& key, std::chrono::seconds& out) {
    if (!e.value.is_string()) return invalid_at(e.origin, key, "must be a duration such as \"24h\"");
    auto d = parse_duration(trim(e.value.get_ref<const std::string&>()));
    if (!d.ok() || d->count() < 1000) {
      return invalid_at(e.origin, key, "must be a positive duration of at least 1s, such as \"24h\"");
    }
    out = std::chrono::duration_cast<std::chrono::seconds>(*d);
    return Status::Ok();
  }

  // accounts.<name> (capabilities, or a map {capabilities, enabled}), accounts.<name>.enabled.
  // Argo CD keeps accounts.<name>.password/.passwordMtime/.tokens in argocd-secret; Ferry keeps
  // passwords and tokens in its store, so those keys are skipped.
  Status account(const Entry& e, const std::string& key, std::map<std::string, AccountSetting>& accounts) {
    std::string name = key.substr(9);
    for (const char* skipped : {".password", ".passwordMtime", ".tokens"}) {
      if (name.ends_with(skipped)) return Status::Ok();
    }
    bool enabled_only = name.ends_with(".enabled");
    if (enabled_only) name.resize(name.size() - 8);
    if (Status s = check_account_name(name, e.origin, key); !s.ok()) return s;
    if (name == "admin") return Status::Ok();  // built in; see admin.enabled
    AccountSetting& a = accounts[name];
    a.name = name;
    if (enabled_only) return boolean(e, key, a.enabled);
    const Json* caps = &e.value;
    if (e.value.is_object()) {
      caps = nullptr;
      for (const auto& [k, v] : e.value.items()) {
        if (k == "capabilities") {
          caps = &v;
        } else if (k == "enabled" && !v.is_null()) {
          if (Status s = boolean_value(v, child(e.origin, {k}), key + ".enabled", a.enabled); !s.ok()) return s;
        }
      }
      if (caps == nullptr) return Status::Ok();
    }
    a.capabilities.clear();
    std::vector<std::string> names;
    if (caps->is_string()) {
      std::string_view list = caps->get_ref<const std::string&>();
      while (!list.empty()) {
        size_t comma = list.find(',');
        std::string item = trim(list.substr(0, comma));
        if (!item.empty()) names.push_back(std::move(item));
        list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
      }
    } else if (caps->is_array()) {
      for (const auto& c : *caps) {
        if (!c.is_string()) return invalid_at(e.origin, key, "capabilities must be strings");
        names.push_back(trim(c.get_ref<const std::string&>()));
      }
    } else if (!caps->is_null()) {
      return invalid_at(e.origin, key,
                        std::string("must list capabilities (login, apiKey), not ") + type_phrase(*caps));
    }
    for (auto& c : names) {
      if (c != kCapabilityLogin && c != kCapabilityApiKey) {
        return invalid_at(e.origin, key, "unknown capability \"" + c + "\" (want login or apiKey)");
      }
      if (std::find(a.capabilities.begin(), a.capabilities.end(), c) == a.capabilities.end())
        a.capabilities.push_back(std::move(c));
    }
    return Status::Ok();
  }

  // Account names appear in policy lines and audit events: no separators of either.
  static Status check_account_name(const std::string& name, const Origin& origin, const std::string& key) {
    if (name.empty() || name.size() > 253) return invalid_at(origin, key, "account name must have 1 to 253 characters");
    for (unsigned char c : name) {
      if (c <= ' ' || c == 0x7f || c == ',' || c == ':' || c == '/' || c == '#' || c == '"') {
        return invalid_at(origin, key, "account name may not contain spaces, control characters or , : / # \"");
      }
    }
    return Status::Ok();
  }

  // `repositories` / `repository.credentials`: a list, or a YAML string holding one (argocd-cm).
  Status repository_list(const Entry& e, const std::string& key, bool prefix, std::vector<RepositoryCredential>& out) {
    Json list;
    if (e.value.is_string()) {
      auto docs = yaml::parse_stream(e.value.get_ref<const std::string&>(), key);
      if (!docs.ok()) return invalid_at(e.origin, "", scrub_quotes(docs.status().message()));
      if (docs->size() > 1) return invalid_at(e.origin, key, "must be one YAML list");
      if (docs->empty()) return Status::Ok();
      list = std::move((*docs)[0].value);
    } else {
      list = e.value;
    }
    if (list.is_null()) return Status::Ok();
    if (!list.is_array()) return invalid_at(e.origin, key, std::string("must be a list, not ") + type_phrase(list));
    // Items of an embedded YAML string cannot be located in the file; their errors carry the
    // line of the key and the item's index.
    bool embedded = e.value.is_string();
    for (size_t i = 0; i < list.size(); ++i) {
      std::string item_key = key + "[" + std::to_string(i) + "]";
      Origin o = embedded ? e.origin : child(e.origin, {"", static_cast<int>(i)});
      auto cred = repository_item(list[i], o, item_key, prefix);
      if (!cred.ok()) return cred.status();
      out.push_back(std::move(*cred));
    }
    return Status::Ok();
  }

  Result<RepositoryCredential> repository_item(const Json& item, const Origin& origin, const std::string& key,
                                               bool prefix) {
    if (!item.is_object()) return invalid_at(origin, key, std::string("must be a map, not ") + type_phrase(item));
    RepositoryCredential c;
    c.prefix = prefix;
    bool insecure_ignore = false;
    for (const auto& [k, v] : item.items()) {
      if (v.is_null()) continue;
      std::string field_key = key + "." + k;
      const Origin field_origin = child(origin, {k});
      Status s;
      if (k == "url") {
        if (!v.is_string()) return invalid_at(field_origin, field_key, "must be a string");
        c.url = trim(v.get_ref<const std::string&>());
      } else if (k == "username" || k == "password" || k == "sshPrivateKey" || k == "sshPassphrase") {
        if (!v.is_string()) return invalid_at(field_origin, field_key, "must be a string (quote it)");
        auto value = secret_text(v.get<std::string>(), field_origin, field_key);
        if (!value.ok()) return value.status();
        credential_field(c, k) = std::move(*value);
      } else if (k == "usernameSecret" || k == "passwordSecret" || k == "sshPrivateKeySecret" ||
                 k == "sshPassphraseSecret") {
        auto value = secret_reference(v, field_origin, field_key);
        if (!value.ok()) return value.status();
        credential_field(c, k.substr(0, k.size() - 6)) = std::move(*value);
      } else if (k == "insecureIgnoreHostKey") {
        s = boolean_value(v, field_origin, field_key, insecure_ignore);
      } else if (k == "insecure") {
        s = boolean_value(v, field_origin, field_key, c.insecure);
      } else if (k == "prefix") {
        s = boolean_value(v, field_origin, field_key, c.prefix);
      }
      if (!s.ok()) return s;
    }
    if (c.url.empty()) return invalid_at(origin, key, "needs a url");
    c.insecure_ignore_host_key = insecure_ignore || (c.insecure && is_ssh_url(c.url));
    return c;
  }

  static bool is_ssh_url(std::string_view url) {
    if (url.starts_with("ssh://")) return true;
    // scp-like "git@host:path": a user@host before the first ':' and no scheme.
    size_t colon = url.find(':');
    size_t at = url.find('@');
    return url.find("://") == std::string_view::npos && colon != std::string_view::npos && at != std::string_view::npos &&
           at < colon;
  }

  static std::string& credential_field(RepositoryCredential& c, const std::string& name) {
    if (name == "username") return c.username;
    if (name == "password") return c.password;
    if (name == "sshPrivateKey") return c.ssh_private_key;
    return c.ssh_passphrase;
  }

  // Argo CD's `passwordSecret: {name: repo-secret, key: password}`: a Secret of the same
  // settings file. Errors name the Secret and key, never a value.
  Result<std::string> secret_reference(const Json& ref, const Origin& origin, const std::string& key) {
    if (!ref.is_object() || !ref.contains("key") || !ref["key"].is_string()) {
      return invalid_at(origin, key, "must be {name: <Secret>, key: <key>}");
    }
    std::string name = ref.contains("name") && ref["name"].is_string() ? ref["name"].get<std::string>() : "";
    const std::string& k = ref["key"].get_ref<const std::string&>();
    auto secret = secrets_.find(name);
    if (secret == secrets_.end()) {
      return invalid_at(origin, key, "Secret \"" + name + "\" is not in the settings");
    }
    auto value = secret->second.find(k);
    if (value == secret->second.end()) {
      return invalid_at(origin, key, "Secret \"" + name + "\" has no key \"" + k + "\"");
    }
    return value->second;
  }

  Status repository_secret(const RepoSecret& rs, std::vector<RepositoryCredential>& out) {
    Json item = Json::object();
    for (const auto& [k, v] : rs.data) item[k] = v;
    std::string key = "Secret \"" + rs.name + "\"";
    auto cred = repository_item(item, rs.origin, key, rs.prefix);
    if (!cred.ok()) return cred.status();
    out.push_back(std::move(*cred));
    return Status::Ok();
  }

  std::map<std::string, Entry> entries_;
  std::map<std::string, std::map<std::string, std::string>> secrets_;  // Secret name -> key -> value
  std::vector<RepoSecret> repo_secrets_;
  std::vector<std::string> secret_files_;
};

// ---- Directories ----------------------------------------------------------------------------

// The folder whose files are the keys. Kubernetes mounts a ConfigMap or Secret as
//   dir/..2024_05_01_10_00_00.123/<key>   the files of one version
//   dir/..data -> ..2024_05_01_...         swapped atomically on update
//   dir/<key> -> ..data/<key>
// Reading through the resolved ..data once gives one consistent version even mid-update.
fs::path key_folder(const fs::path& dir) {
  std::error_code ec;
  fs::path data = dir / "..data";
  if (fs::is_directory(data, ec)) {
    fs::path resolved = fs::canonical(data, ec);
    if (!ec) return resolved;
  }
  return dir;
}

// The regular files of a key folder, by name; dotfiles (and Kubernetes' ..* entries) skipped.
Result<std::vector<fs::path>> key_files(const fs::path& folder) {
  std::vector<fs::path> out;
  std::error_code ec;
  fs::directory_iterator it(folder, ec);
  if (ec) return Status::Internal("cannot list settings directory " + folder.string() + ": " + ec.message());
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) return Status::Internal("cannot list settings directory " + folder.string() + ": " + ec.message());
    std::string name = it->path().filename().string();
    if (name.empty() || name[0] == '.') continue;
    std::error_code st_ec;
    if (!fs::is_regular_file(it->path(), st_ec)) continue;  // follows symlinks; skips dangling ones
    out.push_back(it->path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// FNV-1a, 64 bits: a change detector, not a security check.
void fnv(uint64_t& h, std::string_view bytes) {
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ull;
  }
  h ^= 0xff;  // a field separator, so ("ab","c") and ("a","bc") differ
  h *= 1099511628211ull;
}

void fingerprint_file(uint64_t& h, const std::string& path) {
  fnv(h, path);
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    fnv(h, "missing");
    return;
  }
  fnv(h, std::to_string(st.st_size) + "/" + std::to_string(st.st_mtim.tv_sec) + "." +
             std::to_string(st.st_mtim.tv_nsec));
  if (!S_ISREG(st.st_mode)) return;
  std::ifstream in(path, std::ios::binary);
  char buf[65536];
  uint64_t content = 14695981039346656037ull;
  while (in) {
    in.read(buf, sizeof buf);
    fnv(content, std::string_view(buf, static_cast<size_t>(in.gcount())));
  }
  fnv(h, std::to_string(content));
}

std::string strip_repo_suffix(std::string url) {
  url = lower(url);
  while (url.ends_with('/')) url.pop_back();
  if (url.ends_with(".git")) url.resize(url.size() - 4);
  return url;
}

}  // namespace

Result<Settings> parse_settings(std::string_view yaml, std::string_view source_name) {
  auto docs = yaml::parse_stream(yaml, source_name);
  if (!docs.ok()) return Status::Invalid(scrub_quotes(docs.status().message()));
  auto text = std::make_shared<const std::string>(yaml);
  SettingsParser parser;
  for (const auto& doc : *docs) {
    Origin origin;
    origin.source = std::string(source_name);
    origin.text = text;
    origin.doc_line = doc.line;
    if (Status s = parser.add_document(doc.value, origin); !s.ok()) return s;
  }
  return parser.finish();
}

Result<Settings> load_settings(const std::string& path) {
  std::error_code ec;
  fs::file_status st = fs::status(path, ec);
  if (ec || !fs::exists(st)) return Status::NotFound("settings " + path + " not found");
  if (!fs::is_directory(st)) {
    auto text = read_limited(path, kMaxSettingsFileBytes, "settings file");
    if (!text.ok()) return text.status();
    return parse_settings(*text, path);
  }
  auto files = key_files(key_folder(path));
  if (!files.ok()) return files.status();
  SettingsParser parser;
  for (const auto& file : *files) {
    std::string key = file.filename().string();
    std::string shown = (fs::path(path) / key).string();  // the path users mounted, not ..2024_...
    auto content = read_limited(file.string(), kMaxSecretFileBytes, "settings key file");
    if (!content.ok()) return Status(content.status().reason(), shown + ": " + content.status().message());
    parser.add_file_key(key, std::move(*content), shown);
  }
  return parser.finish();
}

Result<std::string> settings_fingerprint(const std::string& path, const std::vector<std::string>& extra) {
  uint64_t h = 14695981039346656037ull;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    fs::path folder = key_folder(path);
    fnv(h, folder.string());  // a new ..2024_... version is a change by itself
    auto files = key_files(folder);
    if (!files.ok()) return files.status();
    for (const auto& f : *files) fingerprint_file(h, f.string());
  } else {
    fingerprint_file(h, path);
  }
  for (const auto& f : extra) fingerprint_file(h, f);
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return std::string(hex);
}

const RepositoryCredential* find_repository_credential(const Settings& settings, std::string_view url) {
  std::string wanted = strip_repo_suffix(std::string(url));
  for (const auto& c : settings.repositories) {
    if (!c.prefix && strip_repo_suffix(c.url) == wanted) return &c;
  }
  const RepositoryCredential* best = nullptr;
  std::string lowered = lower(url);
  for (const auto& c : settings.repositories) {
    if (!c.prefix || c.url.empty()) continue;
    if (lowered.starts_with(lower(c.url)) && (best == nullptr || c.url.size() > best->url.size())) best = &c;
  }
  return best;
}

}  // namespace ferry::apis
