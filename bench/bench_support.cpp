#include "bench_support.h"

#include <fcntl.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "security/signatures.h"

#ifndef DUPLEX_BENCH_DIR
#error "DUPLEX_BENCH_DIR must point at bench/"
#endif

namespace duplex::bench {

std::string Today() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", std::localtime(&t));
  return buf;
}

std::string CpuModel() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  }
  return "unknown CPU";
}

std::string MemTotal() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  long kb = 0;
  in >> key >> kb;
  return Fixed(static_cast<double>(kb) / 1024 / 1024, 1) + " GiB";
}

std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

unsigned Cores() {
  return std::max(1u, std::thread::hardware_concurrency());
}

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/duplex-bench-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (mkdtemp(buf.data()) == nullptr) {
    std::perror("mkdtemp");
    std::exit(1);
  }
  path_ = buf.data();
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

Child::Child(const std::vector<std::string>& argv, const std::string& log_path) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_ = fork();
  if (pid_ == 0) {
    int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
      close(fd);
    }
    int null = open("/dev/null", O_RDONLY);
    if (null >= 0) dup2(null, 0);
    execv(args[0], args.data());
    std::perror("execv");
    _exit(127);
  }
}

Child::~Child() {
  if (pid_ > 0 && !reaped_) Stop(SIGKILL, 5000);
}

int Child::Stop(int sig, int timeout_ms) {
  if (pid_ <= 0 || reaped_) return -1;
  kill(pid_, sig);
  int status = 0;
  for (int waited = 0; waited < timeout_ms; waited += 10) {
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      reaped_ = true;
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    usleep(10'000);
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, &status, 0);
  reaped_ = true;
  return -1;
}

ProcMemory ReadProcMemory(pid_t pid) {
  ProcMemory m;
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    auto value = [&] { return std::atol(line.c_str() + line.find(':') + 1); };
    if (line.rfind("VmRSS:", 0) == 0) m.rss_kb = value();
    if (line.rfind("VmHWM:", 0) == 0) m.hwm_kb = value();
    if (line.rfind("Threads:", 0) == 0) m.threads = value();
  }
  return m;
}

double ProcCpuSeconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // Fields after the command name (which may hold spaces) start after the last ')'.
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::string f;
  double utime = 0, stime = 0;
  for (int i = 3; fields >> f; ++i) {
    if (i == 14) utime = std::atof(f.c_str());
    if (i == 15) {
      stime = std::atof(f.c_str());
      break;
    }
  }
  return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

std::string HttpGet(int port, const std::string& path, int* status) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(2, 0);
  client.set_read_timeout(10, 0);
  auto res = client.Get(path.c_str());
  if (status) *status = res ? res->status : 0;
  return res ? res->body : "";
}

bool WaitForHttp(int port, const std::string& path, int timeout_ms) {
  for (int waited = 0; waited < timeout_ms; waited += 50) {
    int status = 0;
    HttpGet(port, path, &status);
    if (status == 200) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

double Metric(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(series, 0) != 0) continue;
    const char next = line.size() > series.size() ? line[series.size()] : '\0';
    if (next != ' ' && next != '{' && series.back() != '}') continue;
    return std::atof(line.c_str() + line.rfind(' ') + 1);
  }
  return 0;
}

SignedWebhook SignGeneric(const std::string& id, const std::string& conversation,
                          const std::string& text, std::int64_t unix_seconds) {
  SignedWebhook w;
  w.id = id;
  w.timestamp = std::to_string(unix_seconds);
  w.body = nlohmann::json{{"id", "msg-" + id},
                          {"conversation", conversation},
                          {"kind", "mention"},
                          {"author",
                           {{"id", "author-" + conversation},
                            {"handle", "customer_" + conversation},
                            {"name", "Customer " + conversation},
                            {"followers", 1250}}},
                          {"text", text},
                          {"url", "https://crm.example.com/messages/msg-" + id}}
               .dump();
  w.signature = security::SignStandardWebhook(kGenericSecret, w.id, w.timestamp, w.body);
  return w;
}

void WriteSignedRequestFiles(const std::string& prefix, int files, int per_file,
                             const std::string& tag) {
  const std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
  for (int f = 0; f < files; ++f) {
    std::ofstream out(prefix + "." + std::to_string(f), std::ios::trunc);
    for (int n = 0; n < per_file; ++n) {
      const std::string id = tag + "-" + std::to_string(f) + "-" + std::to_string(n);
      const std::string conversation = tag + "-" + std::to_string(f) + "-c" + std::to_string(n / 4);
      SignedWebhook w = SignGeneric(id, conversation,
                                    "@acme my order " + std::to_string(n) +
                                        " arrived damaged and support has not answered "
                                        "for two days; can someone look at this please? (bench-" +
                                        std::to_string(n) + ")",
                                    now);
      out << w.id << '\t' << w.timestamp << '\t' << w.signature << '\t' << w.body << '\n';
    }
  }
}

