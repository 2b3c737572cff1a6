// Manifests as applied on SQLite. The tests themselves are the store contract in manifests_contract.h,
// which integration_store_postgres runs on PostgreSQL too.
#include "tests/unit/store/manifests_contract.h"

namespace ferry::store {

INSTANTIATE_TEST_SUITE_P(Sqlite, ManifestsTest, ::testing::Values(sqlite_backend()), backend_name);

}  // namespace ferry::store
