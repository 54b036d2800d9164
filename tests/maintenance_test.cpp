// Backups, schema upgrades and the database checks behind `duplex check-config`.
#include <doctest/doctest.h>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <sys/stat.h>

#include <filesystem>

#include "storage/maintenance.h"
#include "storage/migrations.h"
#include "storage/sqlite_store.h"
#include "support/test_util.h"

namespace duplex {
namespace {

namespace fs = std::filesystem;

const std::string kFixtureV1 = std::string(DUPLEX_FIXTURES_DIR) + "/db/v1.db";

// A writable copy of the schema-1 fixture (tests/fixtures/db/make_v1_fixture.py).
std::string CopyFixture(const test::TempDir& dir) {
  std::string path = dir.File("duplex.db");
  fs::copy_file(kFixtureV1, path);
  return path;
}

std::vector<std::string> BackupsOf(const test::TempDir& dir, const std::string& prefix) {
  std::vector<std::string> found;
  for (const auto& entry : fs::directory_iterator(dir.path())) {
    std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) == 0 && name.size() > 4 && name.substr(name.size() - 4) == ".bak") {
      found.push_back(entry.path().string());
    }
  }
  return found;
}

int UserVersion(const std::string& path) {
  SQLite::Database db(path, SQLite::OPEN_READONLY);
  return db.execAndGet("PRAGMA user_version").getInt();
}

std::string IntegrityCheck(const std::string& path) {
  SQLite::Database db(path, SQLite::OPEN_READONLY);
  return db.execAndGet("PRAGMA integrity_check").getString();
}

// Everything the fixture holds, read back through the Store port.
void CheckFixtureData(Store& store) {
  auto first = store.GetConversation(1);
  REQUIRE(first.ok());
  REQUIRE(first->has_value());
  CHECK((*first)->conversation_key == "order-1042");
  auto messages = store.ListMessages(1);
  REQUIRE(messages.ok());
  REQUIRE(messages->size() == 3);  // two from the customer, the staff reply
  CHECK((*messages)[0].text == "My order 1042 has not arrived");
  CHECK((*messages)[2].text == "Sorry Ana, a new parcel is on its way");
  auto second = store.GetConversation(2);
  REQUIRE(second->has_value());
  CHECK((*second)->conversation_key == "order-2001");
  auto stats = store.GetOutboxStats();
  REQUIRE(stats.ok());
  CHECK(stats->pending == 1);  // the reply, still waiting for its receiver
}

// The permission bits of `path`.
unsigned ModeOf(const std::string& path) {
  struct stat st {};
  REQUIRE_MESSAGE(::stat(path.c_str(), &st) == 0, path);
  return st.st_mode & 0777;
}

// The usual umask (files 0644) for the length of a test.
struct UsualUmask {
  UsualUmask() : old(::umask(022)) {}
  ~UsualUmask() { ::umask(old); }
  mode_t old;
};

using test::LogCapture;

}  // namespace

TEST_CASE("the v1 fixture is what it says: schema 1, consistent") {
  CHECK(UserVersion(kFixtureV1) == 1);
  CHECK(IntegrityCheck(kFixtureV1) == "ok");
}

TEST_CASE("upgrade: a v1 database is copied aside, then upgraded in place — its data survives") {
  test::TempDir dir;
  std::string path = CopyFixture(dir);
  LogCapture logs;
  SqliteOptions options{path};
  options.extra_migrations = {
      "CREATE TABLE upgrade_probe (id INTEGER PRIMARY KEY, note TEXT);",
      "ALTER TABLE upgrade_probe ADD COLUMN extra TEXT NOT NULL DEFAULT '';"};
  const int target = storage::LatestSchemaVersion() + 2;
  {
    auto store = SqliteStore::Open(options);
    REQUIRE_MESSAGE(store.ok(), store.status().message());
    CheckFixtureData(**store);
  }
  CHECK(UserVersion(path) == target);
  auto backups = BackupsOf(dir, "duplex.db.v1-");
  REQUIRE(backups.size() == 1);
  CHECK(UserVersion(backups[0]) == 1);
  CHECK(IntegrityCheck(backups[0]) == "ok");
  CHECK(logs.Text().find("database backed up before the schema upgrade") != std::string::npos);
  CHECK(logs.Text().find(backups[0]) != std::string::npos);
  CHECK(logs.Text().find("database schema upgraded") != std::string::npos);

  SUBCASE("the backup is the database as it was: it opens and upgrades the same way") {
    auto again = SqliteStore::Open({backups[0]});
    REQUIRE(again.ok());
    CheckFixtureData(**again);
  }
  SUBCASE("opening an up-to-date database makes no further backup") {
    auto store = SqliteStore::Open(options);
    REQUIRE(store.ok());
    CHECK(BackupsOf(dir, "duplex.db.v").size() == 1);
  }
}

