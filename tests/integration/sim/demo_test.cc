// `ferry demo` (the README's first command) sets up the simulator and the example app, and
// the example reaches a completed rollout, as real kubectl reports it.
#include <gtest/gtest.h>

#include "tests/support/process.h"

namespace ferry::testing {
namespace {

TEST(Demo, SetsUpTheSimulatorAndRollsOutTheExample) {
  TempDir dir;
  auto r = run_command({ferry_bin(), "demo", "--exit-after-setup", "--port", "0", "--dir", dir.path(), "--examples",
                        source_dir() + "/examples/guestbook", "--kubectl", kubectl_bin()},
                       {{"HOME", dir.path()}});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("deployment.apps/guestbook serverside-applied"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("successfully rolled out"), std::string::npos) << r.out;
  EXPECT_NE(read_file(dir.file("kubeconfig")).find("certificate-authority-data"), std::string::npos);
}

}  // namespace
}  // namespace ferry::testing
