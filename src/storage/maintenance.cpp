#include "storage/maintenance.h"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <system_error>

#include "core/clock.h"
#include "core/log.h"
#include "storage/migrations.h"
#include "storage/open_store.h"
#include "storage/pg_connection.h"
#include "storage/pg_migrations.h"

namespace duplex::storage {
namespace fs = std::filesystem;

namespace {

std::string Errno() {
  return std::strerror(errno);
}

fs::path FolderOf(const std::string& file) {
  fs::path parent = fs::path(file).parent_path();
  return parent.empty() ? fs::path(".") : parent;
}

// fsync on a path (a file, or a folder after a rename into it).
Status SyncPath(const fs::path& p) {
  int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::Unavailable("cannot open '" + p.string() + "' to sync it: " + Errno());
  int rc = ::fsync(fd);
  std::string error = rc == 0 ? "" : Errno();
  ::close(fd);
  if (rc != 0) return Status::Unavailable("cannot sync '" + p.string() + "': " + error);
  return Status::Ok();
}

// Checks the finished copy before it gets its final name: a backup nobody can restore from
// is worse than none, because it is trusted.
Result<int> VerifyCopy(const std::string& path) {
  SQLite::Database copy(path, SQLite::OPEN_READONLY);
  std::string verdict = copy.execAndGet("PRAGMA integrity_check").getString();
  if (verdict != "ok") return Status::Internal("the copy failed integrity_check: " + verdict);
  return SchemaVersion(copy);
}

std::int64_t MillisBetween(std::chrono::steady_clock::time_point a,
                           std::chrono::steady_clock::time_point b) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(b - a).count();
}

// Takes group and other permissions away from the open file `fd` (named `path`) if it has
// them and is ours; someone else's file is theirs to set.
Status MakePrivate(int fd, const std::string& path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return Status::Unavailable("cannot stat '" + path + "': " + Errno());
  if (st.st_uid != ::geteuid() || (st.st_mode & 077) == 0) return Status::Ok();
  if (::fchmod(fd, st.st_mode & 0700) != 0) {
    return Status::Unavailable("cannot make '" + path + "' private to its owner: " + Errno());
  }
  log::Info("database file made private to its owner (it was readable by others)",
            {{"file", path}});
  return Status::Ok();
}

bool SameFile(const std::string& a, const std::string& b) {
  std::error_code ec;
  return fs::exists(a, ec) && fs::exists(b, ec) && fs::equivalent(a, b, ec);
}

}  // namespace

Status CopyDatabase(SQLite::Database& source, const std::string& to) {
  // SQLite would create the copy 0644 under the usual umask; VACUUM INTO accepts an empty
  // file, so the copy is made in one created private beforehand.
  int fd = ::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Status::Unavailable("cannot create '" + to + "': " + Errno());
  ::close(fd);
  try {
    SQLite::Statement vacuum(source, "VACUUM INTO ?");
    vacuum.bind(1, to);
    vacuum.exec();
  } catch (const std::exception& e) {
    ::unlink(to.c_str());
    return Status::Unavailable("cannot copy the database to '" + to + "': " + e.what());
  }
  return SyncPath(to);
}

