// `ferry lint`: renders an app as the controller would and runs the policy gates over it
// (reconciler/policy, docs/policy.md) — a CI step before merge.
//   ferry lint --repo URL|--dir DIR --path P [--revision R] [renderer flags as `ferry render`]
//              [--policy FILE|PRESET|id=level,...] [-o text|json|sarif]
// Exit 0: no finding at deny; 1: findings at deny; 2: an error (flags, policy, render).
#include <filesystem>
#include <iostream>

#include "apis/types/application.h"
#include "apis/types/yaml_codec.h"
#include "cli/commands.h"
#include "cli/render_flags.h"
#include "reconciler/policy/policy.h"
#include "reconciler/source/credentials.h"

namespace ferry::cli {
namespace {

namespace policy = reconciler::policy;

struct LintFlags {
  RenderFlags render;
  std::string dir;
  std::string policy;
  std::string output = "text";
};

// --policy: a file (a policy map, or an Application whose spec.policy and ferry.dev/policy
// annotation count), else a preset or "id=level,..." as the annotation takes it.
Result<policy::PolicyConfig> load_policy(const std::string& arg) {
  if (arg.empty()) return policy::PolicyConfig{};
  std::error_code ec;
  if (!std::filesystem::is_regular_file(arg, ec)) return policy::parse_policy_text(arg);
  auto text = reconciler::read_file(arg);
  if (!text.ok()) return text.status();
  auto docs = yaml::parse_stream(*text, arg);
  if (!docs.ok()) return docs.status();
  if (docs->empty()) return policy::PolicyConfig{};
  const Json& doc = docs->front().value;
  if (doc.is_object() && doc.value("kind", "") == apis::kApplicationKind) {
    auto app = apis::parse_application(doc);
    if (!app.ok()) return app.status();
    return policy::app_policy(*app);
  }
  return policy::parse_policy(doc);
}

Json finding_json(const policy::Finding& f) {
  return {{"check", f.check},         {"level", policy::level_name(f.level)},
          {"group", f.group},         {"kind", f.kind},
          {"namespace", f.namespace_}, {"name", f.name},
          {"field", f.field},         {"message", f.message},
          {"hint", f.hint}};
}

Json report_json(const policy::Evaluation& e, const std::string& path, const std::string& commit, size_t objects) {
  Json findings = Json::array(), exempted = Json::array();
  for (const auto& f : e.findings) findings.push_back(finding_json(f));
  for (const auto& f : e.exempted) exempted.push_back(finding_json(f));
  return {{"path", path},
          {"revision", commit},
          {"objects", objects},
          {"denied", e.denied()},
          {"summary", {{"deny", e.count(policy::Level::deny)}, {"warn", e.count(policy::Level::warn)},
                       {"exempted", e.exempted.size()}, {"errors", e.errors.size()}}},
          {"findings", std::move(findings)},
          {"exempted", std::move(exempted)},
          {"errors", e.errors}};
}

const char* sarif_level(policy::Level level) {
  switch (level) {
    case policy::Level::deny: return "error";
    case policy::Level::warn: return "warning";
    case policy::Level::off: return "none";
  }
  return "none";
}

// SARIF 2.1.0 (the format code-scanning UIs read): one rule per check, one result per finding,
// exempted findings as results with an in-source suppression, exemption errors as notifications.
Json report_sarif(const policy::Evaluation& e, const policy::PolicyConfig& config, const std::string& path) {
  Json rules = Json::array();
  std::map<std::string, size_t> index;
  for (const auto& c : policy::checks()) {
    index[std::string(c.id)] = rules.size();
    rules.push_back({{"id", std::string(c.id)},
                     {"name", std::string(c.id)},
                     {"shortDescription", {{"text", std::string(c.summary)}}},
                     {"help", {{"text", std::string(c.hint) + " See docs/policy.md#" + std::string(c.id) + "."}}},
                     {"defaultConfiguration", {{"level", sarif_level(config.level_of(c.id))}}}});
  }
  Json results = Json::array();
  auto result = [&](const policy::Finding& f) {
    Json logical = {{"name", f.name},
                    {"fullyQualifiedName", (f.group.empty() ? "core" : f.group) + "/" + f.kind + "/" +
                                               (f.namespace_.empty() ? "" : f.namespace_ + "/") + f.name},
                    {"kind", "resource"}};
    return Json{{"ruleId", f.check},
                {"ruleIndex", index[f.check]},
                {"level", sarif_level(f.level)},
                {"message", {{"text", f.message + " Fix: " + f.hint}}},
                {"locations",
                 Json::array({{{"physicalLocation", {{"artifactLocation", {{"uri", path}}}}},
                               {"logicalLocations", Json::array({logical})}}})},
                {"properties", {{"field", f.field}}}};
  };
  for (const auto& f : e.findings) results.push_back(result(f));
  for (const auto& f : e.exempted) {
    Json r = result(f);
    r["suppressions"] = Json::array({{{"kind", "inSource"}}});
    results.push_back(std::move(r));
  }
  Json notifications = Json::array();
  for (const auto& err : e.errors) notifications.push_back({{"level", "error"}, {"message", {{"text", err}}}});
  return {{"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
          {"version", "2.1.0"},
          {"runs", Json::array({{{"tool", {{"driver", {{"name", "ferry"}, {"rules", rules}}}}},
                                 {"invocations", Json::array({{{"executionSuccessful", true},
                                                               {"toolExecutionNotifications", notifications}}})},
                                 {"results", std::move(results)}}})}};
}

void print_text(const policy::Evaluation& e, const std::string& path, size_t objects) {
  for (const auto& f : e.findings) {
    std::cout << (f.level == policy::Level::deny ? "deny  " : "warn  ") << "[" << f.check << "] " << f.message
              << "\n      fix: " << f.hint << "\n";
  }
  for (const auto& f : e.exempted) std::cout << "exempt [" << f.check << "] " << f.message << "\n";
  for (const auto& err : e.errors) std::cout << "error [policy-exempt] " << err << "\n";
  std::cout << path << ": " << objects << " objects, " << e.count(policy::Level::deny) << " deny, "
            << e.count(policy::Level::warn) << " warn, " << e.exempted.size() << " exempted, " << e.errors.size()
            << " exemption errors\n";
}

// The exit code, or a Status for exit 2.
Result<int> run(const LintFlags& f) {
  if (f.render.repo.empty() == f.dir.empty()) return Status::Invalid("give exactly one of --repo URL or --dir DIR");
  auto config = load_policy(f.policy);
  if (!config.ok()) return Status(config.status().reason(), "--policy " + f.policy + ": " + config.status().message());
  auto rendered = f.dir.empty() ? render_repo(f.render) : render_dir(f.render, f.dir);
  if (!rendered.ok()) return rendered.status();
  for (const auto& w : rendered->output->warnings) std::cerr << "warning: " << w << "\n";

  const auto& objects = rendered->output->objects;
  policy::Evaluation e = policy::evaluate(objects, *config);
  std::string path = f.render.path.empty() ? "." : f.render.path;
  if (f.output == "json") {
    std::cout << report_json(e, path, rendered->commit, objects.size()).dump(2) << "\n";
  } else if (f.output == "sarif") {
    std::cout << report_sarif(e, *config, path).dump(2) << "\n";
  } else {
    print_text(e, path, objects.size());
  }
  std::cout.flush();
  return e.denied() ? 1 : 0;
}

}  // namespace

void add_lint_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("lint", "Render an app and check it against the policy gates (docs/policy.md)");
  auto flags = std::make_shared<LintFlags>();
  add_render_flags(*cmd, flags->render);
  cmd->add_option("--dir", flags->dir, "Lint a local directory (the repository root) instead of --repo");
  cmd->add_option("--policy", flags->policy,
                  "A policy file (a map of check ids to levels, or an Application), a preset (strict, default, "
                  "off) or id=level,...");
  cmd->add_option("-o,--output", flags->output, "text, json or sarif")
      ->check(CLI::IsMember({"text", "json", "sarif"}))
      ->capture_default_str();
  cmd->callback([flags, &exit_code] {
    Result<int> code = Status::Internal("not run");
    try {
      code = run(*flags);
    } catch (const std::exception& e) {
      code = Status::Internal(e.what());
    }
    if (!code.ok()) {
      std::cerr << "ferry lint: " << code.status().to_string() << "\n";
      exit_code = 2;
      return;
    }
    exit_code = *code;
  });
}

}  // namespace ferry::cli
