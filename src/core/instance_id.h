// The id of one running duplex (one delivery engine) among the instances sharing one database:
// the owner of the deliveries it claims (Store::ClaimDue). Host and pid say where it ran, for
// an operator reading the outbox; the random part makes a restarted instance (same host, in a
// container often the same pid, in a test the same process) a new owner, so it never mistakes
// a claim of its predecessor for its own and renews it forever.
#pragma once

#include <string>

namespace duplex {

// "<hostname>-<pid>-<8 hex digits>", new on every call.
std::string NewInstanceId();

}  // namespace duplex
