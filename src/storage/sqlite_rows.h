// Internal to the SQLite store: row readers and a cached-statement handle.
#pragma once

#include <SQLiteCpp/Column.h>
#include <SQLiteCpp/Statement.h>

#include <mutex>
#include <optional>

#include "core/log.h"
#include "core/status.h"

#include "core/models.h"
#include "storage/columns.h"
#include "storage/outbox.h"

namespace duplex::storage {

Conversation ReadConversation(SQLite::Statement& q);
StoredMessage ReadMessage(SQLite::Statement& q);
Delivery ReadDelivery(SQLite::Statement& q);

void BindOptionalInt(SQLite::Statement& q, int index, const std::optional<std::int64_t>& v);

// Every public store method runs its body through this: lock, catch, log, and turn a
// database exception into a Status the caller can answer 503 with.
template <typename F>
auto Guarded(std::mutex& mu, const char* what, F&& body) -> decltype(body()) {
  std::lock_guard lock(mu);
  try {
    return body();
  } catch (const std::exception& e) {
    log::Error("database operation failed", {{"operation", what}, {"error", e.what()}});
    return Status::Unavailable("database unavailable");
  }
}

// A prepared statement borrowed from the cache: reset when the handle goes away, so no
// statement keeps a read snapshot open (which would stall WAL checkpoints).
class StmtHandle {
 public:
  explicit StmtHandle(SQLite::Statement& s) : s_(s) {}
  ~StmtHandle() {
    try {
      s_.reset();
    } catch (...) {  // reset reports the last step's error again; it was handled there
    }
  }
  StmtHandle(const StmtHandle&) = delete;
  StmtHandle& operator=(const StmtHandle&) = delete;
  SQLite::Statement* operator->() { return &s_; }
  SQLite::Statement& operator*() { return s_; }

 private:
  SQLite::Statement& s_;
};

}  // namespace duplex::storage
