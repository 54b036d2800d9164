#include "handlers/http_answer.h"

#include "core/text.h"

namespace duplex {

HttpAnswer JsonError(int status, const std::string& reason) {
  return {status, "application/json", "{\"error\":" + text::JsonQuote(reason) + "}", {}};
}

HttpAnswer AnswerFor(const Status& status) {
  if (status.ok()) return {200, "application/json", "{\"ok\":true}", {}};
  // Internal details stay in the logs.
  if (status.code() == StatusCode::kInternal) return JsonError(500, "internal error");
  return JsonError(HttpStatusFor(status.code()), status.message());
}

}  // namespace duplex