Status MakeDatabaseFilePrivate(const std::string& database) {
  if (database.empty() || database == ":memory:") return Status::Ok();
  // Read-only is enough to create the file and to change its mode; whether it is writable
  // stays SQLite's to find out and report.
  int fd = ::open(database.c_str(), O_RDONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Status::Unavailable("cannot open database '" + database + "': " + Errno());
  Status s = MakePrivate(fd, database);
  ::close(fd);
  if (!s.ok()) return s;
  for (const char* suffix : {"-wal", "-shm"}) {
    const std::string path = database + suffix;
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) continue;
      return Status::Unavailable("cannot open '" + path + "': " + Errno());
    }
    s = MakePrivate(fd, path);
    ::close(fd);
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

std::string UpgradeBackupPath(const std::string& database, int from_version) {
  const std::string stamp = FormatUtc(SystemClock().NowMs(), "%Y%m%dT%H%M%SZ");
  const std::string base = database + ".v" + std::to_string(from_version) + "-" + stamp;
  // A second attempt within the same second (a failed upgrade retried) gets its own file.
  std::string path = base + ".bak";
  std::error_code ec;
  for (int n = 2; fs::exists(path, ec); ++n) path = base + "-" + std::to_string(n) + ".bak";
  return path;
}

Result<BackupReport> BackupDatabase(const std::string& database, const std::string& to,
                                    bool overwrite) {
  if (IsPostgresUrl(database)) {
    // The server's own tools make a consistent copy; duplex does not reimplement them.
    return Status::Invalid(
        "the database is PostgreSQL (" + MaskDatabasePassword(database) +
        "): back it up with pg_dump, e.g. pg_dump --format=custom --file=" + to +
        " \"$DATABASE_URL\" (restore with pg_restore), or use your provider's backups");
  }
  std::error_code ec;
  if (!fs::exists(database, ec)) {
    return Status::NotFound("database '" + database + "' does not exist");
  }
  if (SameFile(database, to)) {
    return Status::Invalid("'" + to + "' is the database itself; back up to another file");
  }
  if (fs::exists(to, ec) && !overwrite) {
    return Status::Invalid("'" + to +
                           "' already exists; choose a new name or add --force to replace it");
  }
  if (!fs::is_directory(FolderOf(to), ec)) {
    return Status::Invalid("folder '" + FolderOf(to).string() + "' does not exist");
  }
  const std::string tmp = to + ".tmp-" + std::to_string(::getpid());
  fs::remove(tmp, ec);  // a leftover of an interrupted run: VACUUM INTO needs a new file
  auto discard = [&](Status s) -> Result<BackupReport> {
    std::error_code ignored;
    fs::remove(tmp, ignored);
    return s;
  };
  BackupReport report;
  try {
    // Read-only: the backup cannot change the live database, and closing this connection
    // never checkpoints or deletes the server's WAL.
    SQLite::Database source(database, SQLite::OPEN_READONLY);
    source.setBusyTimeout(5000);
    int version = SchemaVersion(source);
    if (version > LatestSchemaVersion()) {
      return Status::Invalid(NewerSchemaError(database, version, LatestSchemaVersion()));
    }
    auto started = std::chrono::steady_clock::now();
    if (Status s = CopyDatabase(source, tmp); !s.ok()) return discard(s);
    auto copied = std::chrono::steady_clock::now();
    auto verified = VerifyCopy(tmp);
    if (!verified.ok()) return discard(verified.status());
    report.copy_ms = MillisBetween(started, copied);
    report.verify_ms = MillisBetween(copied, std::chrono::steady_clock::now());
    report.schema_version = *verified;
  } catch (const std::exception& e) {
    return discard(Status::Unavailable("cannot back up '" + database + "': " + e.what()));
  }
  report.bytes = static_cast<std::int64_t>(fs::file_size(tmp, ec));
  if (overwrite) {
    if (::rename(tmp.c_str(), to.c_str()) != 0) {
      return discard(Status::Unavailable("cannot rename the copy to '" + to + "': " + Errno()));
    }
  } else {
    // link() fails if `to` appeared meanwhile, where rename() would silently replace it.
    if (::link(tmp.c_str(), to.c_str()) != 0) {
      const bool exists = errno == EEXIST;
      std::string why = Errno();
      return discard(exists
                         ? Status::Invalid("'" + to + "' already exists; add --force to replace it")
                         : Status::Unavailable("cannot name the copy '" + to + "': " + why));
    }
    fs::remove(tmp, ec);
  }
  if (Status s = SyncPath(FolderOf(to)); !s.ok()) return s;
  return report;
}

DatabaseCheck CheckDatabase(const std::string& database) {
  DatabaseCheck check;
  auto problem = [&](const std::string& p) { check.problems.push_back("database: " + p); };
  if (database == ":memory:") return check;
  if (IsPostgresUrl(database)) {
    // Connects and reads the schema version; changes nothing (serve migrates).
    PgOptions o;
    o.url = database;
    o.pool_size = 1;
    auto pool = PgPool::Open(o);
    if (!pool.ok()) {
      problem(pool.status().message());
      return check;
    }
    auto conn = (*pool)->Acquire();
    auto version = conn.ok() ? PgSchemaVersion(conn->get()) : Result<int>(conn.status());
    if (!version.ok()) {
      problem(version.status().message());
    } else if (*version > LatestSchemaVersion()) {
      problem("PostgreSQL schema version " + std::to_string(*version) +
              ", newer than this duplex understands (" + std::to_string(LatestSchemaVersion()) +
              "): it was written by a newer duplex");
    } else if (*version < LatestSchemaVersion()) {
      check.notes.push_back("database: PostgreSQL reachable; " +
                            std::string(*version == 0 ? "the schema will be created"
                                                      : "the schema will be upgraded") +
                            " at start");
    } else {
      check.notes.push_back("database: PostgreSQL reachable, schema current");
    }
    return check;
  }
  const fs::path folder = FolderOf(database);
  std::error_code ec;
  if (!fs::exists(folder, ec)) {
    problem("folder '" + folder.string() + "' does not exist; create it first");
    return check;
  }
  if (!fs::is_directory(folder, ec)) {
    problem("'" + folder.string() + "' is not a folder");
    return check;
  }
  // The only honest test of "can write here" is writing: access() says yes to root even on
  // folders nobody can create files in.
  const fs::path probe = folder / (".duplex-write-check-" + std::to_string(::getpid()));
  int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    problem("folder '" + folder.string() + "' is not writable (" + Errno() +
            "); duplex writes the database, its WAL files and upgrade backups there");
  } else {
    ::close(fd);
    ::unlink(probe.c_str());
  }
  if (!fs::exists(database, ec)) {
    check.notes.push_back("database: '" + database + "' does not exist yet; serve creates it");
    return check;
  }
  if (fs::is_directory(database, ec)) {
    problem("'" + database + "' is a folder, not a file");
    return check;
  }
  fd = ::open(database.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    problem("file '" + database + "' is not writable (" + Errno() + ")");
  } else {
    ::close(fd);
  }
  try {
    SQLite::Database db(database, SQLite::OPEN_READONLY);
    db.setBusyTimeout(2000);
    const int version = SchemaVersion(db);
    const int latest = LatestSchemaVersion();
    if (version > latest) {
      problem(NewerSchemaError(database, version, latest));
    } else if (version > 0 && version < latest) {
      check.notes.push_back("database: schema version " + std::to_string(version) +
                            " will be upgraded to " + std::to_string(latest) +
                            " at the next start, after a backup next to it");
    }
  } catch (const std::exception& e) {
    problem("'" + database + "' cannot be read as a SQLite database: " + e.what());
  }
  return check;
}

}  // namespace duplex::storage
