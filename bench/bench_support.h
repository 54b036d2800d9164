// What the server benchmarks share: child processes (duplex serve, the bare server, wrk),
// memory from /proc, Prometheus scraping, pre-signed generic webhooks, a fake Slack Web API
// that timestamps each chat.postMessage, percentiles, and a description of the machine.
// Everything listens on 127.0.0.1 only; every loop is bounded in count and time.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace httplib {
class Server;
}

namespace duplex::bench {

using SteadyTime = std::chrono::steady_clock::time_point;

inline constexpr const char* kGenericSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

// "2026-11-26", the CPU model, "23 GiB", "4.53 6.41 7.28".
std::string Today();
std::string CpuModel();
std::string MemTotal();
std::string LoadAverage();
unsigned Cores();

// A fresh directory under $TMPDIR (on disk, so fsync costs what it costs); removed on exit.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

int FreePort();

// A child process with stdout and stderr appended to `log_path`.
class Child {
 public:
  Child(const std::vector<std::string>& argv, const std::string& log_path);
  ~Child();  // SIGKILL if still running
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  pid_t pid() const { return pid_; }
  // Sends `sig` and waits up to `timeout_ms` (then SIGKILL). Returns the exit code, or -1.
  int Stop(int sig = 15, int timeout_ms = 15'000);

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
};

struct ProcMemory {
  long rss_kb = 0;  // VmRSS
  long hwm_kb = 0;  // VmHWM: the peak RSS so far
  long threads = 0;
};
ProcMemory ReadProcMemory(pid_t pid);
// CPU time (user + system, all threads) the process has used so far, in seconds.
double ProcCpuSeconds(pid_t pid);

// GET http://127.0.0.1:port/path; empty on failure.
std::string HttpGet(int port, const std::string& path, int* status = nullptr);
// Polls until GET answers 200 or `timeout_ms` passes.
bool WaitForHttp(int port, const std::string& path, int timeout_ms = 15'000);

// The value of the Prometheus series that starts with `series` ("name" or "name{labels}").
double Metric(const std::string& text, const std::string& series);

// A generic mention, signed for POST /webhooks/generic.
struct SignedWebhook {
  std::string id, timestamp, signature, body;
};
SignedWebhook SignGeneric(const std::string& id, const std::string& conversation,
                          const std::string& text, std::int64_t unix_seconds);

// Writes `files` files `prefix.0`, `prefix.1`, ... of `per_file` pre-signed webhooks each
// (ids `<tag>-<file>-<n>`, four messages per conversation), signed now.
void WriteSignedRequestFiles(const std::string& prefix, int files, int per_file,
                             const std::string& tag);

struct WrkResult {
  bool ok = false;
  double requests = 0;
  double seconds = 0;
  double rps = 0;
  double p50_ms = 0, p90_ms = 0, p99_ms = 0, max_ms = 0;
  long errors = 0;         // connect, read, write, timeout
  long status_errors = 0;  // non-2xx/3xx answers
  long wraps = 0;          // request files cycled (ids repeated)
  std::string raw;
};
// wrk -t threads -c connections -d seconds -s signed_webhooks.lua url -- prefix
WrkResult RunWrk(const std::string& url, int threads, int connections, double seconds,
                 const std::string& request_prefix);

// A fake Slack Web API on 127.0.0.1: chat.postMessage answers ok with a new ts and records
// when each post arrived, keyed by the number after "bench-" in its body. Held, it keeps
// every post waiting unanswered (Slack unreachable) until Release().
class FakeSlack {
 public:
  explicit FakeSlack(int threads = 16);
  ~FakeSlack();
  std::string api_base() const { return "http://127.0.0.1:" + std::to_string(port_) + "/api"; }
  int port() const { return port_; }

  void Hold();
  void Release();
  std::size_t Posts() const;
  // Arrival time of the post whose body carries "bench-<n>".
  std::map<std::int64_t, SteadyTime> Arrivals() const;
  std::vector<SteadyTime> ArrivalTimes() const;
  bool WaitForPosts(std::size_t n, int timeout_ms) const;

 private:
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  bool held_ = false;
  std::size_t posts_ = 0;
  std::map<std::int64_t, SteadyTime> arrivals_;
  std::vector<SteadyTime> times_;
};

// A duplex config for `duplex serve`: generic platform, Slack at `slack_api`, database in `dir`.
nlohmann::json DuplexConfig(const std::string& dir, int port, const std::string& slack_api);
// Writes `config` to dir/duplex.json and starts `duplex serve` on it; waits for /readyz.
std::unique_ptr<Child> StartDuplex(const std::string& binary, const std::string& dir,
                                   const nlohmann::json& config);

// p in [0, 100] of `values` (sorted in place); 0 when empty.
double Percentile(std::vector<double>& values, double p);

inline double Median(std::vector<double> values) {
  return Percentile(values, 50);
}

// Paired rounds: `v.runs` holds one run per round, in round order.
// The median over the rounds of `figure(run)`.
template <typename V, typename F>
double MedianOf(const V& v, F figure) {
  std::vector<double> values;
  for (const auto& r : v.runs) values.push_back(figure(r));
  return Percentile(values, 50);
}
// Per-round ratios figure(a) / figure(b), a and b run in the same rounds.
template <typename V, typename F>
std::vector<double> Ratios(const V& a, const V& b, F figure) {
  std::vector<double> out;
  for (std::size_t i = 0; i < a.runs.size() && i < b.runs.size(); ++i) {
    const double below = figure(b.runs[i]);
    out.push_back(figure(a.runs[i]) / (below > 1e-9 ? below : 1e-9));
  }
  return out;
}
// "0.81, 0.93, 1.02"
std::string ListRatios(const std::vector<double>& v);

std::string Fixed(double v, int decimals);
// 12345.6 → "12,346"
std::string Thousands(double v);

}  // namespace duplex::bench
