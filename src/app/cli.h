// The `duplex` command line: serve, check-config, demo, simulate, version.
// Exit codes: 0 success, 1 runtime failure, 2 bad usage or bad config.
#pragma once

namespace duplex {

int RunCli(int argc, char** argv);

// Subcommands, each returning the process exit code.
int RunServe(const char* config_path, const char* log_format, const char* log_level);
int RunDemo();
int RunSimulate(const char* platform, const char* config_path, const char* text, const char* url);

}  // namespace duplex
