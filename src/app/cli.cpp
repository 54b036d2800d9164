#include "app/cli.h"

#include <CLI/CLI.hpp>

#include <csignal>
#include <iostream>
#include <ostream>
#include <streambuf>

#include "app/app.h"
#include "app/config.h"
#include "app/config_files.h"
#include "app/httplib_client.h"
#include "core/log.h"
#include "core/text.h"
#include "core/version.h"
#include "storage/migrations.h"

namespace duplex {
namespace {

// In json mode every line duplex writes is one JSON object, startup errors included.
bool g_json_logs = false;

}  // namespace

int ConfigError(const std::string& path, const Status& s) {
  if (g_json_logs) {
    for (const auto& line : text::Split(s.message(), '\n')) {
      log::Error("invalid config", {{"config", path}, {"problem", line}});
    }
    return 2;
  }
  std::cerr << "duplex: invalid config " << path << ":\n";
  for (const auto& line : text::Split(s.message(), '\n')) std::cerr << "  " << line << "\n";
  return 2;
}

namespace {

// `serve --log-format json` as written on the command line, known before CLI11 parses it,
// so that even a usage error comes out as JSON.
bool WantsJsonLogs(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--log-format=json" ||
        (a == "--log-format" && i + 1 < argc && std::string(argv[i + 1]) == "json")) {
      return true;
    }
  }
  return false;
}

// The console chat's posts as log lines, one per post, when the logs are JSON.
class LogLineBuffer final : public std::streambuf {
 protected:
  int_type overflow(int_type c) override {
    if (c != traits_type::eof()) pending_.push_back(static_cast<char>(c));
    return traits_type::not_eof(c);
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    pending_.append(s, static_cast<std::size_t>(n));
    return n;
  }
  int sync() override {
    while (!pending_.empty() && pending_.back() == '\n') pending_.pop_back();
    if (!pending_.empty()) log::Info("chat post", {{"chat", "console"}, {"text", pending_}});
    pending_.clear();
    return 0;
  }

 private:
  std::string pending_;
};

bool SetupLogging(const std::string& format, const std::string& level) {
  log::Format f;
  log::Level l;
  if (!log::ParseFormat(format, f)) {
    std::cerr << "duplex: --log-format must be text or json\n";
    return false;
  }
  log::SetFormat(f);
  g_json_logs = f == log::Format::kJson;
  if (!log::ParseLevel(level, l)) {
    if (g_json_logs) {
      log::Error("bad command line", {{"error", "--log-level must be debug, info, warn or error"}});
    } else {
      std::cerr << "duplex: --log-level must be debug, info, warn or error\n";
    }
    return false;
  }
  log::SetLevel(l);
  return true;
}

}  // namespace

