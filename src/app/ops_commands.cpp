// The operator's subcommands: check-config, print-config, slack-manifest, backup and
// migrate-store. They run beside (or before) a server, never start one, and print nothing
// secret.
#include <iomanip>
#include <iostream>

#include "app/cli.h"
#include "app/config.h"
#include "app/config_files.h"
#include "app/config_view.h"
#include "chat/slack/slack_manifest.h"
#include "core/text.h"
#include "security/untrusted_json.h"
#include "storage/maintenance.h"
#include "storage/migrate_store.h"
#include "storage/open_store.h"

namespace duplex {
namespace {

// One top-level string of the config document, for commands that must not need every
// secret in the environment. Empty with a message on stderr when it cannot be had.
std::string ConfigString(const std::string& path, const char* key, const char* why) {
  std::vector<std::string> unset;
  auto doc = LoadConfigDocument(path, unset);
  if (!doc.ok()) {
    ConfigError(path, doc.status());
    return {};
  }
  for (const auto& u : unset) {
    if (u.rfind(std::string(key) + ":", 0) == 0) {
      std::cerr << "duplex: " << u << "\n";
      return {};
    }
  }
  auto it = doc->find(key);
  if (it == doc->end() || !it->is_string() || it->get<std::string>().empty()) {
    std::cerr << "duplex: " << path << " has no \"" << key << "\"; " << why << "\n";
    return {};
  }
  return it->get<std::string>();
}

}  // namespace

int RunCheckConfig(const std::string& path) {
  auto config = LoadConfigFile(path);
  if (!config.ok()) return ConfigError(path, config.status());
  if (Status files = CheckConfigFiles(*config); !files.ok()) return ConfigError(path, files);
  storage::DatabaseCheck db = storage::CheckDatabase(config->database);
  if (!db.problems.empty()) {
    std::cerr << "duplex: config " << path << " is valid, but duplex could not run with it:\n";
    for (const auto& p : db.problems) std::cerr << "  " << p << "\n";
    return 2;
  }
  std::cout << "config " << path << " is valid\n";
  for (const auto& n : db.notes) std::cout << "  " << n << "\n";
  return 0;
}

int RunPrintConfig(const std::string& path) {
  auto config = LoadConfigFile(path);
  if (!config.ok()) return ConfigError(path, config.status());
  std::vector<std::string> unset;
  // The file as written: a lookup that gives every ${NAME} back unexpanded.
  auto written = LoadConfigDocument(path, unset, [](const std::string& name) {
    return std::optional<std::string>("${" + name + "}");
  });
  if (!written.ok()) return ConfigError(path, written.status());
  nlohmann::json effective = EffectiveConfig(*config);
  RedactSecrets(effective);
  RedactEnvValues(effective, *written);
  std::cout << security::DumpJson(effective, 2) << "\n";
  return 0;
}

int RunSlackManifest(const std::string& path) {
  std::string url = ConfigString(path, "public_url",
                                 "set it to the https URL Slack reaches duplex at, e.g. "
                                 "\"public_url\": \"https://duplex.example.com\"");
  if (url.empty()) return 2;
  auto manifest = SlackManifest(url);
  if (!manifest.ok()) {
    std::cerr << "duplex: " << manifest.status().message() << "\n";
    return 2;
  }
  if (url.rfind("https://", 0) != 0) {
    std::cerr << "duplex: warning: Slack sends requests only to https URLs; public_url is " << url
              << "\n";
  }
  std::cout << security::DumpJson(*manifest, 2) << "\n";
  return 0;
}

int RunBackup(const std::string& path, const std::string& to, bool force) {
  std::string database = ConfigString(path, "database", "nothing to back up");
  if (database.empty()) return 2;
  auto report = storage::BackupDatabase(database, to, force);
  if (!report.ok()) {
    std::cerr << "duplex: backup failed: " << report.status().message() << "\n";
    return report.status().code() == StatusCode::kInvalidArgument ? 2 : 1;
  }
  std::cout << "backed up " << database << " (schema " << report->schema_version << ") to " << to
            << ": " << report->bytes << " bytes, copied in " << report->copy_ms
            << " ms, integrity_check ok in " << report->verify_ms << " ms\n";
  return 0;
}

int RunMigrateStore(const std::string& from, const std::string& to) {
  // Not echoed unless it is a URL whose password the mask knows how to hide.
  if (storage::IsPostgresUrl(to)) {
    std::cout << "copying " << from << " into " << storage::MaskDatabasePassword(to) << "\n"
              << std::flush;
  }
  auto report = storage::MigrateSqliteToPostgres(from, to);
  if (!report.ok()) {
    std::cerr << "duplex: migrate-store failed: " << report.status().message() << "\n";
    return report.status().code() == StatusCode::kInvalidArgument ? 2 : 1;
  }
  std::int64_t rows = 0;
  std::cout << std::left << std::setw(20) << "table" << std::right << std::setw(12) << "SQLite"
            << std::setw(12) << "PostgreSQL" << std::setw(12) << "next id"
            << "\n";
  for (const auto& t : report->tables) {
    std::cout << std::left << std::setw(20) << t.name << std::right << std::setw(12)
              << t.source_rows << std::setw(12) << t.target_rows;
    if (t.next_id > 0) std::cout << std::setw(12) << t.next_id;
    std::cout << "\n";
    rows += t.target_rows;
  }
  std::cout << "all " << report->tables.size() << " tables match: " << rows << " rows copied in "
            << report->copy_ms << " ms (schema " << report->schema_version
            << ")\nnext: set \"database\" in the config to this URL (or to ${DATABASE_URL}), run "
               "duplex check-config, then start duplex\n";
  return 0;
}

}  // namespace duplex
