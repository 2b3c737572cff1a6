// `ferry demo` (the README's first command): simulator, example config repository, controller
// and the root app of apps; every example app reaches Synced and Healthy, as kubectl sees it.
#include <gtest/gtest.h>

#include "tests/support/process.h"

namespace ferry::testing {
namespace {

TEST(Demo, EveryExampleAppReachesSyncedAndHealthy) {
  TempDir dir;
  auto r = run_command({ferry_bin(), "demo", "--exit-after-setup", "--port", "0", "--listen", "127.0.0.1:0", "--dir",
                        dir.path(), "--examples", source_dir() + "/examples", "--timeout", "240"},
                       {{"HOME", dir.path()}});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("All applications are Synced and Healthy."), std::string::npos) << r.out;
  for (const char* app : {"apps", "guestbook", "shop-dev", "podinfo-prod", "waves-and-hooks"}) {
    EXPECT_NE(r.out.find(app), std::string::npos) << app << "\n" << r.out;
  }
  EXPECT_NE(read_file(dir.file("kubeconfig")).find("certificate-authority-data"), std::string::npos);
}

}  // namespace
}  // namespace ferry::testing