TEST_CASE("upgrade: the fixture opens with this build's schema, data intact") {
  test::TempDir dir;
  std::string path = CopyFixture(dir);
  {
    auto store = SqliteStore::Open({path});
    REQUIRE_MESSAGE(store.ok(), store.status().message());
    CheckFixtureData(**store);
  }
  CHECK(UserVersion(path) == storage::LatestSchemaVersion());
  // A backup exactly when there was something to upgrade.
  CHECK(BackupsOf(dir, "duplex.db.v1-").size() == (storage::LatestSchemaVersion() > 1 ? 1u : 0u));
}

TEST_CASE(
    "upgrade: message ids become unique — of repeats stored before, the first keeps its id, and "
    "a later replay of any stored message is a duplicate") {
  test::TempDir dir;
  std::string path = CopyFixture(dir);
  {
    // A replay of the first message stored under another event id, as older versions did.
    SQLite::Database db(path, SQLite::OPEN_READWRITE);
    db.exec(
        "INSERT INTO messages (conversation_id, platform, direction, kind, event_id,"
        " platform_message_id, author_id, author_handle, author_name, text, created_at)"
        " SELECT conversation_id, platform, direction, kind, 'replayed', platform_message_id,"
        " author_id, author_handle, author_name, text, created_at + 1 FROM messages WHERE id = 1");
  }
  auto store = SqliteStore::Open({path});
  REQUIRE_MESSAGE(store.ok(), store.status().message());
  {
    SQLite::Database db(path, SQLite::OPEN_READONLY);
    SQLite::Statement q(db, "SELECT id, message_identity FROM messages ORDER BY id");
    std::vector<std::string> identities;
    while (q.executeStep()) identities.push_back(q.getColumn(1).getString());
    // msg-1, msg-2, msg-3, the staff reply (none), the stored replay (none).
    CHECK(identities == std::vector<std::string>{"msg-1", "msg-2", "msg-3", "", ""});
  }
  for (const char* id : {"msg-1", "msg-3"}) {
    Mention m;
    m.platform = "generic";
    m.event_id = std::string("late-") + id;
    m.message_id = id;
    m.conversation_key = "order-1042";
    m.text = "replayed";
    m.author = {"cust-1", "ana", "Ana", 10};
    auto r = (*store)->Ingest({{m, "C1", ""}}, 5000);
    REQUIRE(r.ok());
    CHECK((*r)[0].duplicate);
  }
}

TEST_CASE("upgrade: a failing step leaves the database at its old version, unchanged") {
  test::TempDir dir;
  std::string path = CopyFixture(dir);
  SqliteOptions options{path};
  options.extra_migrations = {"CREATE TABLE upgrade_probe (id INTEGER);", "THIS IS NOT SQL;"};
  auto store = SqliteStore::Open(options);
  REQUIRE_FALSE(store.ok());
  CHECK(UserVersion(path) == 1);
  SQLite::Database db(path, SQLite::OPEN_READONLY);
  CHECK_FALSE(db.tableExists("upgrade_probe"));  // the whole upgrade is one transaction
  CHECK(BackupsOf(dir, "duplex.db.v1-").size() == 1);
  auto plain = SqliteStore::Open({path});
  REQUIRE(plain.ok());
  CheckFixtureData(**plain);
}

TEST_CASE("a database from a newer duplex is refused and left as it was") {
  test::TempDir dir;
  std::string path = CopyFixture(dir);
  {
    SQLite::Database db(path, SQLite::OPEN_READWRITE);
    db.exec("PRAGMA user_version = 42");
  }
  auto bytes_before = test::ReadFile(path);
  auto store = SqliteStore::Open({path});
  REQUIRE_FALSE(store.ok());
  CHECK(store.status().code() == StatusCode::kInvalidArgument);
  CHECK(store.status().message().find("schema version 42") != std::string::npos);
  CHECK(store.status().message().find("newer") != std::string::npos);
  CHECK(test::ReadFile(path) == bytes_before);
  CHECK(BackupsOf(dir, "duplex.db.v").empty());
}

