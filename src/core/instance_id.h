// The id of this duplex process among the instances sharing one database: the owner of the
// deliveries it claims (Store::ClaimDue). Host and pid say where it ran, for an operator
// reading the outbox; the random part makes a restarted process (same host, and in a
// container often the same pid) a new owner, so it never mistakes a claim of its
// predecessor for its own.
#pragma once

#include <string>

namespace duplex {

// "<hostname>-<pid>-<8 hex digits>", the same for the whole life of the process.
const std::string& InstanceId();

// A new id of the same form (tests: several instances in one process).
std::string NewInstanceId();

}  // namespace duplex
