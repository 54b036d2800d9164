// The `generic` platform: any system that sends Standard Webhooks (webhook-id,
// webhook-timestamp, webhook-signature) with duplex's own mention schema:
//   {"id","conversation","kind","author":{"id","handle","name","followers"},"text","url"}
// Replies go to `reply_url` as a Standard-Webhooks-signed POST
//   {"type":"reply","conversation","in_reply_to","text","id"}
// with the same webhook-id on every retry, so the receiver can drop repeats; that makes any
// failed attempt safe to resend, which is why this connector never reports kUncertain.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "platforms/platform.h"

namespace duplex {

// The platform's name: its key under `platforms` in the config, its webhook path
// (/webhooks/generic), Name() and every Mention.platform it parses.
inline constexpr const char kGenericPlatform[] = "generic";

struct GenericConfig {
  std::string secret;
  std::string reply_url;  // empty: replies fail with a clear message
  std::string ca_file;
  int timeout_ms = 10'000;
};

class GenericConnector final : public PlatformConnector {
 public:
  explicit GenericConnector(GenericConfig config) : config_(std::move(config)) {}
  std::string Name() const override { return kGenericPlatform; }
  std::string DisplayName() const override { return "Webhook"; }
  Status Verify(const InboundRequest& request) const override;
  Result<ParsedWebhook> Parse(const InboundRequest& request) const override;
  DeliveryOutcome SendReply(const ReplyRequest& reply, HttpClient& http) const override;
  HttpRequest SampleWebhook(const std::string& base_url, const std::string& text,
                            const std::string& event_id, UnixMs now) const override;

 private:
  GenericConfig config_;
};

std::unique_ptr<PlatformConnector> MakeGenericConnector(const nlohmann::json& config,
                                                        const std::string& path,
                                                        std::vector<std::string>& errors,
                                                        HttpClient* http);

}  // namespace duplex