TEST_CASE(
    "backup: a consistent copy with the schema version — existing files refused unless overwrite") {
  test::TempDir dir;
  std::string path = CopyFixture(dir);
  auto live = SqliteStore::Open({path});  // the server keeps its connection open
  REQUIRE(live.ok());
  const std::string to = dir.File("copy.db");

  auto report = storage::BackupDatabase(path, to, false);
  REQUIRE_MESSAGE(report.ok(), report.status().message());
  CHECK(report->schema_version == storage::LatestSchemaVersion());
  CHECK(report->bytes == static_cast<std::int64_t>(fs::file_size(to)));
  CHECK(IntegrityCheck(to) == "ok");
  {
    auto copy = SqliteStore::Open({to});
    REQUIRE(copy.ok());
    CheckFixtureData(**copy);
  }

  SUBCASE("an existing file is refused, and kept") {
    test::WriteFile(dir.File("taken.db"), "precious");
    auto again = storage::BackupDatabase(path, dir.File("taken.db"), false);
    REQUIRE_FALSE(again.ok());
    CHECK(again.status().code() == StatusCode::kInvalidArgument);
    CHECK(again.status().message().find("--force") != std::string::npos);
    CHECK(test::ReadFile(dir.File("taken.db")) == "precious");
  }
  SUBCASE("overwrite replaces it") {
    test::WriteFile(dir.File("taken.db"), "old");
    REQUIRE(storage::BackupDatabase(path, dir.File("taken.db"), true).ok());
    CHECK(IntegrityCheck(dir.File("taken.db")) == "ok");
  }
  SUBCASE("the database itself is never a target, even with overwrite") {
    auto self = storage::BackupDatabase(path, path, true);
    REQUIRE_FALSE(self.ok());
    CHECK(self.status().message().find("database itself") != std::string::npos);
  }
  SUBCASE("no temporary file is left behind") {
    for (const auto& entry : fs::directory_iterator(dir.path())) {
      CHECK(entry.path().filename().string().find(".tmp-") == std::string::npos);
    }
  }
}

TEST_CASE("backup: a missing database or target folder is reported, nothing is created") {
  test::TempDir dir;
  auto missing = storage::BackupDatabase(dir.File("nope.db"), dir.File("b.db"), false);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().code() == StatusCode::kNotFound);
  CHECK_FALSE(fs::exists(dir.File("nope.db")));
  std::string path = CopyFixture(dir);
  auto no_folder = storage::BackupDatabase(path, dir.File("sub/b.db"), false);
  REQUIRE_FALSE(no_folder.ok());
  CHECK(no_folder.status().message().find("does not exist") != std::string::npos);
}

