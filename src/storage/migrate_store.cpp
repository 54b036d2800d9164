#include "storage/migrate_store.h"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <set>

#include "storage/migrations.h"
#include "storage/open_store.h"
#include "storage/pg_connection.h"
#include "storage/pg_migrations.h"
#include "storage/pg_rows.h"
#include "storage/sqlite_store.h"

namespace duplex::storage {
namespace {

// How long the target may wait for the copied tables' locks (a duplex serving on it holds
// them only for one transaction at a time).
constexpr const char* kLockTimeout = "SET LOCAL lock_timeout = '10s'";
// Rows are sent to COPY in chunks of about this many bytes.
constexpr std::size_t kCopyChunkBytes = 1 << 20;

// An identifier quoted for either dialect: both use "…" with " doubled.
std::string Quote(const std::string& name) {
  std::string out = "\"";
  for (char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string ColumnList(const std::vector<std::string>& columns) {
  std::string out;
  for (const auto& c : columns) out += (out.empty() ? "" : ", ") + Quote(c);
  return out;
}

struct SourceTable {
  std::string name;
  std::vector<std::string> columns;
  std::string rowid_column;   // its INTEGER PRIMARY KEY, if it has one
  std::int64_t sequence = 0;  // the highest id AUTOINCREMENT handed out (sqlite_sequence)
};

// The tables of the source in creation order. PostgreSQL requires a referenced table to
// exist before the one referencing it, and the two stores' steps are created in the same
// order, so copying in this order satisfies every foreign key as it goes.
std::vector<SourceTable> ReadSourceTables(SQLite::Database& db) {
  std::vector<SourceTable> tables;
  SQLite::Statement list(db,
                         "SELECT name FROM sqlite_master WHERE type = 'table' "
                         "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY rowid");
  while (list.executeStep()) tables.push_back({list.getColumn(0).getString(), {}, "", 0});
  const bool has_sequences =
      db.execAndGet("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_sequence'").getInt() >
      0;
  for (auto& t : tables) {
    SQLite::Statement info(db, "SELECT name, upper(type), pk FROM pragma_table_info(?)");
    info.bind(1, t.name);
    int key_columns = 0;
    std::string key;
    while (info.executeStep()) {
      t.columns.push_back(info.getColumn(0).getString());
      if (info.getColumn(2).getInt() > 0) {
        ++key_columns;
        if (info.getColumn(1).getString() == "INTEGER") key = t.columns.back();
      }
    }
    if (key_columns == 1) t.rowid_column = key;
    if (has_sequences) {
      SQLite::Statement seq(db, "SELECT seq FROM sqlite_sequence WHERE name = ?");
      seq.bind(1, t.name);
      if (seq.executeStep()) t.sequence = seq.getColumn(0).getInt64();
    }
  }
  return tables;
}

struct TargetSchema {
  std::map<std::string, std::set<std::string>> columns;  // table → its columns
  std::map<std::string, std::string> identity;           // table → its generated id column
};

TargetSchema ReadTargetSchema(PGconn* conn) {
  TargetSchema schema;
  PgResult r = Q(conn,
                 "SELECT c.table_name, c.column_name, "
                 "  c.is_identity = 'YES' OR c.column_default LIKE 'nextval(%' "
                 "FROM information_schema.columns c JOIN information_schema.tables t "
                 "  ON t.table_schema = c.table_schema AND t.table_name = c.table_name "
                 "WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'");
  for (int i = 0; i < r.Rows(); ++i) {
    schema.columns[r.Text(i, 0)].insert(r.Text(i, 1));
    if (r.Text(i, 2) == "t") schema.identity[r.Text(i, 0)] = r.Text(i, 1);
  }
  return schema;
}

// The value as COPY's text format reads it: backslash escapes for the characters that
// delimit rows and columns.
void AppendCopyValue(std::string& out, const char* text, int bytes) {
  for (int i = 0; i < bytes; ++i) {
    switch (text[i]) {
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += text[i];
    }
  }
}

// A COPY's error: the server's message and where in the data it stopped ("COPY mutes, line 3").
std::string CopyError(const PGresult* r) {
  const char* primary = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
  const char* context = PQresultErrorField(r, PG_DIAG_CONTEXT);
  std::string out = "PostgreSQL: ";
  out += primary ? primary : "COPY failed";
  if (context) out += std::string(" (") + context + ")";
  return out;
}

void PutCopyData(PGconn* conn, const std::string& chunk) {
  if (PQputCopyData(conn, chunk.data(), static_cast<int>(chunk.size())) != 1) {
    throw PgError(std::string("PostgreSQL: COPY failed: ") + PQerrorMessage(conn));
  }
}

// Ends the COPY in progress (aborting it when `abort_reason` is set) and returns its result.
Status EndCopy(PGconn* conn, const char* abort_reason) {
  Status s = Status::Ok();
  if (PQputCopyEnd(conn, abort_reason) != 1) {
    s = Status::Unavailable(std::string("PostgreSQL: ") + PQerrorMessage(conn));
  }
  while (PGresult* r = PQgetResult(conn)) {
    if (s.ok() && PQresultStatus(r) != PGRES_COMMAND_OK) {
      s = Status::Unavailable(CopyError(r));
    }
    PQclear(r);
  }
  return s;
}

// Streams every row of `table` from the source into the target with COPY … FROM STDIN.
void CopyRows(SQLite::Database& source, PGconn* conn, const SourceTable& table) {
  const std::string columns = ColumnList(table.columns);
  PGresult* started =
      PQexec(conn, ("COPY " + Quote(table.name) + " (" + columns + ") FROM STDIN").c_str());
  const bool copying = PQresultStatus(started) == PGRES_COPY_IN;
  const std::string error = copying ? "" : CopyError(started);
  PQclear(started);
  if (!copying) throw PgError(error);
  try {
    SQLite::Statement rows(source, "SELECT " + columns + " FROM " + Quote(table.name));
    const int n = static_cast<int>(table.columns.size());
    std::string chunk;
    while (rows.executeStep()) {
      for (int i = 0; i < n; ++i) {
        if (i > 0) chunk += '\t';
        SQLite::Column value = rows.getColumn(i);
        if (value.isNull()) {
          chunk += "\\N";
        } else {
          const char* text = value.getText();
          AppendCopyValue(chunk, text, value.getBytes());
        }
      }
      chunk += '\n';
      if (chunk.size() >= kCopyChunkBytes) {
        PutCopyData(conn, chunk);
        chunk.clear();
      }
    }
    if (!chunk.empty()) PutCopyData(conn, chunk);
  } catch (const std::exception& e) {
    (void)EndCopy(conn, e.what());
    throw;
  }
  if (Status s = EndCopy(conn, nullptr); !s.ok()) {
    throw PgError(s.message());
  }
}

// The source with SQLite's exclusive lock held until it is closed, inside a transaction: no
// other process can write it meanwhile, and one that has it open (a running duplex) makes
// this fail with SQLITE_BUSY rather than let the copy miss its next writes.
Result<std::unique_ptr<SQLite::Database>> OpenAlone(const std::string& path) {
  try {
    auto db = std::make_unique<SQLite::Database>(path, SQLite::OPEN_READWRITE, 1000);
    db->exec("PRAGMA locking_mode = EXCLUSIVE");
    db->exec("BEGIN EXCLUSIVE");
    return db;
  } catch (const SQLite::Exception& e) {
    if (e.getErrorCode() == SQLITE_BUSY) {
      return Status::Unavailable(
          "'" + path +
          "' is in use by another process (a running duplex, or a backup): stop duplex first, "
          "so that nothing is written to it while it is copied");
    }
    return Status::Unavailable("cannot open '" + path + "': " + e.what());
  }
}

// What the source is before anything touches it: its schema version, read-only.
Result<int> SourceVersion(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return Status::Invalid("'" + path + "' does not exist (nothing to copy)");
  }
  if (!std::filesystem::is_regular_file(path, ec)) {
    return Status::Invalid("'" + path + "' is not a file");
  }
  int version = 0;
  try {
    SQLite::Database db(path, SQLite::OPEN_READONLY, 1000);
    version = SchemaVersion(db);
    db.execAndGet("SELECT count(*) FROM sqlite_master");  // reads a page: "not a database"
  } catch (const std::exception& e) {
    return Status::Invalid("'" + path + "' cannot be read as a SQLite database: " + e.what());
  }
  if (version == 0) {
    return Status::Invalid("'" + path +
                           "' is not a duplex database (it has no duplex schema); nothing to copy");
  }
  if (version > LatestSchemaVersion()) {
    return Status::Invalid(NewerSchemaError(path, version, LatestSchemaVersion()));
  }
  return version;
}

// Upgrades an older source as `serve` would, with its copy aside first (SqliteStore::Open).
Status UpgradeSource(const std::string& path) {
  auto alone = OpenAlone(path);
  if (!alone.ok()) return alone.status();
  alone->reset();
  SqliteOptions o;
  o.path = path;
  auto store = SqliteStore::Open(o);
  return store.ok() ? Status::Ok() : store.status();
}

// The source's tables, each checked to fit the target's: the tables to copy.
Result<std::vector<SourceTable>> MatchSchemas(SQLite::Database& source,
                                              const TargetSchema& target) {
  std::vector<SourceTable> tables = ReadSourceTables(source);
  for (const auto& t : tables) {
    auto it = target.columns.find(t.name);
    if (it == target.columns.end()) {
      return Status::Internal("table " + t.name +
                              " exists in SQLite but not in PostgreSQL at the same schema version");
    }
    for (const auto& c : t.columns) {
      if (it->second.count(c) == 0) {
        return Status::Internal("column " + t.name + "." + c +
                                " exists in SQLite but not in PostgreSQL");
      }
    }
  }
  return tables;
}

// Inside the target's transaction: the id the table hands out next, after `high`.
std::int64_t AdvanceIdentity(PGconn* conn, const std::string& table, const std::string& column,
                             std::int64_t high) {
  const bool any = high > 0;
  Q(conn, "SELECT setval(pg_get_serial_sequence($1, $2), $3, $4)",
    {Quote(table), column, P(any ? high : 1), any ? "true" : "false"});
  return any ? high + 1 : 1;
}

// The copy itself, in one transaction on the target. Throws PgError / SQLite::Exception on a
// database failure; returns a Status for what it refuses.
Result<MigrateStoreReport> CopyAll(SQLite::Database& source, PGconn* conn) {
  const TargetSchema target = ReadTargetSchema(conn);
  auto tables = MatchSchemas(source, target);
  if (!tables.ok()) return tables.status();
  MigrateStoreReport report;
  report.schema_version = LatestSchemaVersion();
  const auto started = std::chrono::steady_clock::now();
  PgTx tx(conn);
  Q(conn, "SET LOCAL client_encoding = 'UTF8'");
  Q(conn, kLockTimeout);
  std::string names;
  for (const auto& t : *tables) names += (names.empty() ? "" : ", ") + Quote(t.name);
  // EXCLUSIVE: readers go on, writers (a duplex already serving this database) wait for the
  // commit, so the emptiness checked below still holds when it commits.
  if (!names.empty()) Q(conn, "LOCK TABLE " + names + " IN EXCLUSIVE MODE");
  for (const auto& t : *tables) {
    if (Q(conn, "SELECT EXISTS (SELECT 1 FROM " + Quote(t.name) + ")").Text(0, 0) == "t") {
      return Status::Invalid("the PostgreSQL database already holds rows in table " + t.name +
                             ": migrate-store copies only into an empty database (use a new "
                             "database, or empty this one if nothing in it is needed)");
    }
  }
  std::vector<std::string> mismatched;
  for (const auto& t : *tables) {
    CopyRows(source, conn, t);
    CopiedTable copied;
    copied.name = t.name;
    copied.source_rows = source.execAndGet("SELECT count(*) FROM " + Quote(t.name)).getInt64();
    copied.target_rows = Q(conn, "SELECT count(*) FROM " + Quote(t.name)).Int(0, 0);
    if (copied.source_rows != copied.target_rows) {
      mismatched.push_back(t.name + ": " + std::to_string(copied.source_rows) + " in SQLite, " +
                           std::to_string(copied.target_rows) + " in PostgreSQL");
    }
    report.tables.push_back(copied);
  }
  if (!mismatched.empty()) {
    std::string detail;
    for (const auto& m : mismatched) detail += "; " + m;
    return Status::Internal("the row counts differ after the copy, nothing was kept" + detail);
  }
  // Last: a sequence change is not undone by a rollback, so only a failed COMMIT can leave
  // one advanced (harmless: ids skip, none is reused).
  for (std::size_t i = 0; i < tables->size(); ++i) {
    const SourceTable& t = (*tables)[i];
    auto id = target.identity.find(t.name);
    if (id == target.identity.end()) continue;
    std::int64_t high =
        Q(conn, "SELECT COALESCE(MAX(" + Quote(id->second) + "), 0) FROM " + Quote(t.name))
            .Int(0, 0);
    if (id->second == t.rowid_column) high = std::max(high, t.sequence);
    report.tables[i].next_id = AdvanceIdentity(conn, t.name, id->second, high);
  }
  tx.Commit();
  report.copy_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::steady_clock::now() - started)
                       .count();
  return report;
}

}  // namespace

Result<MigrateStoreReport> MigrateSqliteToPostgres(const std::string& sqlite_path,
                                                   const std::string& postgres_url) {
  if (!IsPostgresUrl(postgres_url)) {
    // Not repeated: a value that is no PostgreSQL URL may hold a password the mask misses.
    return Status::Invalid(
        "--to must be a PostgreSQL URL: postgresql://user:password@host:5432/db or "
        "postgres://…");
  }
  auto version = SourceVersion(sqlite_path);
  if (!version.ok()) return version.status();

  PgOptions o;
  o.url = postgres_url;
  o.pool_size = 1;
  o.statement_timeout_ms = 0;  // a large table's COPY may run for minutes; 0 is no limit
  auto pool = PgPool::Open(o);
  if (!pool.ok()) return pool.status();
  auto conn = (*pool)->Acquire();
  if (!conn.ok()) return conn.status();
  if (Status s = PgMigrate(conn->get()); !s.ok()) return s;

  if (*version < LatestSchemaVersion()) {
    if (Status s = UpgradeSource(sqlite_path); !s.ok()) return s;
  }
  auto source = OpenAlone(sqlite_path);
  if (!source.ok()) return source.status();
  try {
    return CopyAll(**source, conn->get());
  } catch (const std::exception& e) {
    return Status::Unavailable(std::string("the copy failed, nothing was kept: ") + e.what());
  }
}

}  // namespace duplex::storage
