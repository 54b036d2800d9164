// The durable ingest baseline: the simplest server that keeps duplex's promise on the same
// disk. POST /webhooks/generic is answered 200 only after its raw body is committed to SQLite
// (WAL, synchronous=FULL) by one writer thread that takes every body waiting at that moment
// into one transaction (group commit). Nothing else: no signature, no parsing, no routing.
// Its HTTP set-up is duplex's (TCP_NODELAY, thread pool size, timeouts, keep-alive), so the
// difference between the two is the work duplex does between the socket and the commit.
//
//   durable_server --port P --db FILE [--threads 64] [--keep-alive-max N]
#include <httplib.h>
#include <sqlite3.h>

#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "baseline_server.h"

namespace {

// Bodies join the newest batch until the writer takes it; the writer answers the whole batch
// with one broadcast after its commit.
struct Batch {
  std::vector<std::string> bodies;
  bool done = false;
  bool ok = false;
  std::condition_variable done_cv;
};

class Writer {
 public:
  explicit Writer(sqlite3* db) : db_(db), thread_([this] { Run(); }) {}
  ~Writer() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

  // Blocks until the body is committed; false if the commit failed.
  bool Commit(std::string body) {
    std::unique_lock lock(mu_);
    if (queue_.empty()) queue_.push_back(std::make_shared<Batch>());
    std::shared_ptr<Batch> batch = queue_.back();
    batch->bodies.push_back(std::move(body));
    if (batch->bodies.size() == 1) cv_.notify_one();
    batch->done_cv.wait(lock, [&] { return batch->done; });
    return batch->ok;
  }

 private:
  void Run() {
    sqlite3_stmt* insert = nullptr;
    sqlite3_prepare_v2(db_, "INSERT INTO bodies (body) VALUES (?)", -1, &insert, nullptr);
    for (;;) {
      std::shared_ptr<Batch> batch;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) break;
        batch = std::move(queue_.front());
        queue_.pop_front();
      }
      bool ok = sqlite3_exec(db_, "BEGIN", nullptr, nullptr, nullptr) == SQLITE_OK;
      for (const auto& body : batch->bodies) {
        sqlite3_bind_blob(insert, 1, body.data(), static_cast<int>(body.size()), SQLITE_STATIC);
        ok = ok && sqlite3_step(insert) == SQLITE_DONE;
        sqlite3_reset(insert);
      }
      ok = ok && sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) == SQLITE_OK;
      if (!ok) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      {
        std::lock_guard lock(mu_);
        batch->ok = ok;
        batch->done = true;
      }
      batch->done_cv.notify_all();
    }
    sqlite3_finalize(insert);
  }

  sqlite3* db_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<Batch>> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace

int main(int argc, char** argv) {
  int port = 0;
  int threads = 64;
  int keep_alive_max = 0;  // 0: cpp-httplib's default
  std::string path;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--port") {
      port = std::atoi(argv[i + 1]);
    } else if (flag == "--threads") {
      threads = std::atoi(argv[i + 1]);
    } else if (flag == "--keep-alive-max") {
      keep_alive_max = std::atoi(argv[i + 1]);
    } else if (flag == "--db") {
      path = argv[i + 1];
    }
  }
  if (port <= 0 || threads <= 0 || path.empty()) {
    std::fprintf(stderr,
                 "usage: durable_server --port P --db FILE [--threads N] [--keep-alive-max N]\n");
    return 2;
  }

  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK ||
      sqlite3_exec(
          db,
          "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
          " CREATE TABLE IF NOT EXISTS bodies (id INTEGER PRIMARY KEY, body BLOB NOT NULL)",
          nullptr, nullptr, nullptr) != SQLITE_OK) {
    std::fprintf(stderr, "durable_server: cannot open %s: %s\n", path.c_str(), sqlite3_errmsg(db));
    return 1;
  }

  httplib::Server server;
  int exit_code = 0;
  duplex::bench::SetUpLikeDuplex(server, threads, keep_alive_max);

  {
    Writer writer(db);
    server.Post("/webhooks/generic", [&](const httplib::Request& req, httplib::Response& res) {
      if (!writer.Commit(req.body)) {
        res.status = 503;
        res.set_content("{\"error\":\"database unavailable\"}", "application/json");
        return;
      }
      res.status = 200;
      res.set_content("{\"ok\":true,\"accepted\":1,\"duplicates\":0}", "application/json");
    });

    exit_code = duplex::bench::ServeUntilSignalled(server, port, "durable_server");
  }
  sqlite3_close(db);
  return exit_code;
}
