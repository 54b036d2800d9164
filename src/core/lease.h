// Leases: a job that must run on one duplex instance at a time (the SLA scheduler, the X token
// refresh) while several share one database. A lease is a named row held by one owner (an
// instance id, core/instance_id.h) until a time: the holder renews it while it works, another
// instance takes it only once it has run out, and a holder that lost it stops acting. The row
// also carries the job's state for whoever holds it next (the X token refresh keeps the
// rotated tokens there).
//
// Times are the callers' clocks: instances must keep their clocks in step (NTP) to well within
// a lease, or a successor may start while the holder still believes it holds the lease.
#pragma once

#include <mutex>
#include <string>

#include "core/clock.h"
#include "core/status.h"

namespace duplex {

// The store side (storage/store.h: every store implements it).
class LeaseStore {
 public:
  virtual ~LeaseStore() = default;
  // Takes the lease `name` for `owner` until `now + lease_ms`, or renews it: true when `owner`
  // holds it now (it was free, had run out by `now`, or was `owner`'s already), false while
  // another owner's lease stands. A renewal never shortens the holder's lease (a thread may
  // renew with a clock read before another's). One atomic step.
  virtual Result<bool> TakeLease(const std::string& name, const std::string& owner, UnixMs now,
                                 UnixMs lease_ms) = 0;
  // Ends `owner`'s lease on `name` now, if it holds it, so another instance need not wait for
  // it to run out. Its state stays.
  virtual Status DropLease(const std::string& name, const std::string& owner) = 0;
  // The state kept with the lease ("" when none was saved).
  virtual Result<std::string> LeaseState(const std::string& name) = 0;
  // Replaces the state, only while `owner`'s lease stands at `now`; false (nothing written)
  // otherwise.
  virtual Result<bool> SaveLeaseState(const std::string& name, const std::string& owner, UnixMs now,
                                      const std::string& state) = 0;
};

// One lease as its would-be holder sees it. Thread-safe.
class Lease {
 public:
  Lease(LeaseStore& store, std::string name, std::string owner, UnixMs duration_ms);

  // Takes or renews the lease for `duration_ms` from `now`. False while another instance holds
  // it, and when the store cannot say (the store's error is logged): a holder that cannot renew
  // stops acting.
  bool Hold(UnixMs now);
  // True while the last successful Hold's lease stands at `now`, with no store call: a holder
  // checks this before each act and stops once it is false.
  bool Holding(UnixMs now) const;
  // Gives the lease up now (a clean stop), so another instance takes over at once.
  void Release();
  // The state kept with the lease; SaveState writes it only while this holder's lease stands
  // (false otherwise).
  Result<std::string> State();
  Result<bool> SaveState(UnixMs now, const std::string& state);

  const std::string& name() const { return name_; }
  UnixMs duration_ms() const { return duration_ms_; }

 private:
  LeaseStore& store_;
  const std::string name_;
  const std::string owner_;
  const UnixMs duration_ms_;
  mutable std::mutex mu_;
  UnixMs held_until_ = 0;
};

}  // namespace duplex
