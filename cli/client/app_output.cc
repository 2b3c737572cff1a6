#include "cli/client/app_output.h"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <iterator>
#include <optional>
#include <set>
#include <tuple>

#include "cli/client/table.h"

namespace ferry::cli {
namespace {

const Json* find_path(const Json& value, std::initializer_list<const char*> path) {
  const Json* at = &value;
  for (const char* key : path) {
    if (!at->is_object()) return nullptr;
    auto it = at->find(key);
    if (it == at->end()) return nullptr;
    at = &*it;
  }
  return at;
}

const Json& array_at(const Json& value, std::initializer_list<const char*> path) {
  static const Json kEmpty = Json::array();
  const Json* found = find_path(value, path);
  return found && found->is_array() ? *found : kEmpty;
}

bool json_bool(const Json& value, std::initializer_list<const char*> path) {
  const Json* found = find_path(value, path);
  return found && found->is_boolean() && found->get<bool>();
}

// Numbers may come as JSON numbers or, from some encoders, as strings.
std::string json_number(const Json& value, const char* key) {
  if (!value.is_object()) return "";
  auto it = value.find(key);
  if (it == value.end()) return "";
  if (it->is_number_integer()) return std::to_string(it->get<long long>());
  if (it->is_number()) return it->dump();
  if (it->is_string()) return it->get<std::string>();
  return "";
}

long long json_int(const Json& value, const char* key, long long fallback) {
  if (!value.is_object()) return fallback;
  auto it = value.find(key);
  if (it == value.end() || !it->is_number()) return fallback;
  return it->get<long long>();
}

std::string short_revision(const std::string& revision) {
  bool hex = revision.size() == 40 &&
             std::all_of(revision.begin(), revision.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
  return hex ? revision.substr(0, 7) : revision;
}

std::string or_none(const std::string& text) { return text.empty() ? "<none>" : text; }

std::string resource_key(const std::string& group, const std::string& kind, const std::string& ns,
                         const std::string& name) {
  return group + "/" + kind + "/" + ns + "/" + name;
}

// Health of each resource in status.resources, by resource_key.
std::map<std::string, std::string> health_index(const Json& app) {
  std::map<std::string, std::string> out;
  for (const Json& r : array_at(app, {"status", "resources"})) {
    out[resource_key(json_string(r, {"group"}), json_string(r, {"kind"}), json_string(r, {"namespace"}),
                     json_string(r, {"name"}))] = json_string(r, {"health", "status"});
  }
  return out;
}

// The health of a resource an operation just handled, from the app's last comparison. Hooks
// have none; "Missing" can only be the comparison from before the operation created it, so it
// is left out rather than shown next to "created".
std::string joined_health(const std::map<std::string, std::string>& health, const ResourceLine& line) {
  if (!line.hook.empty()) return "";
  auto it = health.find(resource_key(line.group, line.kind, line.namespace_, line.name));
  if (it == health.end() || it->second == "Missing") return "";
  return it->second;
}

std::string first_line(const std::string& text) {
  size_t nl = text.find('\n');
  return nl == std::string::npos ? text : text.substr(0, nl);
}

}  // namespace

std::string json_string(const Json& value, std::initializer_list<const char*> path) {
  const Json* found = find_path(value, path);
  return found && found->is_string() ? found->get<std::string>() : "";
}

std::string format_epoch(long long seconds) {
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

// ---- Applications --------------------------------------------------------------------------

std::string sync_policy_column(const Json& app) {
  const Json* automated = find_path(app, {"spec", "syncPolicy", "automated"});
  if (!automated || !automated->is_object()) return "Manual";
  return json_bool(*automated, {"prune"}) ? "Auto-Prune" : "Auto";
}

std::string conditions_column(const Json& app) {
  std::map<std::string, int> counts;
  for (const Json& c : array_at(app, {"status", "conditions"})) ++counts[json_string(c, {"type"})];
  std::string out;
  for (const auto& [type, count] : counts) {  // std::map: already sorted by type
    if (!out.empty()) out += ",";
    out += type + (count > 1 ? "(" + std::to_string(count) + ")" : "");
  }
  return or_none(out);
}

std::string apps_table(const Json& apps, bool wide) {
  std::vector<std::string> header = {"NAME", "CLUSTER", "NAMESPACE", "PROJECT", "STATUS", "HEALTH",
                                     "SYNCPOLICY", "CONDITIONS", "REPO", "PATH", "TARGET"};
  if (wide) {
    header.push_back("REVISION");
    header.push_back("OPERATION");
  }
  Table table(header);
  if (!apps.is_array()) return table.render();
  for (const Json& app : apps) {
    std::string cluster = json_string(app, {"spec", "destination", "server"});
    if (cluster.empty()) cluster = json_string(app, {"spec", "destination", "name"});
    std::string repo = json_string(app, {"spec", "source", "repoURL"});
    std::vector<std::string> row = {json_string(app, {"metadata", "name"}),
                                    cluster,
                                    json_string(app, {"spec", "destination", "namespace"}),
                                    json_string(app, {"spec", "project"}),
                                    json_string(app, {"status", "sync", "status"}),
                                    json_string(app, {"status", "health", "status"}),
                                    sync_policy_column(app),
                                    conditions_column(app),
                                    repo,
                                    json_string(app, {"spec", "source", "path"}),
                                    json_string(app, {"spec", "source", "targetRevision"})};
    if (wide) {
      row.push_back(short_revision(json_string(app, {"status", "sync", "revision"})));
      row.push_back(json_string(app, {"status", "operationState", "phase"}));
    }
    table.add_row(std::move(row));
  }
  return table.render();
}

std::string app_details(const Json& app) {
  std::string out;
  out += label_line("Name", json_string(app, {"metadata", "name"}));
  out += label_line("Project", json_string(app, {"spec", "project"}));
  std::string server = json_string(app, {"spec", "destination", "server"});
  if (server.empty()) server = json_string(app, {"spec", "destination", "name"});
  out += label_line("Server", server);
  out += label_line("Namespace", json_string(app, {"spec", "destination", "namespace"}));
  out += label_line("Repo", json_string(app, {"spec", "source", "repoURL"}));
  std::string target = json_string(app, {"spec", "source", "targetRevision"});
  out += label_line("Target", target);
  out += label_line("Path", json_string(app, {"spec", "source", "path"}));
  if (std::string chart = json_string(app, {"spec", "source", "chart"}); !chart.empty()) {
    out += label_line("Chart", chart);
  }
  const Json& value_files = array_at(app, {"spec", "source", "helm", "valueFiles"});
  if (!value_files.empty()) {
    std::string joined;
    for (const Json& f : value_files) joined += (joined.empty() ? "" : ",") + (f.is_string() ? f.get<std::string>() : f.dump());
    out += label_line("Helm Values", joined);
  }

  std::string policy = "Manual";
  if (const Json* automated = find_path(app, {"spec", "syncPolicy", "automated"}); automated && automated->is_object()) {
    std::vector<std::string> extras;
    if (json_bool(*automated, {"prune"})) extras.push_back("Prune");
    if (json_bool(*automated, {"selfHeal"})) extras.push_back("SelfHeal");
    if (json_bool(*automated, {"allowEmpty"})) extras.push_back("AllowEmpty");
    policy = "Automated";
    for (size_t i = 0; i < extras.size(); ++i) policy += (i == 0 ? " (" : ", ") + extras[i];
    if (!extras.empty()) policy += ")";
  }
  out += label_line("Sync Policy", policy);
  const Json& options = array_at(app, {"spec", "syncPolicy", "syncOptions"});
  if (!options.empty()) {
    std::string joined;
    for (const Json& o : options) joined += (joined.empty() ? "" : ",") + (o.is_string() ? o.get<std::string>() : o.dump());
    out += label_line("Sync Options", joined);
  }
  std::string sync = json_string(app, {"status", "sync", "status"});
  std::string revision = short_revision(json_string(app, {"status", "sync", "revision"}));
  std::string sync_line = sync.empty() ? "Unknown" : sync;
  if (sync == "Synced" || sync == "OutOfSync") {
    sync_line += (sync == "Synced" ? " to " : " from ") + (target.empty() ? std::string("HEAD") : target);
    if (!revision.empty()) sync_line += " (" + revision + ")";
  }
  out += label_line("Sync Status", sync_line);
  std::string health = json_string(app, {"status", "health", "status"});
  std::string health_message = json_string(app, {"status", "health", "message"});
  out += label_line("Health Status", (health.empty() ? "Unknown" : health) +
                                         (health_message.empty() ? "" : " (" + first_line(health_message) + ")"));
  if (const Json* op = find_path(app, {"status", "operationState"}); op && op->is_object()) {
    out += "\n";
    bool rollback = find_path(*op, {"operation", "rollback"}) != nullptr;
    out += label_line("Operation", rollback ? "Rollback" : "Sync");
    std::string op_revision = json_string(*op, {"syncResult", "revision"});
    if (op_revision.empty()) op_revision = json_string(*op, {"operation", "sync", "revision"});
    out += label_line("Sync Revision", op_revision);
    out += label_line("Phase", json_string(*op, {"phase"}));
    out += label_line("Start", json_string(*op, {"startedAt"}));
    out += label_line("Finished", json_string(*op, {"finishedAt"}));
    out += label_line("Message", first_line(json_string(*op, {"message"})));
  }

  const Json& conditions = array_at(app, {"status", "conditions"});
  if (!conditions.empty()) {
    Table table({"CONDITION", "MESSAGE", "LAST TRANSITION"});
    for (const Json& c : conditions) {
      table.add_row({json_string(c, {"type"}), first_line(json_string(c, {"message"})),
                     json_string(c, {"lastTransitionTime"})});
    }
    out += "\n" + table.render();
  }
  std::vector<ResourceLine> resources = resource_lines(app);
  if (!resources.empty()) out += "\n" + resources_table(resources);
  return out;
}

std::string history_table(const Json& items, bool wide) {
  std::vector<std::string> header = {"ID", "DATE", "REVISION", "KIND", "PHASE", "INITIATED BY", "MESSAGE"};
  if (wide) {
    for (const char* h : {"FINISHED", "PRUNE", "DRY RUN", "ROLLBACK OF"}) header.push_back(h);
  }
  Table table(header);
  if (!items.is_array()) return table.render();
  for (const Json& h : items) {
    std::string who = json_string(h, {"initiatedBy"});
    if (json_bool(h, {"automated"})) who = who.empty() ? "automated" : who + " (automated)";
    std::vector<std::string> row = {json_number(h, "id"),
                                    json_string(h, {"startedAt"}),
                                    json_string(h, {"revision"}),
                                    json_string(h, {"kind"}),
                                    json_string(h, {"phase"}),
                                    who,
                                    first_line(json_string(h, {"message"}))};
    if (wide) {
      long long of = json_int(h, "rollbackOf", 0);
      row.push_back(json_string(h, {"finishedAt"}));
      row.push_back(json_bool(h, {"prune"}) ? "true" : "false");
      row.push_back(json_bool(h, {"dryRun"}) ? "true" : "false");
      row.push_back(of > 0 ? std::to_string(of) : "");
    }
    table.add_row(std::move(row));
  }
  return table.render();
}

long long previous_successful_id(const Json& history_items) {
  if (!history_items.is_array()) return -1;
  int seen = 0;
  for (const Json& h : history_items) {
    if (json_string(h, {"phase"}) != "Succeeded" || json_bool(h, {"dryRun"})) continue;
    if (++seen == 2) return json_int(h, "id", -1);
  }
  return -1;
}

std::string plan_table(const Json& items) {
  Table table({"PHASE", "WAVE", "ACTION", "GROUP", "KIND", "NAMESPACE", "NAME", "REASON"});
  if (!items.is_array()) return table.render();
  for (const Json& step : items) {
    table.add_row({json_string(step, {"phase"}), json_number(step, "wave"), json_string(step, {"action"}),
                   json_string(step, {"group"}), json_string(step, {"kind"}), json_string(step, {"namespace"}),
                   json_string(step, {"name"}), first_line(json_string(step, {"reason"}))});
  }
  return table.render();
}

std::string diff_text(const Json& diff) {
  std::string out;
  for (const Json& item : array_at(diff, {"items"})) {
    out += "===== " + json_string(item, {"group"}) + "/" + json_string(item, {"kind"}) + " " +
           json_string(item, {"namespace"}) + "/" + json_string(item, {"name"}) + " ======\n";
    std::string text = json_string(item, {"diff"});
    if (text.empty()) text = json_string(item, {"status"});
    out += text;
    if (!text.empty() && text.back() != '\n') out += "\n";
  }
  return out;
}

// ---- Resource tree -------------------------------------------------------------------------

namespace {

std::string node_key(const Json& node) {
  return resource_key(json_string(node, {"group"}), json_string(node, {"kind"}), json_string(node, {"namespace"}),
                      json_string(node, {"name"}));
}

bool node_less(const Json& a, const Json& b) {
  auto key = [](const Json& n) {
    return std::make_tuple(json_string(n, {"kind"}), json_string(n, {"namespace"}), json_string(n, {"name"}),
                           json_string(n, {"group"}));
  };
  return key(a) < key(b);
}

// Builds node `index` with its children; `placed` stops cycles and duplicates.
Json assemble(size_t index, const std::vector<Json>& nodes, const std::map<size_t, std::vector<size_t>>& children,
              std::set<size_t>& placed) {
  placed.insert(index);
  Json out = nodes[index];
  Json kids = out.contains("children") && out["children"].is_array() ? out["children"] : Json::array();
  if (auto it = children.find(index); it != children.end()) {
    for (size_t child : it->second) {
      if (!placed.count(child)) kids.push_back(assemble(child, nodes, children, placed));
    }
  }
  std::stable_sort(kids.begin(), kids.end(), node_less);
  out["children"] = std::move(kids);
  return out;
}

void tree_rows(const Json& node, const std::string& guides, bool is_root, bool last, Table& table) {
  std::string prefix = is_root ? "" : guides + (last ? "└─" : "├─");
  std::string message = json_string(node, {"treeError"});
  if (message.empty()) message = first_line(json_string(node, {"health", "message"}));
  table.add_row({prefix + json_string(node, {"kind"}) + "/" + json_string(node, {"name"}), json_string(node, {"group"}),
                 json_string(node, {"namespace"}), json_string(node, {"status"}),
                 json_string(node, {"health", "status"}), message});
  const Json& kids = array_at(node, {"children"});
  std::string next = is_root ? "" : guides + (last ? "  " : "│ ");
  for (size_t i = 0; i < kids.size(); ++i) tree_rows(kids[i], next, false, i + 1 == kids.size(), table);
}

}  // namespace

Json build_tree(const Json& nodes) {
  std::vector<Json> all;
  if (nodes.is_array()) all.assign(nodes.begin(), nodes.end());
  std::map<std::string, size_t> by_key;
  for (size_t i = 0; i < all.size(); ++i) by_key.emplace(node_key(all[i]), i);

  std::map<size_t, std::vector<size_t>> children;
  std::vector<size_t> roots;
  for (size_t i = 0; i < all.size(); ++i) {
    std::optional<size_t> parent;
    for (const Json& ref : array_at(all[i], {"parentRefs"})) {
      auto it = by_key.find(node_key(ref));
      if (it != by_key.end() && it->second != i) {
        parent = it->second;
        break;
      }
    }
    if (parent) children[*parent].push_back(i);
    else roots.push_back(i);
  }
  std::set<size_t> placed;
  Json out = Json::array();
  for (size_t root : roots) out.push_back(assemble(root, all, children, placed));
  // Whatever hangs in a parent cycle was reached from no root: show it rather than lose it.
  for (size_t i = 0; i < all.size(); ++i) {
    if (!placed.count(i)) out.push_back(assemble(i, all, children, placed));
  }
  std::stable_sort(out.begin(), out.end(), node_less);
  return out;
}

std::string tree_table(const Json& roots) {
  Table table({"NAME", "GROUP", "NAMESPACE", "STATUS", "HEALTH", "MESSAGE"});
  if (roots.is_array()) {
    for (const Json& root : roots) tree_rows(root, "", true, true, table);
  }
  return table.render();
}

// ---- Operations and waits ------------------------------------------------------------------

std::string ResourceLine::key() const { return resource_key(group, kind, namespace_, name) + "/" + hook; }

std::vector<ResourceLine> operation_lines(const Json& app) {
  auto health = health_index(app);
  std::vector<ResourceLine> out;
  for (const Json& r : array_at(app, {"status", "operationState", "syncResult", "resources"})) {
    ResourceLine line{json_string(r, {"group"}),  json_string(r, {"kind"}),   json_string(r, {"namespace"}),
                      json_string(r, {"name"}),   json_string(r, {"status"}), "",
                      json_string(r, {"hookType"}), first_line(json_string(r, {"message"}))};
    if (line.hook.empty() && !json_string(r, {"hookPhase"}).empty()) line.hook = json_string(r, {"syncPhase"});
    line.health = joined_health(health, line);
    out.push_back(std::move(line));
  }
  return out;
}

std::vector<ResourceLine> result_lines(const Json& result, const Json& app) {
  auto health = health_index(app);
  std::vector<ResourceLine> out;
  for (const Json& r : array_at(result, {"resources"})) {
    ResourceLine line{json_string(r, {"group"}),  json_string(r, {"kind"}),   json_string(r, {"namespace"}),
                      json_string(r, {"name"}),   json_string(r, {"status"}), "",
                      json_string(r, {"hookType"}), first_line(json_string(r, {"message"}))};
    if (line.hook.empty() && !json_string(r, {"hookPhase"}).empty()) line.hook = json_string(r, {"syncPhase"});
    line.health = joined_health(health, line);
    out.push_back(std::move(line));
  }
  return out;
}

std::vector<ResourceLine> resource_lines(const Json& app) {
  std::vector<ResourceLine> out;
  for (const Json& r : array_at(app, {"status", "resources"})) {
    out.push_back({json_string(r, {"group"}), json_string(r, {"kind"}), json_string(r, {"namespace"}),
                   json_string(r, {"name"}), json_string(r, {"status"}), json_string(r, {"health", "status"}),
                   json_bool(r, {"hook"}) ? "Hook" : "", first_line(json_string(r, {"health", "message"}))});
  }
  return out;
}

namespace {

constexpr size_t kProgressWidths[] = {20, 12, 14, 12, 24, 12, 12, 9};

std::string fixed_row(const std::vector<std::string>& cells) {
  std::string out;
  for (size_t i = 0; i < cells.size(); ++i) {
    out += cells[i];
    if (i + 1 < cells.size()) {
      size_t width = i < std::size(kProgressWidths) ? kProgressWidths[i] : 0;
      size_t used = display_width(cells[i]);
      out.append(used < width ? width - used + 2 : 2, ' ');
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out + "\n";
}

std::vector<std::string> cells(const ResourceLine& l) {
  return {l.group, l.kind, l.namespace_, l.name, l.status, l.health, l.hook, l.message};
}

}  // namespace

std::string progress_header() {
  return fixed_row({"TIMESTAMP", "GROUP", "KIND", "NAMESPACE", "NAME", "STATUS", "HEALTH", "HOOK", "MESSAGE"});
}

std::string progress_line(const std::string& timestamp, const ResourceLine& line) {
  std::vector<std::string> row = {timestamp};
  for (std::string& c : cells(line)) row.push_back(std::move(c));
  return fixed_row(row);
}

std::string resources_table(const std::vector<ResourceLine>& lines) {
  Table table({"GROUP", "KIND", "NAMESPACE", "NAME", "STATUS", "HEALTH", "HOOK", "MESSAGE"});
  for (const ResourceLine& line : lines) table.add_row(cells(line));
  return table.render();
}

std::vector<ResourceLine> ProgressTracker::update(const std::vector<ResourceLine>& current) {
  std::vector<ResourceLine> changed;
  for (const ResourceLine& line : current) {
    std::string state;
    for (const std::string& c : cells(line)) state += c + '\x1f';
    auto [it, inserted] = seen_.emplace(line.key(), state);
    if (inserted || it->second != state) {
      it->second = state;
      changed.push_back(line);
    }
  }
  return changed;
}

std::string operation_summary(const std::string& app_name, const std::string& operation, const Json& result,
                              const Json& app) {
  std::string out;
  out += label_line("Name", app_name);
  out += label_line("Operation", operation);
  out += label_line("Sync Revision", json_string(result, {"revision"}));
  out += label_line("Phase", json_string(result, {"phase"}));
  out += label_line("Message", first_line(json_string(result, {"message"})));
  std::vector<ResourceLine> lines = result_lines(result, app);
  if (!lines.empty()) out += "\n" + resources_table(lines);
  return out;
}

// ---- Accounts ------------------------------------------------------------------------------

namespace {

std::string joined_strings(const Json& list) {
  std::string out;
  if (!list.is_array()) return out;
  for (const Json& s : list) {
    if (s.is_string()) out += (out.empty() ? "" : ", ") + s.get<std::string>();
  }
  return out;
}

}  // namespace

std::string accounts_table(const Json& accounts) {
  Table table({"NAME", "ENABLED", "CAPABILITIES"});
  if (!accounts.is_array()) return table.render();
  for (const Json& a : accounts) {
    table.add_row({json_string(a, {"name"}), json_bool(a, {"enabled"}) ? "true" : "false",
                   joined_strings(a.is_object() && a.contains("capabilities") ? a["capabilities"] : Json())});
  }
  return table.render();
}

std::string account_details(const Json& account) {
  std::string out;
  out += label_line("Name", json_string(account, {"name"}));
  out += label_line("Enabled", json_bool(account, {"enabled"}) ? "true" : "false");
  out += label_line("Capabilities", joined_strings(account.is_object() && account.contains("capabilities")
                                                       ? account["capabilities"]
                                                       : Json()));
  out += "\nTokens:\n";
  const Json& tokens = array_at(account, {"tokens"});
  if (tokens.empty()) return out + "NONE\n";
  Table table({"ID", "ISSUED AT", "EXPIRING AT", "DESCRIPTION"});
  for (const Json& t : tokens) {
    long long issued = json_int(t, "issuedAt", 0);
    long long expires = json_int(t, "expiresAt", 0);
    table.add_row({json_string(t, {"id"}), issued > 0 ? format_epoch(issued) : "",
                   expires > 0 ? format_epoch(expires) : "never", json_string(t, {"description"})});
  }
  return out + table.render();
}

}  // namespace ferry::cli
