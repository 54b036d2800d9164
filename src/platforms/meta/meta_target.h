// What the Meta connector stores in a mention's reply_target, shared by parsing (which
// writes it) and replying (which reads it back). One JSON object per customer message:
//   {"type":"fb_comment","comment_id","post_id","url"}        Page comment → /{comment}/comments
//     (url: the comment thread on facebook.com, to which a reply's own id is appended)
//   {"type":"ig_comment","comment_id","media_id"}             IG comment   → /{comment}/replies
//   {"type":"ig_mention","ig_user_id","media_id","comment_id"?,"url"?}  → /{ig-user}/mentions
//   {"type":"messenger","page_id","psid"}                     Send API     → /{page}/messages
//   {"type":"whatsapp","phone_number_id","to","message_id"}   Cloud API    → /{phone}/messages
// Ids that go into a URL path are checked with IsGraphId, so a stored target can never
// steer a call elsewhere.
#pragma once

#include <cstddef>
#include <string>

namespace duplex::meta {

inline constexpr const char* kFacebookComment = "fb_comment";
inline constexpr const char* kInstagramComment = "ig_comment";
inline constexpr const char* kInstagramMention = "ig_mention";
inline constexpr const char* kMessenger = "messenger";
inline constexpr const char* kWhatsApp = "whatsapp";

// Text limits per surface, in characters (Meta's documented maximums).
inline constexpr std::size_t kMaxFacebookCommentChars = 8000;
inline constexpr std::size_t kMaxInstagramCommentChars = 2200;
inline constexpr std::size_t kMaxMessengerChars = 2000;
inline constexpr std::size_t kMaxWhatsAppChars = 4096;

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

// "Facebook", "Instagram", "Messenger", "WhatsApp"; "Meta" for anything else.
inline std::string SurfaceName(const std::string& type) {
  if (type == kFacebookComment) return "Facebook";
  if (type == kInstagramComment || type == kInstagramMention) return "Instagram";
  if (type == kMessenger) return "Messenger";
  if (type == kWhatsApp) return "WhatsApp";
  return "Meta";
}

}  // namespace duplex::meta
