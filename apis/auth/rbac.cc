#include "apis/auth/rbac.h"

#include <algorithm>
#include <deque>
#include <set>
#include <utility>

#include "apis/types/glob.h"

namespace ferry::auth {
namespace {

constexpr size_t kMaxWarnings = 50;

// Resources Argo CD and Ferry know; others draw a warning (likely a typo), not an error.
const std::set<std::string_view>& known_resources() {
  static const std::set<std::string_view> kKnown = {
      "applications", "applicationsets", "projects", "accounts", "repositories", "write-repositories",
      "clusters",     "certificates",    "gpgkeys",  "logs",     "exec",         "extensions"};
  return kKnown;
}

std::string_view trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

bool has_glob(std::string_view s) { return s.find_first_of("*?[\\") != std::string_view::npos; }

bool matches(const std::string& pattern, std::string_view text) {
  if (pattern == "*") return true;
  if (!has_glob(pattern)) return pattern == text;
  return apis::glob_match(pattern, text);  // no separator: '*' runs across '/'
}

// Splits one CSV line. Fields are trimmed; a field may be "quoted" (with "" for a quote) so that
// it can hold a comma. False with `why` set on an unclosed quote or text after a closing one.
bool split_fields(std::string_view line, std::vector<std::string>& out, std::string& why) {
  out.clear();
  size_t i = 0;
  while (true) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    std::string field;
    if (i < line.size() && line[i] == '"') {
      ++i;
      bool closed = false;
      while (i < line.size()) {
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            field += '"';
            i += 2;
            continue;
          }
          ++i;
          closed = true;
          break;
        }
        field += line[i++];
      }
      if (!closed) {
        why = "unclosed quote";
        return false;
      }
      while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
      if (i < line.size() && line[i] != ',') {
        why = "text after a closing quote";
        return false;
      }
    } else {
      size_t comma = line.find(',', i);
      field = std::string(trim(line.substr(i, comma == std::string_view::npos ? std::string_view::npos : comma - i)));
      i = comma == std::string_view::npos ? line.size() : comma;
    }
    out.push_back(std::move(field));
    if (i >= line.size()) return true;
    ++i;  // past ','
  }
}

}  // namespace

Policy::Policy(std::string default_role) : default_role_(std::move(default_role)) { add_builtins(); }

void Policy::add_builtins() {
  // Argo CD's builtin-policy.csv in spirit: read-only sees everything, admin does everything.
  rules_[kRoleReadonly].push_back({"*", "get", "*", false});
  rules_[kRoleAdmin].push_back({"*", "*", "*", false});
  parents_[kRoleAdmin].push_back(kRoleReadonly);
  parents_["admin"].push_back(kRoleAdmin);
}

Result<Policy> Policy::parse(std::string_view csv, std::string default_role) {
  Policy policy(std::move(default_role));
  std::vector<std::string> fields;
  int line_number = 0;
  auto fail = [&line_number](const std::string& why) {
    return Status::Invalid("policy.csv line " + std::to_string(line_number) + ": " + why);
  };
  while (!csv.empty()) {
    ++line_number;
    size_t nl = csv.find('\n');
    std::string_view line = csv.substr(0, nl);
    csv = nl == std::string_view::npos ? std::string_view() : csv.substr(nl + 1);
    if (line.ends_with('\r')) line.remove_suffix(1);
    line = trim(line);
    if (line.empty() || line[0] == '#') continue;
    std::string why;
    if (!split_fields(line, fields, why)) return fail(why);
    const std::string& type = fields[0];
    if (type == "p") {
      if (fields.size() != 6) {
        return fail("p needs 6 fields (p, subject, resource, action, object, allow|deny), got " +
                    std::to_string(fields.size()));
      }
      static const char* kNames[] = {"", "subject", "resource", "action", "object"};
      for (size_t i = 1; i < 5; ++i) {
        if (fields[i].empty()) return fail(std::string("empty ") + kNames[i]);
      }
      if (fields[5] != "allow" && fields[5] != "deny") {
        return fail("effect must be allow or deny, not \"" + fields[5] + "\"");
      }
      if (!has_glob(fields[2]) && !known_resources().count(fields[2]) &&
          policy.warnings_.size() < kMaxWarnings) {
        policy.warnings_.push_back("policy.csv line " + std::to_string(line_number) + ": unknown resource \"" +
                                   fields[2] + "\"");
      }
      policy.rules_[fields[1]].push_back({fields[2], fields[3], fields[4], fields[5] == "deny"});
    } else if (type == "g") {
      if (fields.size() != 3) {
        return fail("g needs 3 fields (g, user-or-group, role), got " + std::to_string(fields.size()));
      }
      if (fields[1].empty() || fields[2].empty()) return fail("empty subject or role");
      auto& roles = policy.parents_[fields[1]];
      if (std::find(roles.begin(), roles.end(), fields[2]) == roles.end()) roles.push_back(fields[2]);
    } else {
      return fail("unknown line type \"" + type + "\" (want p or g)");
    }
  }
  return policy;
}

std::vector<std::string> Policy::closure(const Subject& who) const {
  std::vector<std::string> out;
  std::set<std::string, std::less<>> seen;
  std::deque<std::string> queue;
  auto visit = [&](const std::string& s) {
    if (!s.empty() && seen.insert(s).second) queue.push_back(s);
  };
  visit(who.name);
  for (const auto& g : who.groups) visit(g);
  visit(default_role_);
  while (!queue.empty()) {  // breadth-first; `seen` stops inheritance cycles
    std::string s = std::move(queue.front());
    queue.pop_front();
    if (auto it = parents_.find(s); it != parents_.end()) {
      for (const auto& parent : it->second) visit(parent);
    }
    out.push_back(std::move(s));
  }
  return out;
}

bool Policy::allowed(const Subject& who, std::string_view resource, std::string_view action,
                     std::string_view object) const {
  if (resource.empty() || action.empty()) return false;
  bool allow = false;
  for (const auto& subject : closure(who)) {
    auto it = rules_.find(subject);
    if (it == rules_.end()) continue;
    for (const Rule& rule : it->second) {
      if (allow && !rule.deny) continue;  // already allowed: only a deny can change the answer
      if (!matches(rule.resource, resource) || !matches(rule.action, action) || !matches(rule.object, object)) continue;
      if (rule.deny) return false;
      allow = true;
    }
  }
  return allow;
}

std::vector<std::string> Policy::roles_of(const Subject& who) const {
  // Everything reached through `g` lines, plus the default role; not the subject or its groups
  // themselves unless a `g` line also leads to them.
  std::set<std::string> roles;
  std::set<std::string, std::less<>> seen;
  std::deque<std::string> queue;
  auto expand = [&](const std::string& s) {
    if (auto it = parents_.find(s); it != parents_.end()) {
      for (const auto& parent : it->second) {
        roles.insert(parent);
        if (seen.insert(parent).second) queue.push_back(parent);
      }
    }
  };
  for (const std::string* s : {&who.name, &default_role_}) {
    if (!s->empty() && seen.insert(*s).second) queue.push_back(*s);
  }
  for (const auto& g : who.groups) {
    if (!g.empty() && seen.insert(g).second) queue.push_back(g);
  }
  if (!default_role_.empty()) roles.insert(default_role_);
  while (!queue.empty()) {
    std::string s = std::move(queue.front());
    queue.pop_front();
    expand(s);
  }
  return {roles.begin(), roles.end()};
}

}  // namespace ferry::auth
