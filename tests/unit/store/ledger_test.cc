// The operations ledger on SQLite. The tests themselves are the store contract in ledger_contract.h,
// which integration_store_postgres runs on PostgreSQL too.
#include "tests/unit/store/ledger_contract.h"

namespace ferry::store {

INSTANTIATE_TEST_SUITE_P(Sqlite, LedgerTest, ::testing::Values(sqlite_backend()), backend_name);

}  // namespace ferry::store
