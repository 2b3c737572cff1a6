// Fuzzes the simulator's request-body path: every write verb and content type on a few kinds,
// with arbitrary bodies. Whatever comes in, the answer is an HTTP status with a JSON body and
// the process survives.
#include <cstddef>
#include <cstdint>
#include <string>

#include "kube/sim/sim_internal.h"

namespace {

using ferry::kube::sim::ApiServer;

ApiServer::Impl& simulator() {
  static ApiServer::Impl* impl = [] {
    auto* i = new ApiServer::Impl(ferry::kube::sim::SimOptions{});
    i->token = "fuzz";
    i->bootstrap_namespaces();
    return i;
  }();
  return *impl;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  static const char* kPaths[] = {"/api/v1/namespaces/default/configmaps", "/apis/apps/v1/namespaces/default/deployments",
                                 "/api/v1/namespaces/default/services", "/api/v1/namespaces"};
  struct Shape {
    const char* method;
    const char* content_type;
    bool named;
  };
  static const Shape kShapes[] = {
      {"POST", "application/json", false},
      {"POST", "application/yaml", false},
      {"PATCH", "application/apply-patch+yaml", true},
      {"PATCH", "application/merge-patch+json", true},
      {"PATCH", "application/json-patch+json", true},
      {"PATCH", "application/strategic-merge-patch+json", true},
      {"PUT", "application/json", true},
      {"DELETE", "application/json", true},
  };
  const Shape& shape = kShapes[data[0] % 8];
  std::string path = kPaths[data[1] % 4];
  if (shape.named) path += "/fuzz";
  ferry::http::Request request;
  request.method = shape.method;
  request.path = path;
  request.target = path;
  request.query = "fieldManager=fuzz&force=true";
  request.headers = {{"authorization", "Bearer fuzz"}, {"content-type", shape.content_type}};
  request.body.assign(reinterpret_cast<const char*>(data + 2), size - 2);
  auto response = simulator().handle(request);
  if (response.status < 200 || response.status > 599) __builtin_trap();
  if (!response.body.empty() && nlohmann::json::parse(response.body, nullptr, false).is_discarded()) __builtin_trap();
  return 0;
}
