#include "reconciler/sync/plan.h"

#include <algorithm>
#include <array>
#include <sstream>

namespace ferry::reconciler {
namespace {

// The apply order of known kinds: what others depend on goes first. The same order as Helm's
// install order, which Argo CD also follows, so charts behave as their authors expect.
constexpr std::array<const char*, 36> kKindOrder = {
    "Namespace",          "NetworkPolicy",      "ResourceQuota",       "LimitRange",
    "PodSecurityPolicy",  "PodDisruptionBudget", "ServiceAccount",     "Secret",
    "SecretList",         "ConfigMap",          "StorageClass",        "PersistentVolume",
    "PersistentVolumeClaim", "CustomResourceDefinition", "ClusterRole", "ClusterRoleList",
    "ClusterRoleBinding", "ClusterRoleBindingList", "Role",            "RoleList",
    "RoleBinding",        "RoleBindingList",    "Service",             "DaemonSet",
    "Pod",                "ReplicationController", "ReplicaSet",       "Deployment",
    "HorizontalPodAutoscaler", "StatefulSet",   "Job",                 "CronJob",
    "IngressClass",       "Ingress",            "APIService",          "Application",
};

bool before(const Task& a, const Task& b) {
  auto rank = [](const Task& t) { return kind_rank(t.key.group, t.key.kind); };
  return std::tie(a.phase, a.wave) < std::tie(b.phase, b.wave) ||
         (std::tie(a.phase, a.wave) == std::tie(b.phase, b.wave) &&
          std::make_tuple(rank(a), a.key.namespace_, a.key.name) < std::make_tuple(rank(b), b.key.namespace_, b.key.name));
}

}  // namespace

const char* action_name(Action action) {
  switch (action) {
    case Action::kCreate:
      return "create";
    case Action::kApply:
      return "apply";
    case Action::kReplace:
      return "replace";
    case Action::kPrune:
      return "prune";
    case Action::kHook:
      return "hook";
    case Action::kSkip:
      return "skip";
  }
  return "apply";
}

int kind_rank(const std::string& group, const std::string& kind) {
  (void)group;
  for (size_t i = 0; i < kKindOrder.size(); ++i) {
    if (kind == kKindOrder[i]) return static_cast<int>(i);
  }
  return static_cast<int>(kKindOrder.size());
}

Result<std::vector<Task>> make_plan(const PlanRequest& request) {
  std::vector<Task> applies, prunes, last;
  std::set<ObjectKey> desired_keys;
  size_t non_hooks = 0;
  // A selected resource without a namespace stands for that resource in any namespace, as in
  // Argo CD's `--resource GROUP:KIND:NAME`.
  auto selected = [&](const ObjectKey& key) {
    if (request.only.empty() || request.only.count(key) > 0) return true;
    return request.only.count({key.group, key.kind, "", key.name}) > 0;
  };

  if (!request.create_namespace.empty()) {
    Task ns;
    ns.phase = Phase::kPreSync;
    ns.wave = std::numeric_limits<int>::min();  // before any PreSync hook: hooks may live in it
    ns.key = {"", "Namespace", "", request.create_namespace};
    ns.object = {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", request.create_namespace}}}};
    for (const char* part : {"labels", "annotations"}) {
      if (request.namespace_metadata.contains(part)) ns.object["metadata"][part] = request.namespace_metadata[part];
    }
    ns.action = Action::kApply;
    applies.push_back(std::move(ns));
  }

  for (const auto& object : request.desired) {
    auto annotations = read_sync_annotations(object);
    if (!annotations.ok()) return annotations.status();
    Task task;
    task.key = ObjectKey::of(object);
    task.object = object;
    task.annotations = *annotations;
    task.wave = annotations->wave;
    if (annotations->skip) {
      task.action = Action::kSkip;
      task.reason = "hook Skip";
      applies.push_back(std::move(task));
      continue;
    }
    if (annotations->is_hook) {
      // Hooks run in every phase they name; they are not part of the compared resources.
      for (Phase phase : annotations->hook_phases) {
        Task hook = task;
        hook.phase = phase;
        hook.action = Action::kHook;
        if (selected(task.key) || request.only.empty()) applies.push_back(std::move(hook));
      }
      continue;
    }
    ++non_hooks;
    desired_keys.insert(task.key);
    if (!selected(task.key)) continue;
    auto state = request.states.find(task.key);
    SyncState s = state == request.states.end() ? SyncState::kOutOfSync : state->second;
    if (request.replace || annotations->replace) {
      task.action = Action::kReplace;
    } else {
      task.action = s == SyncState::kMissing ? Action::kCreate : Action::kApply;
    }
    if (request.apply_out_of_sync_only && s == SyncState::kSynced) {
      task.action = Action::kSkip;
      task.reason = "in sync (ApplyOutOfSyncOnly)";
    }
    applies.push_back(std::move(task));
  }

  size_t would_prune = 0;
  for (const auto& object : request.live) {
    ObjectKey key = ObjectKey::of(object);
    if (desired_keys.count(key)) continue;
    auto owner = tracked_app(object);
    if (!owner || *owner != request.app) continue;  // the annotation is the truth of ownership
    auto annotations = read_sync_annotations(object);
    SyncAnnotations a = annotations.ok() ? *annotations : SyncAnnotations{};
    if (a.is_hook) continue;  // finished hooks are not app resources
    if (!selected(key)) continue;
    Task task;
    task.key = key;
    task.object = object;
    task.annotations = a;
    task.wave = a.wave;
    task.action = Action::kPrune;
    if (!request.prune) {
      task.action = Action::kSkip;
      task.reason = "requires pruning (prune is off)";
    } else if (a.prune_disabled) {
      task.action = Action::kSkip;
      task.reason = "Prune=false";
    } else {
      ++would_prune;
    }
    task.prune_last = request.prune_last || a.prune_last;
    (task.prune_last ? last : prunes).push_back(std::move(task));
  }

  if (non_hooks == 0 && would_prune > 0 && !request.allow_empty) {
    return Status::Invalid("the render is empty: syncing would prune all " + std::to_string(would_prune) +
                           " resources of app " + request.app + "; refusing (set syncPolicy.automated.allowEmpty "
                           "to allow an empty app)");
  }

  std::stable_sort(applies.begin(), applies.end(), before);
  // Prunes undo applies: reverse wave and kind order.
  auto reverse = [](const Task& a, const Task& b) { return before(b, a); };
  std::stable_sort(prunes.begin(), prunes.end(), reverse);
  std::stable_sort(last.begin(), last.end(), reverse);

  std::vector<Task> plan;
  plan.reserve(applies.size() + prunes.size() + last.size());
  auto phase_end = [&](Phase phase) {
    return std::find_if(applies.begin(), applies.end(), [&](const Task& t) { return t.phase > phase; });
  };
  auto sync_end = phase_end(Phase::kSync);
  plan.insert(plan.end(), applies.begin(), sync_end);
  for (auto& t : prunes) t.phase = Phase::kSync;
  plan.insert(plan.end(), prunes.begin(), prunes.end());
  for (auto& t : last) t.phase = Phase::kSync;
  plan.insert(plan.end(), last.begin(), last.end());
  plan.insert(plan.end(), sync_end, applies.end());
  return plan;
}

std::string format_plan(const std::vector<Task>& tasks) {
  std::ostringstream out;
  for (const auto& t : tasks) {
    std::string where = t.key.namespace_.empty() ? t.key.name : t.key.namespace_ + "/" + t.key.name;
    if (t.key.name.empty()) where += "<generated>";
    out << phase_name(t.phase) << "\t" << (t.wave == std::numeric_limits<int>::min() ? std::string("-") : std::to_string(t.wave))
        << "\t" << t.key.group << "/" << t.key.kind << "\t" << where << "\t" << action_name(t.action);
    if (!t.reason.empty()) out << "\t(" << t.reason << ")";
    out << "\n";
  }
  return out.str();
}

}  // namespace ferry::reconciler
