// `template list|add|rm` and the `:<name>` form of `reply`.
#include "commands/notices.h"
#include "commands/staff_commands.h"
#include "core/templates.h"
#include "core/text.h"

namespace duplex {
namespace {

constexpr std::size_t kMaxTemplateChars = 4000;
constexpr std::size_t kListedTextChars = 120;

std::string Names(const std::vector<ReplyTemplate>& templates) {
  std::string out;
  for (const auto& t : templates) out += (out.empty() ? "`:" : ", `:") + t.name + "`";
  return out;
}

CommandAnswer List(CommandService& svc) {
  auto& deps = svc.deps();
  const ChatDialect& d = *deps.dialect;
  auto templates = deps.store->ListTemplates();
  if (!templates.ok()) return {"duplex could not read the database. Try again.", false};
  if (templates->empty()) {
    return {"No reply templates yet. Add one: `/duplex template add thanks Thank you, {author}!`",
            false};
  }
  std::string out = std::to_string(templates->size()) + " reply template" +
                    (templates->size() == 1 ? "" : "s") +
                    " (send one with `/duplex reply <ref> :<name>`):";
  for (const auto& t : *templates) {
    std::string one_line = t.text;
    for (char& c : one_line) {
      if (c == '\n') c = ' ';
    }
    out += "\n• `:" + t.name + "` — " + d.Escape(text::TruncateUtf8(one_line, kListedTextChars));
    if (!t.created_by.empty()) out += " (by " + d.User(t.created_by) + ")";
  }
  return {out, false};
}

CommandAnswer RunTemplate(CommandService& svc, const CommandContext& ctx,
                          const ParsedCommand& cmd) {
  const CommandSpec& spec = *svc.Find("template");
  auto& deps = svc.deps();
  const ChatDialect& d = *deps.dialect;
  const std::string sub = cmd.args.empty() ? "list" : text::ToLowerAscii(cmd.args[0].value);
  if (sub == "list") return List(svc);
  if (sub != "add" && sub != "rm") {
    return svc.UsageError(spec, d.Code(text::TruncateUtf8(sub, 20)) + " is not list, add or rm.");
  }
  if (cmd.args.size() < 2) {
    return svc.UsageError(spec, "Which template? Give its name, like `thanks`.");
  }
  const std::string name = text::ToLowerAscii(cmd.args[1].value);
  if (!IsTemplateName(name)) {
    return svc.UsageError(spec, d.Code(text::TruncateUtf8(cmd.args[1].value, 40)) +
                                    " is not a template name: use up to 32 of a-z, 0-9, - and _.");
  }
  if (sub == "rm") {
    auto removed = deps.store->DeleteTemplate(name);
    if (!removed.ok()) {
      return {"duplex could not update the database; nothing was changed. Try again.", false};
    }
    if (!*removed) {
      auto all = deps.store->ListTemplates();
      std::string names = all.ok() ? Names(*all) : "";
      return {"There is no template `:" + name + "`." +
                  (names.empty() ? "" : " Templates: " + names + "."),
              false};
    }
    return {"Removed template `:" + name + "`.", false};
  }
  const std::string body = cmd.RestFrom(2);
  if (body.empty()) return svc.UsageError(spec, "The template text is empty.");
  if (text::CountCodePoints(body) > kMaxTemplateChars) {
    return svc.UsageError(
        spec, "The template is longer than " + std::to_string(kMaxTemplateChars) + " characters.");
  }
  auto replaced = deps.store->PutTemplate({name, body, ctx.user_id, deps.clock->NowMs()});
  if (!replaced.ok()) {
    return {"duplex could not update the database; nothing was changed. Try again.", false};
  }
  return {std::string(*replaced ? "Replaced" : "Saved") + " template `:" + name + "`:\n" +
              notices::Quote(d, body) + "\nUse it with `/duplex reply <ref> :" + name +
              "`; {author}, {handle} and {ref} are filled in.",
          false};
}

}  // namespace

Result<std::string> ResolveReplyTemplate(CommandService& svc, const Conversation& c,
                                         const StoredMessage& answered, const std::string& text) {
  auto name = TemplateReference(text);
  if (!name) return text;
  auto& deps = svc.deps();
  auto found = deps.store->GetTemplate(*name);
  if (!found.ok()) {
    return Status::Unavailable(
        "duplex could not read the templates; nothing was queued. Try again.");
  }
  if (!found->has_value()) {
    auto all = deps.store->ListTemplates();
    std::string names = all.ok() ? Names(*all) : "";
    return Status::Invalid("There is no template `:" + *name + "`. " +
                           (names.empty() ? "There are no templates yet (`/duplex template add`)."
                                          : "Templates: " + names + "."));
  }
  const Author& author = answered.author;
  TemplateVars vars;
  vars.author = author.name.empty() ? author.handle : author.name;
  vars.handle = author.handle;
  vars.ref = "#" + std::to_string(c.id);
  return FillTemplate((*found)->text, vars);
}

namespace staff {

void RegisterTemplateCommands(CommandService& service) {
  service.Register({"template", "template list | template add <name> <text> | template rm <name>",
                    "canned replies; {author}, {handle} and {ref} are filled in", false,
                    RunTemplate});
}

}  // namespace staff
}  // namespace duplex
