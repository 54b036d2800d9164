// What a Telegram message carries besides text, as a short line for chat: "[photo]",
// "[voice message 0:07]", "[document: invoice.pdf]". Staff see that something was sent even
// when it has no caption; the file itself stays on Telegram. Field names follow the Bot API's
// Message object (https://core.telegram.org/bots/api#message).
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json_fwd.hpp>

namespace duplex::telegram {

// The label of the message's attachment, or "" when it has none duplex describes (text,
// service messages, games, invoices...). Malformed optional details (a duration that is not
// a number, a file name that is not a string) are left out rather than refused.
std::string DescribeMedia(const nlohmann::json& message);

// "0:07", "3:25", "1:02:03".
std::string FormatDuration(std::int64_t seconds);

// True for a message whose content is a location: a live location's edits arrive every few
// seconds as edited_message updates, which are not edits of anything a person wrote.
bool IsLocation(const nlohmann::json& message);

}  // namespace duplex::telegram
