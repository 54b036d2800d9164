// Signed requests to a `duplex serve` on 127.0.0.1:`port`, as the platform and the chat send
// them, with the e2e fixtures' secrets (support/e2e_env.h) and the current time.
#pragma once

#include <string>

#include "core/http_client.h"

namespace duplex::test {

// A generic-platform mention (Standard Webhooks, signed): message id `id`, in
// `conversation`, under the webhook id `webhook_id` ("wh-<id>" when empty).
HttpResult SignedMention(int port, const std::string& id, const std::string& conversation,
                         const std::string& text, const std::string& webhook_id = "");
// The Slack slash command `/duplex <text>` by U0STAFF in the default channel.
HttpResult SignedCommand(int port, const std::string& text, const std::string& trigger);

}  // namespace duplex::test
