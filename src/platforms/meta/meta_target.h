// What the Meta connector stores in a mention's reply_target, shared by parsing (which
// writes it) and replying (which reads it back). One JSON object per customer message:
//   {"type":"fb_comment","comment_id","post_id","url"}        Page comment → /{comment}/comments
//     (url: the comment thread on facebook.com, to which a reply's own id is appended)
//   {"type":"ig_comment","comment_id","media_id"}             IG comment   → /{comment}/replies
//   {"type":"ig_mention","ig_user_id","media_id","comment_id"?,"url"?}  → /{ig-user}/mentions
//   {"type":"messenger","page_id","psid"}                     Send API     → /{page}/messages
//   {"type":"ig_dm","ig_user_id","igsid"}                     Send API     → /me/messages
//   {"type":"whatsapp","phone_number_id","to"?,"user_id"?,"message_id"}
//                                                             Cloud API    → /{phone}/messages
//     (to: the customer's phone number; user_id: their business-scoped user id (BSUID), the
//     only address of a customer who hides their number behind a username)
// Ids that go into a URL path are checked with IsGraphId, so a stored target can never
// steer a call elsewhere.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace duplex::meta {

inline constexpr const char* kFacebookComment = "fb_comment";
inline constexpr const char* kInstagramComment = "ig_comment";
inline constexpr const char* kInstagramMention = "ig_mention";
inline constexpr const char* kMessenger = "messenger";
inline constexpr const char* kInstagramDm = "ig_dm";
inline constexpr const char* kWhatsApp = "whatsapp";

// Graph object ids: digits, with '_' joining compound ids (POSTID_COMMENTID).
inline bool IsGraphId(const std::string& s) {
  if (s.empty() || s.size() > 128) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

// The part after the last '_' of a compound id (POSTID_COMMENTID → COMMENTID), as
// facebook.com's comment_id / reply_comment_id parameters want it.
inline std::string LastPart(const std::string& id) {
  auto pos = id.rfind('_');
  return pos == std::string::npos ? id : id.substr(pos + 1);
}

// A WhatsApp business-scoped user id: a two-letter country code, '.', then letters and digits
// (US.13491208655302741918), with ENT. after the country for a portfolio's parent id.
inline bool IsBsuid(std::string_view s) {
  if (s.size() < 4 || s.size() > 128 || s[2] != '.') return false;
  for (std::size_t i = 0; i < 2; ++i) {
    if (s[i] < 'A' || s[i] > 'Z') return false;
  }
  std::string_view rest = s.substr(3);
  if (rest.substr(0, 4) == "ENT.") rest.remove_prefix(4);
  if (rest.empty()) return false;
  for (char c : rest) {
    if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) {
      return false;
    }
  }
  return true;
}

// "Facebook", "Instagram", "Messenger", "WhatsApp"; "Meta" for anything else.
inline std::string SurfaceName(const std::string& type) {
  if (type == kFacebookComment) return "Facebook";
  if (type == kInstagramComment || type == kInstagramMention || type == kInstagramDm) {
    return "Instagram";
  }
  if (type == kMessenger) return "Messenger";
  if (type == kWhatsApp) return "WhatsApp";
  return "Meta";
}

// The reply target type of a conversation, from the key Parse gave it ("" if unknown).
inline std::string TypeForConversationKey(std::string_view key) {
  auto starts = [&](std::string_view prefix) { return key.substr(0, prefix.size()) == prefix; };
  if (starts("fb:comment:")) return kFacebookComment;
  if (starts("ig:comment:")) return kInstagramComment;
  if (starts("ig:mention:")) return kInstagramMention;
  if (starts("ig:dm:")) return kInstagramDm;
  if (starts("messenger:")) return kMessenger;
  if (starts("wa:")) return kWhatsApp;
  return {};
}

// Every surface but WhatsApp is called with the Page access token.
inline bool NeedsPageToken(const std::string& type) {
  return type == kFacebookComment || type == kInstagramComment || type == kInstagramMention ||
         type == kInstagramDm || type == kMessenger;
}

// Why a reply on `type` cannot be sent by a WhatsApp-only setup.
inline std::string NoPageTokenMessage(const std::string& type) {
  return "no page_token configured, so duplex cannot reply on " + SurfaceName(type) +
         ": an admin must add platforms.meta.page_token (a Page access token) to the config";
}

}  // namespace duplex::meta
