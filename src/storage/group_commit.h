// GroupCommitter: one writer thread that gathers the ingest requests of concurrent webhook
// handlers into a single transaction (group commit), so one fsync serves many requests.
// Guarantee: Ingest() returns only after the request's items are committed (or failed);
// a failed batch is retried request by request, so one bad request cannot fail others.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "storage/store.h"

namespace duplex {

struct GroupCommitStats {
  std::uint64_t batches = 0;
  std::uint64_t requests = 0;
  std::uint64_t max_batch = 0;
  // batches by size bucket: 1, 2-3, 4-7, 8-15, 16-31, 32-63, 64+
  std::uint64_t size_buckets[7] = {};
};

class GroupCommitter {
 public:
  // `on_commit` runs on the writer thread after each successful commit (wakes the worker).
  // `max_batch_requests` caps the requests per transaction (0: no cap). 1 turns batching off,
  // one transaction and fsync per request: for benchmarks that measure what batching gains.
  GroupCommitter(IngestStore& store, const Clock& clock, std::size_t max_queued_requests = 10'000,
                 std::function<void()> on_commit = {}, std::size_t max_batch_requests = 0);
  ~GroupCommitter();
  GroupCommitter(const GroupCommitter&) = delete;
  GroupCommitter& operator=(const GroupCommitter&) = delete;

  // Blocks until committed. Unavailable when the queue is full or the committer stopped.
  Result<std::vector<IngestOutcome>> Ingest(std::vector<IngestItem> items);

  // Commits what is queued, then stops the writer. Later Ingest calls fail Unavailable.
  void Stop();

  GroupCommitStats Stats() const;

 private:
  // The requests committed together. Requests join the newest batch until the writer takes
  // it; the writer then answers all of them with one broadcast (a wake-up per request cost
  // a system call each, and the profiler saw them: bench/README.md).
  struct Batch {
    std::vector<std::vector<IngestItem>> requests;
    std::vector<Result<std::vector<IngestOutcome>>> results;
    bool done = false;
    std::condition_variable done_cv;
  };
  void Run();
  void CommitBatch(Batch& batch);

  IngestStore& store_;
  const Clock& clock_;
  const std::size_t max_queued_;
  const std::size_t max_batch_;
  std::function<void()> on_commit_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<Batch>> queue_;
  std::size_t queued_requests_ = 0;
  bool stopping_ = false;
  GroupCommitStats stats_;
  std::thread writer_;
};

}  // namespace duplex
