// Readable GoogleTest output for Health values ("Progressing: Waiting for ...").
#pragma once

#include <ostream>

#include "reconciler/health/health.h"

namespace ferry::reconciler {

inline void PrintTo(const Health& health, std::ostream* out) {
  *out << health_status_name(health.status) << ": \"" << health.message << "\"";
}

}  // namespace ferry::reconciler
