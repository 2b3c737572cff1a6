// Kubernetes resource quantities ("500m", "1Gi", "1e3") in the canonical form the API server
// stores: `cpu: 1000m` becomes "1", `memory: 1024Mi` becomes "1Gi", "0.5" becomes "500m".
// Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ferry::kube {

// The canonical spelling of a quantity, or nullopt when `text` is not a valid quantity.
std::optional<std::string> canonical_quantity(std::string_view text);

}  // namespace ferry::kube
