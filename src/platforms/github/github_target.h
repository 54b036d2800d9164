// What the GitHub connector stores in a mention's reply_target (written by Parse, read back
// by SendReply):
//   {"type":"issue","repo":"owner/repo","number":12}          → REST issue comment (issues and PRs)
//   {"type":"discussion","repo","number","discussion_id","comment_id"?,"comment_is_reply"?}
//                                                            → GraphQL addDiscussionComment
//   {"type":"review_comment","repo","number","comment_id"}   → REST reply in the review thread
//                                     whose first comment is comment_id (a PR review comment)
// `repo` goes into a URL path, so it is checked with IsRepoName before use.
#pragma once

#include <cstddef>
#include <string>

namespace duplex::github {

inline constexpr const char* kIssue = "issue";
inline constexpr const char* kDiscussion = "discussion";
inline constexpr const char* kReviewComment = "review_comment";

// GitHub's limit for an issue, discussion or review comment body.
inline constexpr std::size_t kMaxCommentChars = 65536;

// "owner/repo": one '/', each side non-empty [A-Za-z0-9._-], and not "." or "..".
inline bool IsRepoName(const std::string& s) {
  auto slash = s.find('/');
  if (slash == std::string::npos || s.find('/', slash + 1) != std::string::npos) return false;
  auto ok_part = [](const std::string& p) {
    if (p.empty() || p.size() > 100 || p == "." || p == "..") return false;
    for (char c : p) {
      bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '.' || c == '_' || c == '-';
      if (!ok) return false;
    }
    return true;
  };
  return ok_part(s.substr(0, slash)) && ok_part(s.substr(slash + 1));
}

}  // namespace duplex::github
