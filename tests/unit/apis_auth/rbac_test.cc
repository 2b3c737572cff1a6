// The RBAC matrix: built-in roles, custom roles with project globs, deny over allow, group and
// role inheritance (cycles included), the default role, and malformed lines named by number.
#include "apis/auth/rbac.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace ferry::auth {
namespace {

constexpr const char* kCsv = R"(# Team A deploys its own apps; nobody deletes in prod.
p, role:team-a, applications, get, team-a/*, allow
p, role:team-a, applications, sync, team-a/*, allow
p, role:team-a, applications, rollback, team-a/*, allow
p, role:team-a, applications, action/*, team-a/*, allow
p, role:team-a, logs, get, team-a/*, allow
p, role:web-everywhere, applications, sync, */web, allow
p,role:no-prod-delete ,applications,delete, prod/*,deny
p, role:ops, *, *, *, allow
p, role:ops, applications, delete, prod/*, deny
p, role:repo-reader, repositories, get, https://git.example.com/*, allow
p, carol, applications, *, team-b/*, allow
p, role:readonly, clusters, update, https://kubernetes.default.svc, allow

g, alice, role:team-a
g, bob, role:web-everywhere
g, sre-team, role:ops
g, role:team-a, role:repo-reader
g, role:loop-a, role:loop-b
g, role:loop-b, role:loop-a
g, dave, role:loop-a
g, role:loop-b, role:team-a
g, admin, role:no-prod-delete
)";

struct Case {
  const char* name;
  Subject who;
  const char* resource;
  const char* action;
  const char* object;
  bool want;
};

TEST(Policy, Matrix) {
  auto parsed = Policy::parse(kCsv, "");
  ASSERT_TRUE(parsed.ok()) << parsed.status().to_string();
  const Policy& p = *parsed;
  auto ro = Policy::parse("", kRoleReadonly);
  ASSERT_TRUE(ro.ok());

  const std::vector<Case> cases = {
      // Built-ins.
      {"admin everything", {"admin", {}}, "applications", "delete", "team-a/web", true},
      {"admin projects", {"admin", {}}, "projects", "create", "x", true},
      {"admin exec", {"admin", {}}, "exec", "create", "team-a/web", true},
      {"admin denied by csv", {"admin", {}}, "applications", "delete", "prod/web", false},
      {"nobody without default", {"eve", {}}, "applications", "get", "team-a/web", false},
      {"role:readonly via group", {"eve", {"role:readonly"}}, "applications", "get", "any/app", true},
      {"readonly cannot sync", {"eve", {"role:readonly"}}, "applications", "sync", "any/app", false},
      {"readonly extended by csv", {"eve", {"role:readonly"}}, "clusters", "update", "https://kubernetes.default.svc", true},
      {"extension is exact", {"eve", {"role:readonly"}}, "clusters", "update", "https://other", false},
      // Custom role with a project glob.
      {"team-a get", {"alice", {}}, "applications", "get", "team-a/web", true},
      {"team-a sync", {"alice", {}}, "applications", "sync", "team-a/web", true},
      {"team-a apps-in-any-namespace", {"alice", {}}, "applications", "sync", "team-a/ns/web", true},
      {"team-a rollback", {"alice", {}}, "applications", "rollback", "team-a/api", true},
      {"team-a resource action", {"alice", {}}, "applications", "action/apps/Deployment/restart", "team-a/api", true},
      {"team-a logs", {"alice", {}}, "logs", "get", "team-a/api", true},
      {"team-a not delete", {"alice", {}}, "applications", "delete", "team-a/web", false},
      {"team-a not other project", {"alice", {}}, "applications", "sync", "team-b/web", false},
      {"glob is anchored", {"alice", {}}, "applications", "sync", "xteam-a/web", false},
      {"inherited role", {"alice", {}}, "repositories", "get", "https://git.example.com/config.git", true},
      {"inherited role bounded", {"alice", {}}, "repositories", "get", "https://github.com/x", false},
      // */<app>.
      {"web anywhere", {"bob", {}}, "applications", "sync", "team-c/web", true},
      {"only web", {"bob", {}}, "applications", "sync", "team-c/api", false},
      // A user's own lines.
      {"carol wildcard action", {"carol", {}}, "applications", "delete", "team-b/x", true},
      {"carol not team-a", {"carol", {}}, "applications", "get", "team-a/x", false},
      // Groups, deny wins.
      {"sre via group", {"frank", {"sre-team"}}, "clusters", "delete", "https://c", true},
      {"sre deny wins", {"frank", {"sre-team"}}, "applications", "delete", "prod/web", false},
      {"sre other delete", {"frank", {"sre-team"}}, "applications", "delete", "staging/web", true},
      {"deny from another group", {"frank", {"sre-team", "role:no-prod-delete"}}, "applications", "delete", "prod/db", false},
      // Cycles terminate, and what lies beyond them is reached.
      {"cycle", {"dave", {}}, "applications", "sync", "team-a/web", true},
      {"cycle bounded", {"dave", {}}, "applications", "delete", "team-a/web", false},
      // Empty resource or action.
      {"empty action", {"admin", {}}, "applications", "", "x/y", false},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(p.allowed(c.who, c.resource, c.action, c.object), c.want) << c.name;
  }
  // The default role applies to everyone, and a deny still wins over it.
  EXPECT_TRUE(ro->allowed({"eve", {}}, "applications", "get", "a/b"));
  EXPECT_TRUE(ro->allowed({"eve", {}}, "accounts", "get", "eve"));
  EXPECT_FALSE(ro->allowed({"eve", {}}, "applications", "sync", "a/b"));
  auto with_deny = Policy::parse("p, eve, applications, get, secret/*, deny\n", kRoleReadonly);
  ASSERT_TRUE(with_deny.ok());
  EXPECT_FALSE(with_deny->allowed({"eve", {}}, "applications", "get", "secret/x"));
  EXPECT_TRUE(with_deny->allowed({"eve", {}}, "applications", "get", "public/x"));
  EXPECT_TRUE(with_deny->allowed({"mallory", {}}, "applications", "get", "secret/x"));
}

