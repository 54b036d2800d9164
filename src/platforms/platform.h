// PlatformConnector: everything duplex knows about one platform, behind one interface.
// Inbound: answer the platform's handshake, verify a webhook on its raw bytes, parse it into
// normalized mentions. Outbound: send a staff reply through the platform's API and say how
// it went in DeliveryOutcome terms. Connectors are pure apart from the injected HttpClient;
// adding a platform is a new folder here plus one line in registry.cpp.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/clock.h"
#include "core/delivery_outcome.h"
#include "core/http_client.h"
#include "core/http_types.h"
#include "core/lease.h"
#include "core/mention.h"
#include "core/status.h"

namespace duplex {

// A platform's later word on a message duplex sent and the platform accepted: the WhatsApp
// Cloud API answers a send with 200 and an id, then reports in a webhook that it could not be
// delivered. Only failures change anything; other reports need not be passed on.
struct DeliveryReport {
  std::string event_id;   // dedup key, one per (message, outcome)
  std::string remote_id;  // the platform's id of the sent message (DeliveryOutcome::remote_id)
  bool failed = false;
  std::string reason;  // why, in plain words for staff
};

struct ParsedWebhook {
  std::vector<Mention> mentions;                 // zero or more; duplicates are dropped later
  std::vector<DeliveryReport> delivery_reports;  // committed before the answer, like mentions
  std::optional<InboundResponse> response;       // set to answer with something other than 200 {}
};

// What a connector needs to answer one customer message.
struct ReplyRequest {
  std::int64_t delivery_id = 0;  // stable across retries of the same reply
  std::int64_t conversation_id = 0;
  std::string conversation_key;
  std::string reply_target;   // the connector's own JSON stored with the customer message
  std::string in_reply_to;    // platform id of the customer message
  UnixMs in_reply_to_at = 0;  // when duplex received that message (0: unknown)
  std::string text;
  std::string account;
  UnixMs now = 0;
};

class PlatformConnector {
 public:
  virtual ~PlatformConnector() = default;
  virtual std::string Name() const = 0;
  // Human name for chat ("X", "Facebook", ...).
  virtual std::string DisplayName() const = 0;
  // The name to show for one message, from the reply target the connector stored with it:
  // one connector may serve several products (Meta: Facebook, Instagram, WhatsApp...).
  // DisplayName() by default.
  virtual std::string DisplayNameFor(const std::string& reply_target) const;

  // GET on the webhook URL: the platform's handshake. NotFound if it has none; 403 for a
  // failed verify token.
  virtual Result<InboundResponse> Handshake(const InboundRequest& request) const;
  // POST: authenticity (signature, token, timestamp). Unauthenticated on failure.
  virtual Status Verify(const InboundRequest& request) const = 0;
  // POST, after Verify: InvalidArgument with a short reason for a malformed body.
  virtual Result<ParsedWebhook> Parse(const InboundRequest& request) const = 0;

  // Sends one reply. Must not retry internally: the delivery worker owns retries.
  virtual DeliveryOutcome SendReply(const ReplyRequest& reply, HttpClient& http) const = 0;
  // Checks a reply before it is queued (length limits...), knowing which conversation it
  // answers (a platform may allow more in a DM than in a post). Ok by default.
  virtual Status ValidateReply(const std::string& text, const std::string& conversation_key) const;

  // A correctly signed sample webhook carrying `text`, sent by `duplex simulate` and the demo.
  // `base_url` is duplex's own (http://host:port); the request's url is absolute.
  virtual HttpRequest SampleWebhook(const std::string& base_url, const std::string& text,
                                    const std::string& event_id, UnixMs now) const = 0;

  // Several duplex instances share the store (PostgreSQL): what the connector learns at run
  // time (a rotated token) must be kept where all of them read it, and what it must do once
  // at a time across them (a token refresh) goes under a lease (core/lease.h). `owner` is this
  // instance's id. Called once, before the first delivery; nothing to share by default.
  virtual void ShareAcrossInstances(LeaseStore& leases, const std::string& owner);
};

}  // namespace duplex
