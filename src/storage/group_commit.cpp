#include "storage/group_commit.h"

#include "core/log.h"

namespace duplex {

GroupCommitter::GroupCommitter(IngestStore& store, const Clock& clock,
                               std::size_t max_queued_requests, std::function<void()> on_commit,
                               std::size_t max_batch_requests)
    : store_(store),
      clock_(clock),
      max_queued_(max_queued_requests),
      max_batch_(max_batch_requests),
      on_commit_(std::move(on_commit)),
      writer_([this] { Run(); }) {}

GroupCommitter::~GroupCommitter() {
  Stop();
}

void GroupCommitter::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (writer_.joinable()) writer_.join();
}

Result<std::vector<IngestOutcome>> GroupCommitter::Ingest(std::vector<IngestItem> items) {
  std::unique_lock lock(mu_);
  if (stopping_) return Status::Unavailable("shutting down");
  if (queued_requests_ >= max_queued_) return Status::Unavailable("overloaded, retry later");
  if (queue_.empty() || (max_batch_ != 0 && queue_.back()->requests.size() >= max_batch_)) {
    queue_.push_back(std::make_shared<Batch>());
  }
  std::shared_ptr<Batch> batch = queue_.back();
  const std::size_t index = batch->requests.size();
  batch->requests.push_back(std::move(items));
  ++queued_requests_;
  if (index == 0) cv_.notify_one();  // a new batch: the writer may be waiting for work
  batch->done_cv.wait(lock, [&] { return batch->done; });
  return std::move(batch->results[index]);
}

GroupCommitStats GroupCommitter::Stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void GroupCommitter::Run() {
  for (;;) {
    std::shared_ptr<Batch> batch;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything queued is committed
      batch = std::move(queue_.front());
      queue_.pop_front();
      queued_requests_ -= batch->requests.size();
    }
    CommitBatch(*batch);
    {
      std::lock_guard lock(mu_);
      batch->done = true;
    }
    batch->done_cv.notify_all();
  }
}

void GroupCommitter::CommitBatch(Batch& batch) {
  const std::size_t n_requests = batch.requests.size();
  batch.results.reserve(n_requests);
  std::vector<IngestItem> all;
  for (auto& items : batch.requests) {
    for (auto& item : items) all.push_back(std::move(item));
  }
  auto result = store_.Ingest(all, clock_.NowMs());
  if (!result.ok() && n_requests > 1) {
    // Isolate the failure: commit each request alone so the others still succeed.
    log::Warn("group commit failed; retrying requests one by one",
              {{"requests", n_requests}, {"error", result.status().message()}});
    std::size_t offset = 0;
    bool any = false;
    for (const auto& items : batch.requests) {
      std::size_t n = items.size();
      std::vector<IngestItem> own(all.begin() + static_cast<std::ptrdiff_t>(offset),
                                  all.begin() + static_cast<std::ptrdiff_t>(offset + n));
      offset += n;
      auto single = store_.Ingest(own, clock_.NowMs());
      any = any || single.ok();
      batch.results.push_back(std::move(single));
    }
    if (any && on_commit_) on_commit_();
    return;
  }
  {
    std::lock_guard lock(mu_);
    stats_.batches++;
    stats_.requests += n_requests;
    stats_.max_batch = std::max<std::uint64_t>(stats_.max_batch, n_requests);
    std::size_t bucket = 0;
    for (std::size_t n = n_requests; n > 1 && bucket < 6; n >>= 1) ++bucket;
    stats_.size_buckets[bucket]++;
  }
  if (!result.ok()) {
    batch.results.assign(n_requests, result.status());
    return;
  }
  if (on_commit_) on_commit_();
  std::size_t offset = 0;
  for (const auto& items : batch.requests) {
    std::size_t n = items.size();
    batch.results.emplace_back(
        std::vector<IngestOutcome>(result->begin() + static_cast<std::ptrdiff_t>(offset),
                                   result->begin() + static_cast<std::ptrdiff_t>(offset + n)));
    offset += n;
  }
}

}  // namespace duplex