TEST(Policy, DefaultRoleCanBeCustomOrNone) {
  auto p = Policy::parse("p, role:viewer, applications, get, */*, allow\n", "role:viewer");
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->allowed({"anyone", {}}, "applications", "get", "x/y"));
  EXPECT_FALSE(p->allowed({"anyone", {}}, "projects", "get", "x"));
  Policy none("");
  EXPECT_FALSE(none.allowed({"anyone", {}}, "applications", "get", "x/y"));
  EXPECT_TRUE(none.allowed({"admin", {}}, "applications", "delete", "x/y"));
  Policy builtin;
  EXPECT_EQ(builtin.default_role(), "role:readonly");
  EXPECT_TRUE(builtin.allowed({"anyone", {}}, "applications", "get", "x/y"));
}

TEST(Policy, ListsRolesOfASubject) {
  auto p = Policy::parse(kCsv, "role:readonly");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->roles_of({"alice", {}}), (std::vector<std::string>{"role:readonly", "role:repo-reader", "role:team-a"}));
  EXPECT_EQ(p->roles_of({"frank", {"sre-team"}}), (std::vector<std::string>{"role:ops", "role:readonly"}));
  EXPECT_EQ(p->roles_of({"admin", {}}),
            (std::vector<std::string>{"role:admin", "role:no-prod-delete", "role:readonly"}));
  EXPECT_EQ(p->roles_of({"dave", {}}),
            (std::vector<std::string>{"role:loop-a", "role:loop-b", "role:readonly", "role:repo-reader", "role:team-a"}));
  auto none = Policy::parse("", "");
  EXPECT_TRUE(none->roles_of({"eve", {}}).empty());
}

TEST(Policy, ReadsQuotedFieldsCommentsAndCrlf) {
  auto p = Policy::parse(
      "  # comment\r\n\r\n"
      "p, \"role:odd\", repositories, get, \"https://h/a,b\", allow\r\n"
      "p, role:odd, applications, get, \"say \"\"hi\"\"/x\" , allow\n"
      "g, \"u\", role:odd",
      "");
  ASSERT_TRUE(p.ok()) << p.status().to_string();
  EXPECT_TRUE(p->allowed({"u", {}}, "repositories", "get", "https://h/a,b"));
  EXPECT_TRUE(p->allowed({"u", {}}, "applications", "get", "say \"hi\"/x"));
  EXPECT_TRUE(p->warnings().empty());
}

TEST(Policy, WarnsAboutUnknownResources) {
  auto p = Policy::parse("p, r, aplications, get, */*, allow\np, r, applicationsets, get, */*, allow\n", "");
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p->warnings().size(), 1u);
  EXPECT_EQ(p->warnings()[0], "policy.csv line 1: unknown resource \"aplications\"");
}

TEST(Policy, RefusesMalformedLinesByNumber) {
  struct Bad {
    const char* csv;
    const char* want;
  };
  const Bad cases[] = {
      {"p, a, applications, get, */*\n", "policy.csv line 1: p needs 6 fields"},
      {"# c\n\np, a, applications, get, */*, allow, extra\n", "policy.csv line 3: p needs 6 fields"},
      {"p, a, applications, get, */*, maybe\n", "line 1: effect must be allow or deny"},
      {"p, a, applications, get, */*, Allow\n", "line 1: effect must be allow or deny"},
      {"p, , applications, get, */*, allow\n", "line 1: empty subject"},
      {"p, a, , get, */*, allow\n", "line 1: empty resource"},
      {"p, a, applications, , */*, allow\n", "line 1: empty action"},
      {"p, a, applications, get, , allow\n", "line 1: empty object"},
      {"g, alice\n", "line 1: g needs 3 fields"},
      {"g, alice, role:x, extra\n", "line 1: g needs 3 fields"},
      {"g, , role:x\n", "line 1: empty subject or role"},
      {"x, alice, role:x\n", "line 1: unknown line type \"x\""},
      {"p, \"a, applications, get, */*, allow\n", "line 1: unclosed quote"},
      {"p, \"a\"b, applications, get, */*, allow\n", "line 1: text after a closing quote"},
      {"g, a, b\r\nP, a, b, c, d, allow\r\n", "line 2: unknown line type \"P\""},
  };
  for (const auto& c : cases) {
    auto p = Policy::parse(c.csv, "");
    ASSERT_FALSE(p.ok()) << c.csv;
    EXPECT_TRUE(p.status().is(Reason::kInvalid));
    EXPECT_NE(p.status().message().find(c.want), std::string::npos)
        << "want: " << c.want << "\ngot:  " << p.status().message();
  }
}

}  // namespace
}  // namespace ferry::auth