WrkResult RunWrk(const std::string& url, int threads, int connections, double seconds,
                 const std::string& request_prefix) {
  WrkResult r;
  const std::string cmd = "wrk -t" + std::to_string(threads) + " -c" + std::to_string(connections) +
                          " -d" + std::to_string(static_cast<int>(std::lround(seconds))) +
                          "s --timeout 10s -s " DUPLEX_BENCH_DIR "/signed_webhooks.lua " + url +
                          " -- " + request_prefix + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  while (std::fgets(buf, sizeof buf, p)) r.raw += buf;
  pclose(p);
  const auto at = r.raw.find("WRK_RESULT ");
  if (at == std::string::npos) return r;
  std::map<std::string, double> v;
  std::istringstream in(r.raw.substr(at + 11, r.raw.find('\n', at) - at - 11));
  std::string kv;
  while (in >> kv) {
    auto eq = kv.find('=');
    v[kv.substr(0, eq)] = std::atof(kv.c_str() + eq + 1);
  }
  r.ok = true;
  r.requests = v["requests"];
  r.seconds = v["duration_us"] / 1e6;
  r.rps = r.seconds > 0 ? r.requests / r.seconds : 0;
  r.p50_ms = v["p50_us"] / 1000;
  r.p90_ms = v["p90_us"] / 1000;
  r.p99_ms = v["p99_us"] / 1000;
  r.max_ms = v["max_us"] / 1000;
  r.errors =
      static_cast<long>(v["connect_errors"] + v["read_errors"] + v["write_errors"] + v["timeouts"]);
  r.status_errors = static_cast<long>(v["status_errors"]);
  r.wraps = static_cast<long>(v["wraps"]);
  return r;
}

FakeSlack::FakeSlack(int threads) : server_(std::make_unique<httplib::Server>()) {
  server_->set_tcp_nodelay(true);
  server_->new_task_queue = [threads] {
    return new httplib::ThreadPool(static_cast<std::size_t>(threads));
  };
  server_->Post("/api/chat.postMessage",
                [this](const httplib::Request& req, httplib::Response& res) {
                  std::int64_t marker = -1;
                  if (auto at = req.body.find("bench-"); at != std::string::npos) {
                    marker = std::atoll(req.body.c_str() + at + 6);
                  }
                  std::size_t n = 0;
                  {
                    std::unique_lock lock(mu_);
                    // Held: the post waits unanswered, at most a minute (bounded, whatever
                    // happens).
                    cv_.wait_for(lock, std::chrono::seconds(60), [&] { return !held_; });
                    const SteadyTime now = std::chrono::steady_clock::now();
                    n = ++posts_;
                    times_.push_back(now);
                    if (marker >= 0) arrivals_.emplace(marker, now);
                  }
                  cv_.notify_all();
                  res.set_content("{\"ok\":true,\"channel\":\"C0SOCIAL\",\"ts\":\"1700000000." +
                                      std::to_string(100000 + n) + "\"}",
                                  "application/json");
                });
  port_ = server_->bind_to_any_port("127.0.0.1");
  thread_ = std::thread([this] { server_->listen_after_bind(); });
}

FakeSlack::~FakeSlack() {
  Release();
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

void FakeSlack::Hold() {
  std::lock_guard lock(mu_);
  held_ = true;
}

void FakeSlack::Release() {
  {
    std::lock_guard lock(mu_);
    held_ = false;
  }
  cv_.notify_all();
}

std::size_t FakeSlack::Posts() const {
  std::lock_guard lock(mu_);
  return posts_;
}

std::map<std::int64_t, SteadyTime> FakeSlack::Arrivals() const {
  std::lock_guard lock(mu_);
  return arrivals_;
}

std::vector<SteadyTime> FakeSlack::ArrivalTimes() const {
  std::lock_guard lock(mu_);
  return times_;
}

bool FakeSlack::WaitForPosts(std::size_t n, int timeout_ms) const {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return posts_ >= n; });
}

nlohmann::json DuplexConfig(const std::string& dir, int port, const std::string& slack_api) {
  return {{"listen", {{"host", "127.0.0.1"}, {"port", port}}},
          {"database", dir + "/duplex.db"},
          {"chat",
           {{"kind", "slack"},
            {"api_base", slack_api},
            {"bot_token", "xoxb-bench-token"},
            {"signing_secret", "8f742231b10e8888abcd99yyyzzz85a5"},
            {"team_id", "T0001"},
            {"default_channel", "C0SOCIAL"},
            {"admins", {"U0ADMIN"}}}},
          {"platforms", {{"generic", {{"secret", kGenericSecret}}}}}};
}

std::unique_ptr<Child> StartDuplex(const std::string& binary, const std::string& dir,
                                   const nlohmann::json& config) {
  const std::string path = dir + "/duplex.json";
  std::ofstream(path, std::ios::trunc) << config.dump(2);
  auto child = std::make_unique<Child>(std::vector<std::string>{binary, "serve", "--config", path},
                                       dir + "/duplex.log");
  if (!WaitForHttp(config["listen"]["port"].get<int>(), "/readyz")) {
    std::fprintf(stderr, "duplex did not become ready; see %s/duplex.log\n", dir.c_str());
    std::exit(1);
  }
  return child;
}

std::string ListRatios(const std::vector<double>& v) {
  std::string out;
  for (double x : v) out += (out.empty() ? "" : ", ") + Fixed(x, 2);
  return out;
}

double Percentile(std::vector<double>& values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const double rank = p / 100.0 * static_cast<double>(values.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(rank));
  const auto hi = std::min(values.size() - 1, lo + 1);
  return values[lo] + (values[hi] - values[lo]) * (rank - static_cast<double>(lo));
}

std::string Fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string Thousands(double v) {
  std::string digits = std::to_string(static_cast<long long>(std::llround(v)));
  std::string out;
  int n = 0;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    if (n && n % 3 == 0 && *it != '-') out.insert(out.begin(), ',');
    out.insert(out.begin(), *it);
    ++n;
  }
  return out;
}

}  // namespace duplex::bench
