#include "reconciler/sync/annotations.h"

#include <charconv>
#include <sstream>

namespace ferry::reconciler {
namespace {

std::string annotation(const Json& object, const char* name) {
  auto meta = object.find("metadata");
  if (meta == object.end() || !meta->is_object()) return "";
  auto annotations = meta->find("annotations");
  if (annotations == meta->end() || !annotations->is_object()) return "";
  auto value = annotations->find(name);
  return value != annotations->end() && value->is_string() ? value->get<std::string>() : "";
}

std::string first_of(const Json& object, std::initializer_list<const char*> names, const char** found = nullptr) {
  for (const char* name : names) {
    std::string value = annotation(object, name);
    if (!value.empty()) {
      if (found) *found = name;
      return value;
    }
  }
  return "";
}

std::string describe(const Json& object) {
  auto meta = object.value("metadata", Json::object());
  return object.value("kind", std::string("object")) + " \"" + meta.value("name", meta.value("generateName", "")) + "\"";
}

}  // namespace

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    size_t b = item.find_first_not_of(" \t"), e = item.find_last_not_of(" \t");
    if (b != std::string::npos) out.push_back(item.substr(b, e - b + 1));
  }
  return out;
}

const char* phase_name(Phase phase) {
  switch (phase) {
    case Phase::kPreSync:
      return "PreSync";
    case Phase::kSync:
      return "Sync";
    case Phase::kPostSync:
      return "PostSync";
    case Phase::kSyncFail:
      return "SyncFail";
  }
  return "Sync";
}

Result<SyncAnnotations> read_sync_annotations(const Json& object) {
  SyncAnnotations out;
  const char* hook_name = nullptr;
  std::string hook = first_of(object, {"ferry.dev/hook", "argocd.argoproj.io/hook"}, &hook_name);
  if (!hook.empty()) {
    out.is_hook = true;
    for (const auto& phase : split_list(hook)) {
      if (phase == "PreSync") out.hook_phases.insert(Phase::kPreSync);
      else if (phase == "Sync") out.hook_phases.insert(Phase::kSync);
      else if (phase == "PostSync") out.hook_phases.insert(Phase::kPostSync);
      else if (phase == "SyncFail") out.hook_phases.insert(Phase::kSyncFail);
      else if (phase == "Skip") out.skip = true;
      else
        return Status::Invalid(describe(object) + ": annotation " + hook_name + ": unknown hook \"" + phase +
                               "\" (PreSync, Sync, PostSync, SyncFail or Skip)");
    }
    if (out.skip && out.hook_phases.empty()) out.is_hook = false;
  } else {
    // Helm hooks map onto phases; the ones with no GitOps meaning (delete, test, rollback) are
    // skipped, as Argo CD does.
    std::string helm = annotation(object, "helm.sh/hook");
    if (!helm.empty()) {
      out.is_hook = true;
      for (const auto& phase : split_list(helm)) {
        if (phase == "pre-install" || phase == "pre-upgrade") out.hook_phases.insert(Phase::kPreSync);
        else if (phase == "post-install" || phase == "post-upgrade") out.hook_phases.insert(Phase::kPostSync);
      }
      if (out.hook_phases.empty()) out.skip = true;
    }
  }

  std::string policies = first_of(object, {"ferry.dev/hook-delete-policy", "argocd.argoproj.io/hook-delete-policy",
                                           "helm.sh/hook-delete-policy"});
  for (const auto& policy : split_list(policies)) {
    if (policy == "BeforeHookCreation" || policy == "before-hook-creation")
      out.delete_policies.insert(HookDeletePolicy::kBeforeHookCreation);
    else if (policy == "HookSucceeded" || policy == "hook-succeeded")
      out.delete_policies.insert(HookDeletePolicy::kHookSucceeded);
    else if (policy == "HookFailed" || policy == "hook-failed")
      out.delete_policies.insert(HookDeletePolicy::kHookFailed);
    else
      return Status::Invalid(describe(object) + ": unknown hook delete policy \"" + policy + "\"");
  }
  if (out.is_hook && out.delete_policies.empty()) out.delete_policies.insert(HookDeletePolicy::kBeforeHookCreation);

  const char* wave_name = nullptr;
  std::string wave = first_of(object, {"ferry.dev/sync-wave", "argocd.argoproj.io/sync-wave"}, &wave_name);
  if (wave.empty() && out.is_hook) wave = first_of(object, {"helm.sh/hook-weight"}, &wave_name);
  if (!wave.empty()) {
    const char* end = wave.data() + wave.size();
    auto [ptr, ec] = std::from_chars(wave.data() + (wave[0] == '+' ? 1 : 0), end, out.wave);
    if (ec != std::errc() || ptr != end) {
      return Status::Invalid(describe(object) + ": annotation " + wave_name + ": \"" + wave + "\" is not an integer");
    }
  }

  for (const auto& option : split_list(first_of(object, {"ferry.dev/sync-options", "argocd.argoproj.io/sync-options"}))) {
    if (option == "Prune=false") out.prune_disabled = true;
    else if (option == "Delete=false") out.delete_disabled = true;
    else if (option == "Replace=true") out.replace = true;
    else if (option == "PruneLast=true") out.prune_last = true;
    else if (option == "Validate=false") out.validate_disabled = true;
    // Other options (ServerSideApply=true, Force=true, SkipDryRunOnMissingResource=true) are
    // Ferry's defaults or have no effect here: accepted silently, as they are harmless.
  }
  return out;
}

}  // namespace ferry::reconciler
