// Running the real `duplex` binary from tests: one-shot commands with captured output, and
// a server process that can be stopped with a signal or killed outright.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

namespace duplex::test {

struct ProcessResult {
  int exit_code = -1;  // -1: killed by a signal or timed out
  std::string out;
  std::string err;
};

// Runs DUPLEX_BINARY with `args`; extra environment variables are added to the current ones.
ProcessResult RunDuplex(const std::vector<std::string>& args,
                        const std::map<std::string, std::string>& env = {},
                        int timeout_ms = 30'000);

class DuplexProcess {
 public:
  // Starts `duplex <args>` with stdout/stderr going to files in `log_dir`.
  DuplexProcess(const std::vector<std::string>& args, const std::string& log_dir,
                const std::map<std::string, std::string>& env = {});
  ~DuplexProcess();
  pid_t pid() const { return pid_; }
  // Sends `sig`; returns the exit code after waiting (-1 if killed by a signal or timeout).
  int Signal(int sig, int timeout_ms = 15'000);
  bool Running();
  std::string Stdout() const;
  std::string Stderr() const;

 private:
  pid_t pid_ = -1;
  std::string out_path_, err_path_;
  int status_ = -1;
  bool reaped_ = false;
};

// The first free TCP port on 127.0.0.1 (bound and released).
int FreePort();

// Polls the /metrics of a `duplex serve` on 127.0.0.1:`port` until duplex_outbox_pending
// (deliveries pending or sending, scheduled retries included) is 0. A server is drained then:
// whatever it was going to post is posted, so a count checked afterwards cannot be overtaken
// by a late duplicate.
bool WaitOutboxDrained(int port, int timeout_ms = 10'000);

// Whether a `duplex serve` on 127.0.0.1:`port` answers /healthz 200 now, and a wait for it.
bool Healthy(int port);
bool WaitHealthy(int port, int timeout_ms = 10'000);
// Whether it answers /readyz 200 now: up, and reaching its database.
bool Ready(int port);

}  // namespace duplex::test
