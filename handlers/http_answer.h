// What a handler answers, independent of the HTTP library: handlers take an InboundRequest
// and return an HttpAnswer, so they are tested without sockets.
#pragma once

#include <string>

#include "core/http_client.h"
#include "core/status.h"

namespace duplex {

struct HttpAnswer {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  HeaderList headers;
};

// {"error": reason} with the status that fits; the reason must be safe to show.
HttpAnswer JsonError(int status, const std::string& reason);
HttpAnswer AnswerFor(const Status& status);

}  // namespace duplex
