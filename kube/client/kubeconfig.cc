#include "kube/client/kubeconfig.h"

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "apis/types/base64.h"
#include "apis/types/yaml_codec.h"

namespace ferry::kube {
namespace {

bool read_whole_file(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

std::string dir_of(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string resolve(const std::string& base_dir, const std::string& path) {
  if (path.empty() || path[0] == '/') return path;
  if (path.rfind("~/", 0) == 0) {
    const char* home = std::getenv("HOME");
    return std::string(home ? home : "") + path.substr(1);
  }
  return base_dir + "/" + path;
}

// One named entry of clusters/users/contexts, with the file it came from.
struct Entry {
  Json value;
  std::string source;
  std::string base_dir;
};

struct Merged {
  std::map<std::string, Entry> clusters, users, contexts;
  std::string current_context;
  std::string sources;  // for messages: "a, b"
};

Status merge_one(const Json& doc, const std::string& source, const std::string& base_dir, Merged& merged) {
  if (doc.is_null()) return Status::Ok();
  if (!doc.is_object()) return Status::Invalid("kubeconfig " + source + ": not a mapping");
  if (merged.current_context.empty() && doc.contains("current-context") && doc["current-context"].is_string()) {
    merged.current_context = doc["current-context"].get<std::string>();
  }
  struct Section {
    const char* list;
    const char* item;
    std::map<std::string, Entry>* into;
  };
  for (const Section& s : {Section{"clusters", "cluster", &merged.clusters}, Section{"users", "user", &merged.users},
                           Section{"contexts", "context", &merged.contexts}}) {
    if (!doc.contains(s.list) || doc[s.list].is_null()) continue;
    if (!doc[s.list].is_array()) return Status::Invalid("kubeconfig " + source + ": " + s.list + " is not a list");
    for (const Json& item : doc[s.list]) {
      if (!item.is_object() || !item.contains("name") || !item["name"].is_string()) {
        return Status::Invalid("kubeconfig " + source + ": an entry of " + s.list + " has no name");
      }
      std::string name = item["name"].get<std::string>();
      Json body = item.contains(s.item) ? item[s.item] : Json::object();
      if (body.is_null()) body = Json::object();
      if (!body.is_object()) {
        return Status::Invalid("kubeconfig " + source + ": " + s.item + " \"" + name + "\" is not a mapping");
      }
      s.into->emplace(name, Entry{body, source, base_dir});  // first wins
    }
  }
  return Status::Ok();
}

std::string str(const Json& obj, const char* key) {
  if (!obj.contains(key) || !obj[key].is_string()) return "";
  return obj[key].get<std::string>();
}

bool flag(const Json& obj, const char* key) {
  return obj.contains(key) && obj[key].is_boolean() && obj[key].get<bool>();
}

// Reads `<key>-data` (base64) or `<key>` (a file) of `obj` into `out`.
Status data_or_file(const Json& obj, const std::string& key, const std::string& what, const Entry& entry,
                    std::string& out) {
  std::string data = str(obj, (key + "-data").c_str());
  if (!data.empty()) {
    if (!base64_decode(data, out, /*skip_blanks=*/true)) return Status::Invalid(what + ": " + key + "-data is not valid base64");
    return Status::Ok();
  }
  std::string file = str(obj, key.c_str());
  if (!file.empty()) {
    std::string path = resolve(entry.base_dir, file);
    if (!read_whole_file(path, out)) return Status::NotFound(what + ": cannot read " + key + " " + path);
  }
  return Status::Ok();
}

Result<RestConfig> resolve_config(const Merged& merged, const std::string& wanted_context) {
  std::string context_name = wanted_context.empty() ? merged.current_context : wanted_context;
  const std::string where = "kubeconfig " + merged.sources;
  if (context_name.empty()) return Status::Invalid(where + ": no context given and current-context is not set");
  auto ctx = merged.contexts.find(context_name);
  if (ctx == merged.contexts.end()) {
    return Status::NotFound(where + ": context \"" + context_name + "\" not found");
  }
  std::string cluster_name = str(ctx->second.value, "cluster");
  std::string user_name = str(ctx->second.value, "user");
  if (cluster_name.empty()) return Status::Invalid(where + ": context \"" + context_name + "\" names no cluster");
  auto cluster = merged.clusters.find(cluster_name);
  if (cluster == merged.clusters.end()) {
    return Status::NotFound(where + ": cluster \"" + cluster_name + "\" (of context \"" + context_name +
                            "\") not found");
  }
  RestConfig config;
  std::string ns = str(ctx->second.value, "namespace");
  if (!ns.empty()) config.namespace_ = ns;

  const Json& c = cluster->second.value;
  const std::string cwhat = "cluster \"" + cluster_name + "\"";
  config.server = str(c, "server");
  if (config.server.empty()) return Status::Invalid(cwhat + ": server is not set");
  while (!config.server.empty() && config.server.back() == '/') config.server.pop_back();
  if (config.server.rfind("https://", 0) != 0 && config.server.rfind("http://", 0) != 0) {
    return Status::Invalid(cwhat + ": server \"" + config.server + "\" is not an http(s) URL");
  }
  config.insecure = flag(c, "insecure-skip-tls-verify");
  config.tls_server_name = str(c, "tls-server-name");
  if (Status s = data_or_file(c, "certificate-authority", cwhat, cluster->second, config.ca_pem); !s.ok()) return s;

  if (user_name.empty()) return config;  // anonymous
  auto user = merged.users.find(user_name);
  if (user == merged.users.end()) {
    return Status::NotFound(where + ": user \"" + user_name + "\" (of context \"" + context_name + "\") not found");
  }
  const Json& u = user->second.value;
  const std::string uwhat = "user \"" + user_name + "\"";
  config.token = str(u, "token");
  std::string token_file = str(u, "tokenFile");
  if (!token_file.empty()) {
    config.token_file = resolve(user->second.base_dir, token_file);
    std::string probe;
    if (!read_whole_file(config.token_file, probe)) {
      return Status::NotFound(uwhat + ": cannot read tokenFile " + config.token_file);
    }
  }
  if (Status s = data_or_file(u, "client-certificate", uwhat, user->second, config.client_cert_pem); !s.ok()) return s;
  if (Status s = data_or_file(u, "client-key", uwhat, user->second, config.client_key_pem); !s.ok()) return s;
  if (config.client_cert_pem.empty() != config.client_key_pem.empty()) {
    return Status::Invalid(uwhat + ": client-certificate and client-key must be given together");
  }
  config.username = str(u, "username");
  config.password = str(u, "password");
  if (u.contains("exec") && !u["exec"].is_null()) {
    const Json& e = u["exec"];
    if (!e.is_object()) return Status::Invalid(uwhat + ": exec is not a mapping");
    config.exec.api_version = str(e, "apiVersion");
    config.exec.command = str(e, "command");
    if (config.exec.command.empty()) return Status::Invalid(uwhat + ": exec.command is not set");
    if (config.exec.api_version != "client.authentication.k8s.io/v1" &&
        config.exec.api_version != "client.authentication.k8s.io/v1beta1") {
      return Status::Invalid(uwhat + ": exec.apiVersion \"" + config.exec.api_version +
                             "\" is not supported (want client.authentication.k8s.io/v1 or v1beta1)");
    }
    if (e.contains("args") && e["args"].is_array()) {
      for (const Json& a : e["args"]) {
        if (!a.is_string()) return Status::Invalid(uwhat + ": exec.args must be strings");
        config.exec.args.push_back(a.get<std::string>());
      }
    }
    if (e.contains("env") && e["env"].is_array()) {
      for (const Json& v : e["env"]) {
        std::string name = v.is_object() ? str(v, "name") : "";
        if (name.empty()) return Status::Invalid(uwhat + ": an exec.env entry has no name");
        config.exec.env.emplace_back(name, str(v, "value"));
      }
    }
    // A relative command path with a slash is relative to the kubeconfig, as in client-go.
    if (config.exec.command.find('/') != std::string::npos) {
      config.exec.command = resolve(user->second.base_dir, config.exec.command);
    }
  }
  return config;
}

Status parse_into(const std::string& text, const std::string& source, const std::string& base_dir, Merged& merged) {
  auto docs = yaml::parse_stream(text, source);
  if (!docs.ok()) return Status::Invalid("kubeconfig " + source + ": " + docs.status().message());
  if (docs->empty()) return Status::Ok();
  return merge_one(docs->front().value, source, base_dir, merged);
}

}  // namespace


Result<RestConfig> load_kubeconfig_text(const std::string& text, const std::string& source, const std::string& context,
                                        const std::string& base_dir) {
  Merged merged;
  merged.sources = source;
  if (Status s = parse_into(text, source, base_dir, merged); !s.ok()) return s;
  return resolve_config(merged, context);
}

Result<RestConfig> load_kubeconfig(const std::vector<std::string>& paths, const std::string& context) {
  if (paths.empty()) return Status::Invalid("kubeconfig: no files given");
  Merged merged;
  int read = 0;
  for (const std::string& path : paths) {
    std::string text;
    if (!read_whole_file(path, text)) {
      if (paths.size() == 1) return Status::NotFound("kubeconfig " + path + ": cannot read the file");
      continue;  // KUBECONFIG tolerates missing entries
    }
    ++read;
    merged.sources += (merged.sources.empty() ? "" : ", ") + path;
    if (Status s = parse_into(text, path, dir_of(path), merged); !s.ok()) return s;
  }
  if (read == 0) {
    std::string all;
    for (const auto& p : paths) all += (all.empty() ? "" : ":") + p;
    return Status::NotFound("kubeconfig " + all + ": none of the files can be read");
  }
  return resolve_config(merged, context);
}

Result<RestConfig> load_in_cluster(const std::string& service_account_dir) {
  const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
  const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
  if (!host || !*host || !port || !*port) {
    return Status::NotFound("in-cluster config: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set");
  }
  RestConfig config;
  std::string h = host;
  if (h.find(':') != std::string::npos) h = "[" + h + "]";  // IPv6
  config.server = "https://" + h + ":" + port;
  config.token_file = service_account_dir + "/token";
  if (!read_whole_file(config.token_file, config.token)) {
    return Status::NotFound("in-cluster config: cannot read " + config.token_file);
  }
  while (!config.token.empty() && (config.token.back() == '\n' || config.token.back() == '\r')) config.token.pop_back();
  if (!read_whole_file(service_account_dir + "/ca.crt", config.ca_pem)) {
    return Status::NotFound("in-cluster config: cannot read " + service_account_dir + "/ca.crt");
  }
  std::string ns;
  if (read_whole_file(service_account_dir + "/namespace", ns)) {
    while (!ns.empty() && (ns.back() == '\n' || ns.back() == ' ')) ns.pop_back();
    if (!ns.empty()) config.namespace_ = ns;
  }
  return config;
}

std::vector<std::string> default_kubeconfig_paths() {
  std::vector<std::string> paths;
  const char* env = std::getenv("KUBECONFIG");
  if (env && *env) {
    std::string all = env;
    size_t start = 0;
    while (start <= all.size()) {
      size_t end = all.find(':', start);
      if (end == std::string::npos) end = all.size();
      if (end > start) paths.push_back(all.substr(start, end - start));
      start = end + 1;
    }
    if (!paths.empty()) return paths;
  }
  const char* home = std::getenv("HOME");
  paths.push_back(std::string(home ? home : "") + "/.kube/config");
  return paths;
}

Result<RestConfig> load_default(const std::string& context) {
  const char* env = std::getenv("KUBECONFIG");
  if (!(env && *env)) {
    const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
    // FERRY_SERVICEACCOUNT_DIR stands in for the mounted service-account folder (tests, or a
    // token projected elsewhere).
    const char* sa_dir = std::getenv("FERRY_SERVICEACCOUNT_DIR");
    if (host && *host) return load_in_cluster(sa_dir && *sa_dir ? sa_dir : kServiceAccountDir);
  }
  return load_kubeconfig(default_kubeconfig_paths(), context);
}

}  // namespace ferry::kube
