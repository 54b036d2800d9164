#include <doctest/doctest.h>

#include <SQLiteCpp/Database.h>

#include "storage/sqlite_store.h"
#include "storage/wal_vfs.h"
#include "support/store_factory.h"
#include "support/test_util.h"

namespace duplex {
namespace {

// Mention `n` of a batch: seven conversations, 400 characters of text.
IngestItem Item(int n) {
  return test::MentionItem("e" + std::to_string(n), "c" + std::to_string(n % 7),
                           std::string(400, 'x'));
}

}  // namespace

TEST_CASE(
    "the store's WAL frames of one commit go to the file in a few writes, and another "
    "connection sees the commit as soon as it returns") {
  test::TempDir dir;
  auto store = SqliteStore::Open({dir.File("d.db")});
  REQUIRE(store.ok());
  SQLite::Database reader(dir.File("d.db"), SQLite::OPEN_READONLY);  // the default VFS
  for (int round = 0; round < 5; ++round) {
    std::vector<IngestItem> batch;
    for (int i = 0; i < 40; ++i) batch.push_back(Item(round * 40 + i));
    const storage::WalWriteCounts before = storage::WalWrites();
    auto r = (*store)->Ingest(batch, 1000 + round);
    REQUIRE(r.ok());
    const storage::WalWriteCounts after = storage::WalWrites();
    // Two writes per page (frame header, page) asked by SQLite; a handful made to the file.
    CAPTURE(after.writes - before.writes);
    CAPTURE(after.flushes - before.flushes);
    CHECK(after.writes - before.writes >= 20);
    CHECK(after.flushes - before.flushes <= 3);
    CHECK(reader.execAndGet("SELECT COUNT(*) FROM messages").getInt() == (round + 1) * 40);
  }
  // And all of it survives closing and opening again.
  store->reset();
  SQLite::Database again(dir.File("d.db"), SQLite::OPEN_READONLY);
  CHECK(again.execAndGet("SELECT COUNT(*) FROM messages").getInt() == 200);
  CHECK(again.execAndGet("PRAGMA integrity_check").getString() == "ok");
}

TEST_CASE(
    "synchronous=NORMAL opens without the buffered WAL writes (they need a sync per commit)") {
  test::TempDir dir;
  SqliteOptions options{dir.File("d.db")};
  options.synchronous = "NORMAL";
  auto store = SqliteStore::Open(options);
  REQUIRE(store.ok());
  const storage::WalWriteCounts before = storage::WalWrites();
  REQUIRE((*store)->Ingest({Item(1)}, 1000).ok());
  CHECK(storage::WalWrites().writes == before.writes);
}

}  // namespace duplex
