// What the simulator knows of the schema of built-in kinds: how each list merges. Server-side
// apply and strategic merge patch both use it: `containers` merge by `name`, `ports` of a
// container by `containerPort`+`protocol`, `args` are atomic, `finalizers` are a set, ...
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ferry::kube {

struct ListType {
  enum Kind { kAtomic, kMap, kSet };
  Kind kind = kAtomic;
  std::vector<std::string> keys;  // for kMap: the merge key fields, in order
};

// The list type at `path` (field names from the object root, no indices, e.g.
// {"spec","template","spec","containers"}) of a `kind` in `group`. Unknown lists are atomic,
// as for custom resources without x-kubernetes-list-type.
ListType list_type(std::string_view group, std::string_view kind, const std::vector<std::string>& path);

// The value a map list's key field takes when an item omits it, because the API server defaults
// it before items are matched: "TCP" for `protocol` (ports of containers and Services). Empty
// when the key has no default, in which case an item without it is invalid.
std::string_view list_key_default(std::string_view key);

}  // namespace ferry::kube
