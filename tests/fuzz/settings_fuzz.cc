// Fuzzes the settings reader with arbitrary bytes. Whatever the input, parsing must neither crash
// nor throw, an error must name the source, and accepted settings must hold their invariants.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "apis/types/settings.h"

namespace {

void check(bool condition) {
  if (!condition) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ferry;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto settings = apis::parse_settings(text, "fuzz.yaml");
  if (!settings.ok()) {
    check(!settings.status().ok());
    // A `file:` secret may name a file that is missing or unreadable; anything else is Invalid.
    check(settings.status().message().starts_with("fuzz.yaml") || settings.status().message().starts_with("<settings>"));
    return 0;
  }
  check(settings->webhook_max_payload_bytes >= 1024 * 1024);
  check(settings->session_duration.count() >= 1);
  for (size_t i = 0; i < settings->accounts.size(); ++i) {
    const auto& a = settings->accounts[i];
    check(!a.name.empty() && a.name != "admin");
    if (i > 0) check(settings->accounts[i - 1].name < a.name);
    for (const auto& c : a.capabilities) check(c == apis::kCapabilityLogin || c == apis::kCapabilityApiKey);
  }
  for (const auto& r : settings->repositories) {
    check(!r.url.empty());
    (void)apis::find_repository_credential(*settings, r.url);
  }
  return 0;
}
