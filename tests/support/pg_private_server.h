// A PostgreSQL 15 server of one test's own, for tests that stop and start it (a restart, a
// failover): the shared server of scripts/with-postgres must keep running for the tests
// beside them. It is set up as that script sets up its server: initdb and pg_ctl run as the
// `postgres` user (through runuser) when the test runs as root, in a fresh temporary
// directory, on a port the kernel reported free, listening on 127.0.0.1 only with its unix
// socket in that directory, fsync on, password authentication. Stopped and removed with its
// directory when this goes away, whatever the test did.
#pragma once

#include <string>
#include <vector>

namespace duplex::test {

class PgPrivateServer {
 public:
  // Prints the line ctest recognises as a skip and returns true when PostgreSQL 15's
  // initdb and pg_ctl are not installed: `if (PgPrivateServer::Skip()) return;`.
  static bool Skip();

  // With `tls`, the server takes TLS only (a self-signed certificate, test/tls_cert.h), and
  // url() asks for it (sslmode=require).
  struct Options {
    bool tls = false;
  };

  // initdb and start; throws std::runtime_error with the server's log when either fails.
  PgPrivateServer();
  explicit PgPrivateServer(Options options);
  ~PgPrivateServer();
  PgPrivateServer(const PgPrivateServer&) = delete;
  PgPrivateServer& operator=(const PgPrivateServer&) = delete;

  // postgresql://postgres:<password>@127.0.0.1:<port>/postgres
  const std::string& url() const { return url_; }
  int port() const { return port_; }

  // pg_ctl stop -m `mode` ("fast": sessions are ended, a checkpoint is written;
  // "immediate": the server quits at once, as in a crash, and recovers from its WAL at the
  // next start). Returns once the server is down.
  void Stop(const std::string& mode);
  // Starts it again on the same port; returns once it accepts connections.
  void Start();

 private:
  // Runs a PostgreSQL program (as `postgres` when root); its output goes to the log file.
  int Run(const std::vector<std::string>& args) const;
  bool StartOn(int port);
  std::string Log() const;

  Options options_;
  std::string tls_cert_, tls_key_;  // with options_.tls
  std::string dir_;
  std::string url_;
  int port_ = 0;
  bool running_ = false;
};

}  // namespace duplex::test
