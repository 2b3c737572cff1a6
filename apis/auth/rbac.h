// RBAC in Argo CD's policy CSV form (DESIGN.md §9): who may do what to which object.
//
//   # p, <subject>, <resource>, <action>, <object>, allow|deny
//   p, role:deployer, applications, sync, team-a/*, allow
//   p, role:deployer, applications, delete, */*, deny
//   # g, <user or group>, <role>       (roles may inherit roles)
//   g, alice, role:deployer
//   g, role:deployer, role:readonly
//
// The object of applications (and logs, exec) is "<project>/<app>"; of projects the project
// name; of accounts the account name; of repositories the repository URL; of clusters the
// server URL. Resource, action and object are globs ('*' matches any run of characters, '/'
// included; '?' and [classes] as in apis/types/glob.h), so "team-a/*", "*/web" and "*" work as in
// Argo CD. Subjects match exactly.
//
// A request is allowed when some matching `p` line of the subject, one of its groups, the
// default role, or any role they reach through `g` lines says allow, and none says deny: deny
// wins, including over the default role (Argo CD lets a default-role allow through regardless).
// Built in, and extensible by the CSV: `role:readonly` (get on everything), `role:admin`
// (everything) and `g, admin, role:admin`.
//
// A Policy is immutable once parsed: any thread may call its const methods at the same time.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "apis/types/status.h"

namespace ferry::auth {

inline constexpr const char* kRoleReadonly = "role:readonly";
inline constexpr const char* kRoleAdmin = "role:admin";

// Who asks: an account name (or an SSO subject) and the groups it belongs to.
struct Subject {
  std::string name;
  std::vector<std::string> groups;
};

class Policy {
 public:
  // The built-in roles only, with `default_role` for everyone.
  explicit Policy(std::string default_role = kRoleReadonly);

  // Reads a policy CSV. '#' starts a comment line; blank lines are skipped; fields are separated
  // by commas with whitespace around them trimmed, and may be double-quoted ("a,b", "" for a
  // quote). Invalid naming the line and why: "policy.csv line 3: p needs 6 fields ...".
  // `default_role` is policy.default ("" for none).
  static Result<Policy> parse(std::string_view csv, std::string default_role = kRoleReadonly);

  // Whether `who` may do `action` on `resource` `object`. Empty resource or action: false.
  bool allowed(const Subject& who, std::string_view resource, std::string_view action,
               std::string_view object) const;

  // The roles `who` holds, directly, through groups, through the default role and through
  // inheritance, sorted: what the UI shows next to the user name.
  std::vector<std::string> roles_of(const Subject& who) const;

  const std::string& default_role() const { return default_role_; }
  // Lines that parse but likely do not mean what was written (an unknown resource name): for
  // logs, not errors, since Argo CD's own resources (applicationsets, certificates, ...) appear in
  // CSVs brought over unchanged.
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  struct Rule {
    std::string resource;
    std::string action;
    std::string object;
    bool deny = false;
  };

  void add_builtins();
  // The subject, its groups, the default role and everything they reach through `g` lines.
  std::vector<std::string> closure(const Subject& who) const;

  std::string default_role_;
  std::map<std::string, std::vector<Rule>, std::less<>> rules_;          // by subject
  std::map<std::string, std::vector<std::string>, std::less<>> parents_;  // g: member -> roles
  std::vector<std::string> warnings_;
};

}  // namespace ferry::auth
