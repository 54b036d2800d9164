#include "support/process.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "app/httplib_client.h"
#include "support/test_util.h"

namespace duplex::test {
namespace {

pid_t Spawn(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
            const std::string& out_path, const std::string& err_path) {
  pid_t pid = fork();
  if (pid != 0) return pid;
  int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  dup2(out, 1);
  dup2(err, 2);
  for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
  std::vector<char*> argv;
  std::string binary = DUPLEX_BINARY;
  argv.push_back(binary.data());
  std::vector<std::string> copy = args;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  // Tests block no signals in the child: reset the mask inherited from the test runner.
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  execv(binary.c_str(), argv.data());
  _exit(127);
}

int WaitExit(pid_t pid, int timeout_ms, int& status, bool& reaped) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      reaped = true;
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  reaped = true;
  return -1;
}

}  // namespace

ProcessResult RunDuplex(const std::vector<std::string>& args,
                        const std::map<std::string, std::string>& env, int timeout_ms) {
  TempDir dir;
  std::string out = dir.File("out"), err = dir.File("err");
  pid_t pid = Spawn(args, env, out, err);
  int status = 0;
  bool reaped = false;
  ProcessResult r;
  r.exit_code = WaitExit(pid, timeout_ms, status, reaped);
  r.out = ReadFile(out);
  r.err = ReadFile(err);
  return r;
}

DuplexProcess::DuplexProcess(const std::vector<std::string>& args, const std::string& log_dir,
                             const std::map<std::string, std::string>& env)
    : out_path_(log_dir + "/stdout-" + std::to_string(::getpid()) + "-" +
                std::to_string(std::chrono::steady_clock::now().time_since_epoch().count())),
      err_path_(out_path_ + ".err") {
  pid_ = Spawn(args, env, out_path_, err_path_);
}

DuplexProcess::~DuplexProcess() {
  if (!reaped_ && pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, &status_, 0);
  }
}

int DuplexProcess::Signal(int sig, int timeout_ms) {
  if (reaped_) return WIFEXITED(status_) ? WEXITSTATUS(status_) : -1;
  kill(pid_, sig);
  return WaitExit(pid_, timeout_ms, status_, reaped_);
}

bool DuplexProcess::Running() {
  if (reaped_) return false;
  pid_t r = waitpid(pid_, &status_, WNOHANG);
  if (r == pid_) reaped_ = true;
  return !reaped_;
}

std::string DuplexProcess::Stdout() const {
  return ReadFile(out_path_);
}
std::string DuplexProcess::Stderr() const {
  return ReadFile(err_path_);
}

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  int port = ntohs(addr.sin_port);
  close(fd);
  return port;
}

bool Healthy(int port) {
  HttplibClient http;
  HttpRequest r;
  r.method = "GET";
  r.url = "http://127.0.0.1:" + std::to_string(port) + "/healthz";
  r.timeout_ms = 500;
  auto res = http.Send(r);
  return res.ok() && res.response.status == 200;
}

bool Ready(int port) {
  HttplibClient http;
  HttpRequest r;
  r.method = "GET";
  r.url = "http://127.0.0.1:" + std::to_string(port) + "/readyz";
  r.timeout_ms = 1000;
  auto res = http.Send(r);
  return res.ok() && res.response.status == 200;
}

bool WaitHealthy(int port, int timeout_ms) {
  return WaitUntil([&] { return Healthy(port); }, timeout_ms);
}

bool WaitOutboxDrained(int port, int timeout_ms) {
  HttplibClient http;
  return WaitUntil(
      [&] {
        HttpRequest r;
        r.method = "GET";
        r.url = "http://127.0.0.1:" + std::to_string(port) + "/metrics";
        r.timeout_ms = 2000;
        auto res = http.Send(r);
        return res.ok() && res.response.status == 200 &&
               res.response.body.find("\nduplex_outbox_pending 0\n") != std::string::npos;
      },
      timeout_ms);
}

}  // namespace duplex::test
