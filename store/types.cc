#include "store/types.h"

#include <algorithm>

namespace ferry::store {
namespace {

struct PhaseName {
  OperationPhase phase;
  const char* name;
};

constexpr PhaseName kPhases[] = {
    {OperationPhase::kRunning, "Running"},     {OperationPhase::kTerminating, "Terminating"},
    {OperationPhase::kSucceeded, "Succeeded"}, {OperationPhase::kFailed, "Failed"},
    {OperationPhase::kError, "Error"},         {OperationPhase::kInterrupted, "Interrupted"},
};

}  // namespace

const char* phase_name(OperationPhase phase) {
  for (const auto& p : kPhases) {
    if (p.phase == phase) return p.name;
  }
  return "Unknown";
}

std::optional<OperationPhase> parse_phase(std::string_view name) {
  for (const auto& p : kPhases) {
    if (name == p.name) return p.phase;
  }
  return std::nullopt;
}

bool is_final(OperationPhase phase) {
  return phase != OperationPhase::kRunning && phase != OperationPhase::kTerminating;
}

bool Account::has_capability(std::string_view capability) const {
  return std::find(capabilities.begin(), capabilities.end(), capability) != capabilities.end();
}

}  // namespace ferry::store
