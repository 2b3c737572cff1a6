// The store contract (tests/unit/store/*_contract.h, which unit_store runs on SQLite) on
// PostgreSQL: every assertion holds for both backends.
#include "tests/integration/store_postgres/postgres_backend.h"
#include "tests/unit/store/accounts_contract.h"
#include "tests/unit/store/ledger_contract.h"
#include "tests/unit/store/manifests_contract.h"

namespace ferry::store {

INSTANTIATE_TEST_SUITE_P(Postgres, LedgerTest, ::testing::Values(postgres_backend()), backend_name);
INSTANTIATE_TEST_SUITE_P(Postgres, ManifestsTest, ::testing::Values(postgres_backend()), backend_name);
INSTANTIATE_TEST_SUITE_P(Postgres, AccountsTest, ::testing::Values(postgres_backend()), backend_name);

}  // namespace ferry::store