int RunServe(const char* config_path, const char* log_format, const char* log_level) {
  if (!SetupLogging(log_format, log_level)) return 2;
  auto config = LoadConfigFile(config_path);
  if (!config.ok()) return ConfigError(config_path, config.status());
  // Before anything is created: a certificate that cannot load must not leave a database.
  if (Status files = CheckConfigFiles(*config); !files.ok()) return ConfigError(config_path, files);

  // Block the stop signals in every thread; this one waits for them below.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  LogLineBuffer console_lines;
  std::ostream console_log(&console_lines);
  AppDeps deps;
  if (g_json_logs) deps.console = &console_log;
  auto app = App::Create(*config, deps);
  if (!app.ok()) {
    log::Error("cannot start", {{"error", app.status().message()}});
    return app.status().code() == StatusCode::kInvalidArgument ? 2 : 1;
  }
  if (Status s = (*app)->Start(); !s.ok()) {
    log::Error("cannot start", {{"error", s.message()}});
    return 1;
  }
  int sig = 0;
  sigwait(&signals, &sig);
  log::Info("stopping", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
  if (!(*app)->Shutdown(10'000)) {
    // A delivery is stuck in a remote call past the deadline: every commit is on disk, and
    // the stuck attempt is recovered at the next start, so leave without tearing down.
    std::fflush(nullptr);
    std::_Exit(0);
  }
  return 0;
}

int RunCli(int argc, char** argv) {
  CLI::App cli{"duplex: listen to customers on social platforms and answer them from team chat"};
  cli.require_subcommand(1);
  cli.set_version_flag("--version", Version());

  std::string config_path;
  std::string log_format = "text";
  std::string log_level = "info";
  auto* serve = cli.add_subcommand("serve", "Run the server");
  serve->add_option("-c,--config", config_path, "Config file (JSON)")->required();
  serve->add_option("--log-format", log_format, "text or json")->capture_default_str();
  serve->add_option("--log-level", log_level, "debug, info, warn or error")->capture_default_str();

  auto* check =
      cli.add_subcommand("check-config",
                         "Validate a config file, load the files it names (certificates, CA files) "
                         "and check the database path, and exit (0 = valid, 2 = not)");
  check->add_option("-c,--config", config_path, "Config file (JSON)")->required();

  auto* print = cli.add_subcommand(
      "print-config", "Print the effective config (defaults filled in, secrets as ***)");
  print->add_option("-c,--config", config_path, "Config file (JSON)")->required();

  auto* manifest = cli.add_subcommand(
      "slack-manifest", "Print the Slack app manifest with URLs under the config's public_url");
  manifest->add_option("-c,--config", config_path, "Config file (JSON)")->required();

  std::string backup_to;
  bool backup_force = false;
  auto* backup = cli.add_subcommand(
      "backup", "Copy the live database to a file, consistent, while serve runs");
  backup->add_option("-c,--config", config_path, "Config file (JSON): its database is copied")
      ->required();
  backup
      ->add_option("--to", backup_to, "Backup file to write (refused if it exists, unless --force)")
      ->required();
  backup->add_flag("--force", backup_force, "Replace the backup file if it exists");

  std::string migrate_from, migrate_to;
  auto* migrate = cli.add_subcommand(
      "migrate-store",
      "Copy a SQLite database into an empty PostgreSQL database, ids included (stop duplex "
      "first)");
  migrate
      ->add_option("--from", migrate_from,
                   "The SQLite database file (the config's \"database\"); only read, after an "
                   "upgrade to this version if it is older")
      ->required();
  migrate
      ->add_option("--to", migrate_to,
                   "The PostgreSQL database URL: postgresql://user:password@host:5432/db "
                   "(refused unless its tables are empty)")
      ->required();

  cli.add_subcommand("demo", "Run the whole round trip locally: signed mentions in, a reply out");

  std::string platform, text, url;
  auto* simulate =
      cli.add_subcommand("simulate", "Send a correctly signed sample webhook to a running server");
  simulate
      ->add_option("platform", platform,
                   "Platform to imitate: generic, x, telegram, meta (a Facebook comment), "
                   "whatsapp, instagram, messenger, github")
      ->required();
  simulate
      ->add_option("-c,--config", config_path, "The server's config file (for secrets and port)")
      ->required();
  simulate->add_option("--text", text, "Text of the sample mention");
  simulate->add_option("--url", url, "duplex's base URL (default: from listen in the config)");

  std::vector<std::string> chat_words;
  std::string chat_user = "you";
  std::string chat_channel;
  auto* chat =
      cli.add_subcommand("chat",
                         "Send a staff command (reply 1 Thanks, queue, ...) to a running server, "
                         "signed as the configured chat signs it, and print the answer");
  chat->add_option("command", chat_words, "The command, as typed after /duplex")->required();
  chat->add_option("-c,--config", config_path,
                   "The server's config file (for chat.signing_secret and the port)")
      ->required();
  chat->add_option("--user", chat_user, "The chat user id the command comes from")
      ->capture_default_str();
  chat->add_option("--channel", chat_channel,
                   "The channel it is typed in (default: chat.default_channel)");
  chat->add_option("--url", url, "duplex's base URL (default: from listen in the config)");

  auto* receive = cli.add_subcommand("receive",
                                     "Receive the generic platform's replies at its reply_url on "
                                     "this machine, check their signatures and print them");
  receive->add_option("-c,--config", config_path, "The server's config file (platforms.generic)")
      ->required();

  cli.add_subcommand("version", "Print the version");

  std::string probe_url = "http://127.0.0.1:8080/healthz";
  auto* health = cli.add_subcommand(
      "healthcheck", "Exit 0 if a running duplex answers its health URL (for containers)");
  health->add_option("--url", probe_url, "URL to probe")->capture_default_str();

  // CLI11 would say only that an argument was not expected.
  if (argc > 1 && argv[1][0] != '-') {
    std::string known;
    bool found = false;
    for (const auto* sub : cli.get_subcommands({})) {
      found = found || sub->get_name() == argv[1];
      known += (known.empty() ? "" : ", ") + sub->get_name();
    }
    if (!found) {
      std::cerr << "duplex: unknown command '" << argv[1] << "' (commands: " << known
                << "; duplex --help explains them)\n";
      return 2;
    }
  }

  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (WantsJsonLogs(argc, argv) && e.get_exit_code() != 0) {
      log::SetFormat(log::Format::kJson);
      log::Error("bad command line", {{"error", e.what()}});
      return 2;
    }
    int code = cli.exit(e);
    return code == 0 ? 0 : 2;
  }

  if (cli.got_subcommand("version")) {
    std::cout << "duplex " << Version() << " (schema " << storage::LatestSchemaVersion() << ")\n";
    return 0;
  }
  if (cli.got_subcommand("check-config")) return RunCheckConfig(config_path);
  if (cli.got_subcommand("print-config")) return RunPrintConfig(config_path);
  if (cli.got_subcommand("slack-manifest")) return RunSlackManifest(config_path);
  if (cli.got_subcommand("backup")) return RunBackup(config_path, backup_to, backup_force);
  if (cli.got_subcommand("migrate-store")) return RunMigrateStore(migrate_from, migrate_to);
  if (cli.got_subcommand("healthcheck")) {
    HttplibClient http;
    HttpRequest req;
    req.method = "GET";
    req.url = probe_url;
    req.timeout_ms = 3000;
    HttpResult r = http.Send(req);
    if (r.ok() && r.response.status == 200) return 0;
    std::cerr << "duplex: " << probe_url << " is not healthy ("
              << (r.ok() ? "HTTP " + std::to_string(r.response.status) : r.error_message) << ")\n";
    return 1;
  }
  if (cli.got_subcommand("serve"))
    return RunServe(config_path.c_str(), log_format.c_str(), log_level.c_str());
  if (cli.got_subcommand("demo")) return RunDemo();
  if (cli.got_subcommand("chat")) {
    std::string command;
    for (const auto& w : chat_words) command += (command.empty() ? "" : " ") + w;
    return RunChat(config_path, command, chat_user, chat_channel, url);
  }
  if (cli.got_subcommand("receive")) return RunReceive(config_path);
  if (cli.got_subcommand("simulate")) {
    return RunSimulate(platform.c_str(), config_path.c_str(), text.c_str(), url.c_str());
  }
  return 2;
}

}  // namespace duplex