TEST_CASE("check database: what would stop serve, and what the operator should know") {
  test::TempDir dir;
  SUBCASE("a new file in a writable folder is fine, with a note") {
    auto c = storage::CheckDatabase(dir.File("new.db"));
    CHECK(c.problems.empty());
    REQUIRE(c.notes.size() == 1);
    CHECK(c.notes[0].find("does not exist yet") != std::string::npos);
    CHECK_FALSE(fs::exists(dir.File("new.db")));
    CHECK(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()) == 0);
  }
  SUBCASE("a missing folder") {
    auto c = storage::CheckDatabase(dir.File("missing/d.db"));
    REQUIRE(c.problems.size() == 1);
    CHECK(c.problems[0].find("database: folder '" + dir.File("missing") + "' does not exist") == 0);
  }
  SUBCASE("a 'folder' that is a file") {
    test::WriteFile(dir.File("plain"), "x");
    auto c = storage::CheckDatabase(dir.File("plain/d.db"));
    REQUIRE(c.problems.size() == 1);
    CHECK(c.problems[0].find("is not a folder") != std::string::npos);
  }
  SUBCASE("a folder nobody can create files in") {
    // /proc refuses new files even to root, whom permission bits do not stop.
    auto c = storage::CheckDatabase("/proc/duplex.db");
    REQUIRE_FALSE(c.problems.empty());
    CHECK(c.problems[0].find("is not writable") != std::string::npos);
  }
  SUBCASE("a file that is not a database") {
    test::WriteFile(dir.File("notes.db"), std::string(4096, 'x'));
    auto c = storage::CheckDatabase(dir.File("notes.db"));
    REQUIRE(c.problems.size() == 1);
    CHECK(c.problems[0].find("cannot be read as a SQLite database") != std::string::npos);
  }
  SUBCASE("a current database is fine, without notes") {
    std::string path = CopyFixture(dir);
    REQUIRE(SqliteStore::Open({path}).ok());
    auto c = storage::CheckDatabase(path);
    CHECK(c.problems.empty());
    CHECK(c.notes.empty());
  }
  SUBCASE("a newer database is a problem naming both versions") {
    std::string path = CopyFixture(dir);
    {
      SQLite::Database db(path, SQLite::OPEN_READWRITE);
      db.exec("PRAGMA user_version = 42");
    }
    auto c = storage::CheckDatabase(path);
    REQUIRE(c.problems.size() == 1);
    CHECK(c.problems[0].find("schema version 42") != std::string::npos);
    CHECK(UserVersion(path) == 42);
  }
  SUBCASE("an older database gets a note about the upgrade at start") {
    std::string path = CopyFixture(dir);
    if (storage::LatestSchemaVersion() > 1) {
      auto c = storage::CheckDatabase(path);
      CHECK(c.problems.empty());
      REQUIRE(c.notes.size() == 1);
      CHECK(c.notes[0].find("will be upgraded") != std::string::npos);
      CHECK(UserVersion(path) == 1);  // checking changes nothing
    }
  }
}

TEST_CASE(
    "files holding customer data are private to their owner (0600) whatever the umask: the "
    "database, its WAL files, the upgrade backup and backup copies") {
  UsualUmask umask;
  test::TempDir dir;
  SUBCASE("a new database and its -wal and -shm files") {
    const std::string path = dir.File("new.db");
    auto store = SqliteStore::Open({path});
    REQUIRE(store.ok());
    REQUIRE((*store)->Ping().ok());
    for (const char* suffix : {"", "-wal", "-shm"}) {
      REQUIRE_MESSAGE(fs::exists(path + suffix), suffix);
      CHECK_MESSAGE(ModeOf(path + suffix) == 0600, suffix);
    }
  }
  SUBCASE("an existing database others could read, with WAL files left from another connection") {
    const std::string path = dir.File("old.db");
    SQLite::Database other(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    other.exec("PRAGMA journal_mode = WAL");
    other.exec("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1)");
    for (const char* suffix : {"", "-wal", "-shm"}) REQUIRE(ModeOf(path + suffix) == 0644);
    LogCapture logs;
    auto store = SqliteStore::Open({path});
    REQUIRE_MESSAGE(store.ok(), store.status().message());
    for (const char* suffix : {"", "-wal", "-shm"})
      CHECK_MESSAGE(ModeOf(path + suffix) == 0600, suffix);
    CHECK(logs.Text().find("database file made private to its owner") != std::string::npos);
  }
  SUBCASE("the copy made before an upgrade, and the upgraded database") {
    const std::string path = CopyFixture(dir);
    fs::permissions(path, fs::perms(0644));
    SqliteOptions options{path};
    options.extra_migrations = {"CREATE TABLE upgrade_probe (id INTEGER);"};
    REQUIRE(SqliteStore::Open(options).ok());
    auto backups = BackupsOf(dir, "duplex.db.v1-");
    REQUIRE(backups.size() == 1);
    CHECK(ModeOf(backups[0]) == 0600);
    CHECK(ModeOf(path) == 0600);
  }
  SUBCASE("duplex backup's copy, new or overwriting") {
    const std::string path = CopyFixture(dir);
    REQUIRE(storage::BackupDatabase(path, dir.File("copy.db"), false).ok());
    CHECK(ModeOf(dir.File("copy.db")) == 0600);
    test::WriteFile(dir.File("taken.db"), "old");
    REQUIRE(ModeOf(dir.File("taken.db")) == 0644);
    REQUIRE(storage::BackupDatabase(path, dir.File("taken.db"), true).ok());
    CHECK(ModeOf(dir.File("taken.db")) == 0600);
  }
}

}  // namespace duplex
