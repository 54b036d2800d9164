#include "support/store_factory.h"

#include <doctest/doctest.h>

namespace duplex::test {

void SqliteFactory::Reopen() {
  store.reset();
  auto s = SqliteStore::Open({dir.File("store.db")});
  REQUIRE_MESSAGE(s.ok(), s.status().message());
  store = std::move(*s);
}

PgFactory::PgFactory() {
  if (SkipWithoutPostgres()) return;
  db = std::make_unique<PgTestDatabase>();
  Reopen();
}

void PgFactory::Reopen() {
  store.reset();
  PgStoreOptions o;
  o.connection.url = db->url();
  auto s = PgStore::Open(o);
  REQUIRE_MESSAGE(s.ok(), s.status().message());
  store = std::move(*s);
}

}  // namespace duplex::test
