#include "core/admin_models.h"

namespace duplex {

const char* ToString(AuditResult result) {
  switch (result) {
    case AuditResult::kStarted:
      return "started";
    case AuditResult::kOk:
      return "ok";
    case AuditResult::kError:
      return "error";
    case AuditResult::kRefused:
      return "refused";
  }
  return "started";
}

AuditResult ParseAuditResult(const std::string& s) {
  if (s == "ok") return AuditResult::kOk;
  if (s == "error") return AuditResult::kError;
  if (s == "refused") return AuditResult::kRefused;
  return AuditResult::kStarted;
}

}  // namespace duplex
