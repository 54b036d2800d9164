#include "support/pg_private_server.h"

#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <stdexcept>

#include "support/process.h"
#include "support/test_util.h"
#include "support/tls_cert.h"

namespace duplex::test {
namespace {

const std::string kPgBin = "/usr/lib/postgresql/15/bin";

bool AsRoot() {
  return geteuid() == 0;
}

// The `postgres` user's ids, for the files initdb and the server must own when we are root.
void GiveToPostgres(const std::string& path) {
  if (!AsRoot()) return;
  const passwd* pg = getpwnam("postgres");
  if (pg == nullptr) throw std::runtime_error("PgPrivateServer: no 'postgres' user");
  if (chown(path.c_str(), pg->pw_uid, pg->pw_gid) != 0) {
    throw std::runtime_error("PgPrivateServer: cannot chown " + path);
  }
}

std::string RandomPassword() {
  std::random_device rd;
  static const char kChars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::string out;
  for (int i = 0; i < 24; ++i) out += kChars[rd() % (sizeof kChars - 1)];
  return out;
}

}  // namespace

bool PgPrivateServer::Skip() {
  if (access((kPgBin + "/initdb").c_str(), X_OK) == 0 &&
      access((kPgBin + "/pg_ctl").c_str(), X_OK) == 0) {
    return false;
  }
  std::printf(
      "DUPLEX-PG-SKIP: PostgreSQL 15 is not installed (%s), test skipped "
      "(scripts/setup installs postgresql-15)\n",
      kPgBin.c_str());
  return true;
}

int PgPrivateServer::Run(const std::vector<std::string>& args) const {
  std::vector<std::string> argv;
  if (AsRoot()) argv = {"/usr/sbin/runuser", "-u", "postgres", "--"};
  argv.insert(argv.end(), args.begin(), args.end());
  const std::string log = dir_ + "/commands.log";
  pid_t pid = fork();
  if (pid == 0) {
    int out = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(out, 1);
    dup2(out, 2);
    std::vector<char*> raw;
    for (auto& a : argv) raw.push_back(a.data());
    raw.push_back(nullptr);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execv(raw[0], raw.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string PgPrivateServer::Log() const {
  return ReadFile(dir_ + "/commands.log") + ReadFile(dir_ + "/server.log");
}

PgPrivateServer::PgPrivateServer() : PgPrivateServer(Options{}) {}

PgPrivateServer::PgPrivateServer(Options options) : options_(options) {
  char pattern[] = "/tmp/duplex-pgp.XXXXXX";
  if (mkdtemp(pattern) == nullptr) throw std::runtime_error("PgPrivateServer: mkdtemp failed");
  dir_ = pattern;
  GiveToPostgres(dir_);
  chmod(dir_.c_str(), 0700);
  const std::string password = RandomPassword();
  WriteFile(dir_ + "/pwfile", password + "\n");
  GiveToPostgres(dir_ + "/pwfile");
  if (Run({kPgBin + "/initdb", "-D", dir_ + "/data", "-U", "postgres", "--auth=scram-sha-256",
           "--pwfile=" + dir_ + "/pwfile", "-E", "UTF8", "--locale=C.UTF-8"}) != 0) {
    const std::string log = Log();
    std::filesystem::remove_all(dir_);
    throw std::runtime_error("PgPrivateServer: initdb failed:\n" + log);
  }
  if (options_.tls) {
    std::filesystem::create_directories(dir_ + "/tls");
    const TlsFiles tls = MakeSelfSignedCert(dir_ + "/tls");
    chmod(tls.key.c_str(), 0600);
    for (const auto& path : {dir_ + "/tls", tls.cert, tls.key}) GiveToPostgres(path);
    tls_cert_ = tls.cert;
    tls_key_ = tls.key;
  }
  // Another process may take the free port before the server binds it: try another.
  for (int i = 0; i < 5 && !running_; ++i) StartOn(FreePort());
  if (!running_) {
    const std::string log = Log();
    std::filesystem::remove_all(dir_);
    throw std::runtime_error("PgPrivateServer: the server did not start:\n" + log);
  }
  url_ = "postgresql://postgres:" + password + "@127.0.0.1:" + std::to_string(port_) + "/postgres" +
         (options_.tls ? "?sslmode=require" : "");
}

PgPrivateServer::~PgPrivateServer() {
  if (running_ || std::filesystem::exists(dir_ + "/data/postmaster.pid")) {
    Run({kPgBin + "/pg_ctl", "-D", dir_ + "/data", "-m", "immediate", "-w", "stop"});
  }
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

bool PgPrivateServer::StartOn(int port) {
  running_ = Run({kPgBin + "/pg_ctl", "-D", dir_ + "/data", "-l", dir_ + "/server.log", "-w", "-t",
                  "30", "start", "-o",
                  "-c listen_addresses=127.0.0.1 -p " + std::to_string(port) + " -k " + dir_ +
                      " -c fsync=on" +
                      (options_.tls ? " -c ssl=on -c ssl_cert_file=" + tls_cert_ +
                                          " -c ssl_key_file=" + tls_key_
                                    : "")}) == 0;
  if (running_) port_ = port;
  return running_;
}

void PgPrivateServer::Stop(const std::string& mode) {
  if (Run({kPgBin + "/pg_ctl", "-D", dir_ + "/data", "-m", mode, "-w", "-t", "30", "stop"}) != 0) {
    throw std::runtime_error("PgPrivateServer: pg_ctl stop -m " + mode + " failed:\n" + Log());
  }
  running_ = false;
}

void PgPrivateServer::Start() {
  if (!StartOn(port_)) {
    throw std::runtime_error("PgPrivateServer: the server did not start again on port " +
                             std::to_string(port_) + ":\n" + Log());
  }
}

}  // namespace duplex::test
