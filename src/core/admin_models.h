// Records of the administration half of the Store port: mutes, admins added from chat and
// the audit log (routes cross the port as core Route values). No SQL types.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/clock.h"

namespace duplex {

// A muted author on one platform: `author` is a handle (without '@') or the platform's
// author id; both are compared without regard to ASCII case.
struct Mute {
  std::string platform;
  std::string author;
  std::string created_by;  // chat user id
  UnixMs created_at = 0;
};

// An admin added with `admin add` (admins from the config file are not stored).
struct StoredAdmin {
  std::string user_id;
  std::string added_by;
  UnixMs added_at = 0;
};

// kStarted: written before an accepted admin command runs, so no change goes unrecorded
// even if the process dies; finished with kOk or kError. kRefused: not an admin.
enum class AuditResult { kStarted, kOk, kError, kRefused };
const char* ToString(AuditResult result);
AuditResult ParseAuditResult(const std::string& s);

struct AuditEntry {
  std::int64_t id = 0;
  UnixMs at = 0;
  std::string user_id;
  std::string command;  // the command text as typed
  AuditResult result = AuditResult::kStarted;
  std::string detail;  // the first line of the answer
};

}  // namespace duplex
