// The `duplex` command line: serve, check-config, print-config, slack-manifest, backup,
// migrate-store, demo, simulate, chat, receive, healthcheck, version.
// Exit codes: 0 success, 1 runtime failure, 2 bad usage or bad config.
#pragma once

#include <string>

#include "core/status.h"

namespace duplex {

int RunCli(int argc, char** argv);

// Subcommands, each returning the process exit code.
int RunServe(const char* config_path, const char* log_format, const char* log_level);
int RunDemo();
int RunSimulate(const char* platform, const char* config_path, const char* text, const char* url);
int RunChat(const std::string& config_path, const std::string& command, const std::string& user,
            const std::string& channel, const std::string& url);
int RunReceive(const std::string& config_path);

// Reports an invalid config at `path` (one line of s.message() a problem: on stderr, or as
// log lines in JSON mode) and returns exit code 2.
int ConfigError(const std::string& path, const Status& s);

// Operator commands (ops_commands.cpp).
int RunCheckConfig(const std::string& config_path);
int RunPrintConfig(const std::string& config_path);
int RunSlackManifest(const std::string& config_path);
int RunBackup(const std::string& config_path, const std::string& to, bool force);
// Copies the SQLite database `from` into the empty PostgreSQL database `to` (a URL) and prints
// the row counts of both; 2 when refused, 1 when the copy failed (nothing kept).
int RunMigrateStore(const std::string& from, const std::string& to);

}  // namespace duplex
