#include "tests/support/sim_fixture.h"

#include <regex>

namespace ferry::testing {

SimProcess::SimProcess(bool tls, int ready_delay_ms) {
  kubeconfig_ = dir_.file("kubeconfig");
  std::vector<std::string> argv = {ferry_bin(), "sim", "--listen", "127.0.0.1:0", "--kubeconfig-out", kubeconfig_,
                                   "--ready-delay-ms", std::to_string(ready_delay_ms)};
  if (tls) {
    client_cert_kubeconfig_ = dir_.file("kubeconfig-client-cert");
    argv.insert(argv.end(), {"--tls", "--client-cert-kubeconfig-out", client_cert_kubeconfig_});
  }
  if (!child_.start(argv)) {
    error_ = child_.error();
    return;
  }
  if (!child_.wait_for_output("ready", std::chrono::seconds(30))) {
    error_ = "ferry sim did not become ready: " + child_.output();
    return;
  }
  std::smatch m;
  std::string out = child_.output();
  if (!std::regex_search(out, m, std::regex(R"((https?://127\.0\.0\.1:\d+))"))) {
    error_ = "no URL in: " + out;
    return;
  }
  url_ = m[1];
  ok_ = true;
}

std::string SimProcess::token() const {
  std::smatch m;
  std::string config = read_file(kubeconfig_);
  if (std::regex_search(config, m, std::regex(R"(token:\s*\"?([0-9a-f]+))"))) return m[1];
  return "";
}

CommandResult SimProcess::kubectl(const std::vector<std::string>& args, const std::string& input) const {
  std::vector<std::string> argv = {kubectl_bin(), "--kubeconfig", kubeconfig_};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, {{"HOME", dir_.path()}}, input);
}

std::string SimProcess::sim_get(const std::string& path) const {
  return kubectl({"get", "--raw", path}).out;
}

std::string SimProcess::sim_post(const std::string& path, const std::string& json) const {
  return kubectl({"create", "--raw", path, "-f", "-"}, json).out;
}

}  // namespace ferry::testing
