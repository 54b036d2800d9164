#include "storage/group_commit.h"

#include "core/log.h"

namespace duplex {

GroupCommitter::GroupCommitter(Store& store, const Clock& clock, std::size_t max_queued_requests,
                               std::function<void()> on_commit, std::size_t max_batch_requests)
    : store_(store),
      clock_(clock),
      max_queued_(max_queued_requests),
      max_batch_(max_batch_requests),
      on_commit_(std::move(on_commit)),
      writer_([this] { Run(); }) {}

GroupCommitter::~GroupCommitter() { Stop(); }

void GroupCommitter::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (writer_.joinable()) writer_.join();
}

Result<std::vector<IngestOutcome>> GroupCommitter::Ingest(std::vector<IngestItem> items) {
  std::future<Result<std::vector<IngestOutcome>>> done;
  {
    std::lock_guard lock(mu_);
    if (stopping_) return Status::Unavailable("shutting down");
    if (queue_.size() >= max_queued_) return Status::Unavailable("overloaded, retry later");
    queue_.push_back(Request{std::move(items), {}});
    done = queue_.back().done.get_future();
  }
  cv_.notify_one();
  return done.get();
}

GroupCommitStats GroupCommitter::Stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void GroupCommitter::Run() {
  for (;;) {
    std::vector<Request> batch;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything queued is committed
      batch.reserve(queue_.size());
      while (!queue_.empty() && (max_batch_ == 0 || batch.size() < max_batch_)) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    CommitBatch(batch);
  }
}

void GroupCommitter::CommitBatch(std::vector<Request>& batch) {
  std::vector<IngestItem> all;
  for (auto& r : batch) {
    for (auto& item : r.items) all.push_back(std::move(item));
  }
  auto result = store_.Ingest(all, clock_.NowMs());
  if (!result.ok() && batch.size() > 1) {
    // Isolate the failure: commit each request alone so the others still succeed.
    log::Warn("group commit failed; retrying requests one by one",
              {{"requests", std::to_string(batch.size())}, {"error", result.status().message()}});
    std::size_t offset = 0;
    bool any = false;
    for (auto& r : batch) {
      std::size_t n = r.items.size();
      std::vector<IngestItem> own(all.begin() + static_cast<std::ptrdiff_t>(offset),
                                  all.begin() + static_cast<std::ptrdiff_t>(offset + n));
      offset += n;
      auto single = store_.Ingest(own, clock_.NowMs());
      any = any || single.ok();
      r.done.set_value(std::move(single));
    }
    if (any && on_commit_) on_commit_();
    return;
  }
  {
    std::lock_guard lock(mu_);
    stats_.batches++;
    stats_.requests += batch.size();
    stats_.max_batch = std::max<std::uint64_t>(stats_.max_batch, batch.size());
    std::size_t bucket = 0;
    for (std::size_t n = batch.size(); n > 1 && bucket < 6; n >>= 1) ++bucket;
    stats_.size_buckets[bucket]++;
  }
  if (!result.ok()) {
    batch.front().done.set_value(result.status());
    return;
  }
  if (on_commit_) on_commit_();
  std::size_t offset = 0;
  for (auto& r : batch) {
    std::size_t n = r.items.size();
    std::vector<IngestOutcome> own(result->begin() + static_cast<std::ptrdiff_t>(offset),
                                   result->begin() + static_cast<std::ptrdiff_t>(offset + n));
    offset += n;
    r.done.set_value(std::move(own));
  }
}

}  // namespace duplex
