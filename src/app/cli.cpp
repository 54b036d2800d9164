#include "app/cli.h"

#include <CLI/CLI.hpp>

#include <csignal>
#include <iostream>

#include "app/app.h"
#include "app/config.h"
#include "app/httplib_client.h"
#include "app/version.h"
#include "core/log.h"
#include "core/text.h"
#include "storage/migrations.h"

namespace duplex {
namespace {

int ConfigError(const std::string& path, const Status& s) {
  std::cerr << "duplex: invalid config " << path << ":\n";
  for (const auto& line : text::Split(s.message(), '\n')) std::cerr << "  " << line << "\n";
  return 2;
}

bool SetupLogging(const std::string& format, const std::string& level) {
  log::Format f;
  log::Level l;
  if (!log::ParseFormat(format, f)) {
    std::cerr << "duplex: --log-format must be text or json\n";
    return false;
  }
  if (!log::ParseLevel(level, l)) {
    std::cerr << "duplex: --log-level must be debug, info, warn or error\n";
    return false;
  }
  log::SetFormat(f);
  log::SetLevel(l);
  return true;
}

}  // namespace

int RunServe(const char* config_path, const char* log_format, const char* log_level) {
  if (!SetupLogging(log_format, log_level)) return 2;
  auto config = LoadConfigFile(config_path);
  if (!config.ok()) return ConfigError(config_path, config.status());

  // Block the stop signals in every thread; this one waits for them below.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  auto app = App::Create(*config);
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
  cli.set_version_flag("--version", kVersion);

  std::string config_path;
  std::string log_format = "text";
  std::string log_level = "info";
  auto* serve = cli.add_subcommand("serve", "Run the server");
  serve->add_option("-c,--config", config_path, "Config file (JSON)")->required();
  serve->add_option("--log-format", log_format, "text or json")->capture_default_str();
  serve->add_option("--log-level", log_level, "debug, info, warn or error")->capture_default_str();

  auto* check = cli.add_subcommand("check-config", "Validate a config file and exit (0 = valid, 2 = not)");
  check->add_option("-c,--config", config_path, "Config file (JSON)")->required();

  cli.add_subcommand("demo", "Run the whole round trip locally: signed mentions in, a reply out");

  std::string platform, text, url;
  auto* simulate = cli.add_subcommand("simulate", "Send a correctly signed sample webhook to a running server");
  simulate->add_option("platform", platform, "Platform to imitate (generic, ...)")->required();
  simulate->add_option("-c,--config", config_path, "The server's config file (for secrets and port)")->required();
  simulate->add_option("--text", text, "Text of the sample mention");
  simulate->add_option("--url", url, "duplex's base URL (default: from listen in the config)");

  cli.add_subcommand("version", "Print the version");

  std::string probe_url = "http://127.0.0.1:8080/healthz";
  auto* health = cli.add_subcommand("healthcheck", "Exit 0 if a running duplex answers its health URL (for containers)");
  health->add_option("--url", probe_url, "URL to probe")->capture_default_str();

  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = cli.exit(e);
    return code == 0 ? 0 : 2;
  }

  if (cli.got_subcommand("version")) {
    std::cout << "duplex " << kVersion << " (schema " << storage::LatestSchemaVersion() << ")\n";
    return 0;
  }
  if (cli.got_subcommand("check-config")) {
    auto config = LoadConfigFile(config_path);
    if (!config.ok()) return ConfigError(config_path, config.status());
    std::cout << "config " << config_path << " is valid\n";
    return 0;
  }
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
  if (cli.got_subcommand("serve")) return RunServe(config_path.c_str(), log_format.c_str(), log_level.c_str());
  if (cli.got_subcommand("demo")) return RunDemo();
  if (cli.got_subcommand("simulate")) {
    return RunSimulate(platform.c_str(), config_path.c_str(), text.c_str(), url.c_str());
  }
  return 2;
}

}  // namespace duplex
