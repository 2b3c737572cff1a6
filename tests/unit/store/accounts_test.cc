// Audit events, accounts and tokens on SQLite. The tests themselves are the store contract in accounts_contract.h,
// which integration_store_postgres runs on PostgreSQL too.
#include "tests/unit/store/accounts_contract.h"

namespace ferry::store {

INSTANTIATE_TEST_SUITE_P(Sqlite, AccountsTest, ::testing::Values(sqlite_backend()), backend_name);

}  // namespace ferry::store
