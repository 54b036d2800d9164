#include "handlers/slack_interactive.h"

#include <initializer_list>

#include "chat/form.h"
#include "chat/slack/slack_poster.h"
#include "core/command_parser.h"
#include "core/json_fields.h"
#include "core/log.h"
#include "core/text.h"
#include "handlers/slack_handler.h"
#include "handlers/slack_messages.h"
#include "security/signatures.h"
#include "security/untrusted_json.h"

namespace duplex {
namespace {

using nlohmann::json;

HttpAnswer Empty() {
  return {200, "text/plain", "", {}};
}

// Message subtypes that are still a person writing: "also send to #channel", a file with a
// comment, /me. Edits, deletions, joins and bot messages are not.
bool IsPersonWriting(const json& ev) {
  if (!ev.contains("subtype")) return true;
  const std::string subtype = JsonStringAt(ev, {"subtype"});
  return subtype == "thread_broadcast" || subtype == "file_share" || subtype == "me_message";
}

HttpAnswer OtherWorkspace(const std::string& what, const std::string& team) {
  log::Warn("slack " + what + " from another workspace refused", {{"team_id", team}});
  HttpAnswer a = JsonError(403, "this duplex serves another Slack workspace");
  a.headers.push_back({"X-Slack-No-Retry", "1"});
  return a;
}

CommandContext ContextFor(const json& p, const std::string& team, const std::string& user,
                          const std::string& text) {
  CommandContext ctx;
  ctx.team_id = team;
  ctx.channel_id = JsonStringAt(p, {"channel", "id"});
  ctx.user_id = user;
  ctx.user_name = JsonStringAt(p, {"user", "username"});
  ctx.command = "/duplex";
  ctx.text = text;
  ctx.request_id = JsonStringAt(p, {"trigger_id"});
  return ctx;
}

HttpAnswer OnBlockAction(const json& p, const std::string& team, const std::string& user,
                         SlackInteractiveDeps& deps) {
  const json& actions = p.contains("actions") ? p["actions"] : json();
  if (!actions.is_array() || actions.empty()) return JsonError(400, "actions is missing");
  const std::string action = JsonStringAt(actions[0], {"action_id"});
  const auto ref = ParseRef(JsonStringAt(actions[0], {"value"}));
  const std::string response_url = JsonStringAt(p, {"response_url"});
  if (!ref) {
    log::Info("slack action ignored", {{"action", action}});
    return Empty();
  }
  const std::string n = std::to_string(*ref);
  std::string command;
  if (action == kActionAssignMe) command = "assign " + n + " me";
  if (action == kActionClose) command = "close " + n;
  if (action == kActionReopen) command = "reopen " + n;
  if (action == kActionReply) {
    auto author = ReplyAddressee(*deps.commands, *ref);
    if (!author.ok() || !author->has_value()) {
      deps.tell_user(response_url, author.ok() ? "There is no conversation #" + n + "."
                                               : "duplex could not read the database. Try again.");
      return Empty();
    }
    if (!deps.open_view(JsonStringAt(p, {"trigger_id"}), ReplyModal(*ref, **author))) {
      deps.tell_user(response_url,
                     "Slack did not open the reply form. Use `/duplex reply " + n + " …` instead.");
    }
    return Empty();
  }
  if (command.empty()) {
    log::Info("slack action ignored", {{"action", action}});
    return Empty();
  }
  CommandAnswer answer = deps.commands->Execute(ContextFor(p, team, user, command));
  // Success shows in the thread (a notice and the updated root); only refusals are told here.
  if (answer.error) deps.tell_user(response_url, answer.text);
  return Empty();
}

HttpAnswer OnViewSubmission(const json& p, const std::string& team, const std::string& user,
                            SlackInteractiveDeps& deps) {
  if (JsonStringAt(p, {"view", "callback_id"}) != kReplyModalCallback) return Empty();
  const std::string ref = JsonStringAt(p, {"view", "private_metadata"});
  const std::string text =
      JsonStringAt(p, {"view", "state", "values", kReplyBlock, kReplyInput, "value"});
  CommandContext ctx = ContextFor(p, team, user, "reply " + ref + " " + text);
  ctx.text_is_plain = true;  // typed into a plain-text input: nothing to unescape
  CommandAnswer answer = deps.commands->Execute(ctx);
  if (!answer.error) return Empty();  // closes the modal; delivery reports in the thread
  json errors = {{"response_action", "errors"}, {"errors", {{kReplyBlock, answer.text}}}};
  return {200, "application/json", errors.dump(-1, ' ', false, json::error_handler_t::replace), {}};
}

}  // namespace

HttpAnswer HandleSlackInteraction(const InboundRequest& request, SlackInteractiveDeps& deps) {
  if (Status s = VerifySlackRequest(request, deps.signing_secret); !s.ok()) {
    log::Warn("slack interaction refused", {{"reason", s.message()}});
    return AnswerFor(s);
  }
  auto payload = security::ParseUntrustedJson(Form::Parse(request.body).Get("payload"));
  if (!payload.ok() || !payload->is_object()) return JsonError(400, "payload is not a JSON object");
  const json& p = *payload;
  const std::string team = JsonStringAt(p, {"team", "id"});
  if (!deps.team_id.empty() && team != deps.team_id) return OtherWorkspace("interaction", team);
  const std::string user = JsonStringAt(p, {"user", "id"});
  if (user.empty()) return JsonError(400, "user.id is missing");
  // In a channel shared with another organisation (Slack Connect) the clicker may belong to it.
  const std::string user_team = JsonStringAt(p, {"user", "team_id"});
  if (!deps.team_id.empty() && !user_team.empty() && user_team != deps.team_id) {
    return OtherWorkspace("interaction by a member", user_team);
  }
  const std::string type = JsonStringAt(p, {"type"});
  if (type == "block_actions") return OnBlockAction(p, team, user, deps);
  if (type == "view_submission") return OnViewSubmission(p, team, user, deps);
  log::Info("slack interaction ignored", {{"type", type}});
  return Empty();
}

HttpAnswer HandleSlackEvent(const InboundRequest& request, SlackInteractiveDeps& deps) {
  if (Status s = VerifySlackRequest(request, deps.signing_secret); !s.ok()) {
    log::Warn("slack event refused", {{"reason", s.message()}});
    return AnswerFor(s);
  }
  auto parsed = security::ParseUntrustedJson(request.body);
  if (!parsed.ok() || !parsed->is_object()) return JsonError(400, "the body is not a JSON object");
  const json& p = *parsed;
  const std::string type = JsonStringAt(p, {"type"});
  if (type == "url_verification") {
    // Reached only with a valid signature, so only Slack is answered; the shape check keeps
    // the echo to what Slack sends all the same (see security::IsChallengeShaped).
    const std::string challenge = JsonStringAt(p, {"challenge"});
    if (Status s = security::CheckChallenge("challenge", challenge); !s.ok()) return AnswerFor(s);
    return {200, "application/json", json{{"challenge", challenge}}.dump(), {}};
  }
  if (type != "event_callback") return Empty();
  const std::string team = JsonStringAt(p, {"team_id"});
  if (!deps.team_id.empty() && team != deps.team_id) return OtherWorkspace("event", team);
  const std::string event_id = JsonStringAt(p, {"event_id"});
  const json& ev = p.contains("event") ? p["event"] : json();
  if (event_id.empty() || !ev.is_object()) return JsonError(400, "event_id or event is missing");
  // Only a person's new message inside a thread counts: not our own posts (bot_id), not
  // edits or joins (subtype), not the root itself. An @mention of duplex is such a message
  // too (slack_messages.h), and is answered when it is not in a thread.
  const std::string thread_ts = JsonStringAt(ev, {"thread_ts"});
  const std::string user = JsonStringAt(ev, {"user"});
  const std::string ts = JsonStringAt(ev, {"ts"});
  const std::string event_type = JsonStringAt(ev, {"type"});
  const bool in_thread = !thread_ts.empty() && thread_ts != ts;
  if ((event_type != "message" && event_type != "app_mention") || !IsPersonWriting(ev) ||
      ev.contains("bot_id") || user.empty() || ts.empty() ||
      (!in_thread && event_type != "app_mention")) {
    return Empty();
  }
  // The event's team_id is the installing workspace; in a channel shared with another
  // organisation (Slack Connect) the writer's own workspace is user_team.
  const std::string user_team = JsonStringAt(ev, {"user_team"});
  if (!deps.team_id.empty() && !user_team.empty() && user_team != deps.team_id) {
    log::Warn("slack thread message by another workspace's member ignored",
              {{"team_id", user_team}});
    return Empty();
  }
  const std::string channel = JsonStringAt(ev, {"channel"});
  if (!in_thread) {  // an @mention of duplex outside any thread
    return AnswerStrayMention(team, channel, ts, "", user, deps, request.now);
  }
  // One Slack message is acted on once, whichever of message and app_mention brings it.
  ThreadMessage message{
      {"slack-event", SlackMessageClaim(team, channel, ts)},         team, channel, thread_ts, user,
      WithoutBotMention(JsonStringAt(ev, {"text"}), SlackBotUser(p))};
  auto outcome = HandleThreadMessage(message, request.now, deps.threads);
  if (outcome.result == ThreadMessageResult::kNotOurs && event_type == "app_mention") {
    // A thread duplex did not start.
    return AnswerStrayMention(team, channel, ts, thread_ts, user, deps, request.now);
  }
  if (outcome.result == ThreadMessageResult::kRepeat) {
    log::Info("slack message already handled", {{"event_id", event_id}, {"ts", ts}});
  }
  // Nothing was stored: Slack's retry (about at once, then after 1 and 5 minutes) brings it.
  if (outcome.result == ThreadMessageResult::kUnavailable) {
    return JsonError(500, "database unavailable");
  }
  return Empty();
}

}  // namespace duplex
