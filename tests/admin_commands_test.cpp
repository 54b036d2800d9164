// Admin commands: parsing (Slack escapes, quoting, keys), the central role check and audit
// in CommandService, and each verb's effect and answer, against a real SQLite store.
#include <doctest/doctest.h>

#include "chat/slack/slack_poster.h"
#include "commands/admin_commands.h"
#include "commands/route_commands.h"
#include "support/fakes.h"
#include "support/store_factory.h"

namespace duplex {
namespace {

const std::vector<std::string> kPlatforms = {"generic", "x", "meta"};

Route Parse(const std::string& text) {
  auto r = ParseRouteSpec(text, kPlatforms, SlackDialect());
  REQUIRE_MESSAGE(r.ok(), r.status().message());
  return *r;
}

std::string ParseError(const std::string& text) {
  auto r = ParseRouteSpec(text, kPlatforms, SlackDialect());
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kInvalidArgument);
  return r.status().message();
}

bool Has(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// CommandService wired like the App: a real store made by F (test::SqliteFactory or
// test::PgFactory: these are contract tests over both stores), Slack's dialect, routes
// reloaded into a SharedRouter after each change. On PostgreSQL without a test server it is
// not available().
template <class F>
struct Fixture {
  explicit Fixture(std::vector<std::string> config_admins = {"U0ADMIN"},
                   Store* store_override = nullptr) {
    if (!factory.available()) return;
    store = store_override ? store_override : factory.store.get();
    router = std::make_unique<SharedRouter>(
        std::make_shared<const Router>(std::vector<Route>{}, "C0SOCIAL"));
    CommandDeps deps;
    deps.store = store;
    deps.clock = &clock;
    deps.dialect = &dialect;
    deps.connectors = &connectors;
    deps.config_admins = std::move(config_admins);
    deps.default_channel = "C0SOCIAL";
    deps.router = [this] { return router->Get(); };
    deps.reload_routes = [this]() -> Status {
      ++reloads;
      if (fail_reload) return Status::Unavailable("database unavailable");
      auto routes = store->ListRoutes();
      if (!routes.ok()) return routes.status();
      router->Set(std::make_shared<const Router>(std::move(*routes), "C0SOCIAL"));
      return Status::Ok();
    };
    service = std::make_unique<CommandService>(deps);
    RegisterAdminCommands(*service);
  }

  CommandAnswer Run(const std::string& text, const std::string& user = "U0ADMIN") {
    CommandContext ctx;
    ctx.team_id = "T0001";
    ctx.user_id = user;
    ctx.command = "/duplex";
    ctx.text = text;
    return service->Execute(ctx);
  }

  std::string Text(const std::string& text, const std::string& user = "U0ADMIN") {
    return Run(text, user).text;
  }

  FakeClock clock{1'714'557'600'000};  // 2024-05-01 10:00 UTC
  SlackDialect dialect;
  ConnectorMap connectors;
  bool available() const { return store != nullptr; }

  F factory;
  Store* store = nullptr;
  std::unique_ptr<SharedRouter> router;
  std::unique_ptr<CommandService> service;
  int reloads = 0;
  bool fail_reload = false;
};

Mention MakeMention(const std::string& text, MentionKind kind = MentionKind::kMention,
                    std::optional<std::int64_t> followers = std::nullopt) {
  Mention m;
  m.platform = "generic";
  m.kind = kind;
  m.text = text;
  m.author.followers = followers;
  return m;
}

}  // namespace

TEST_CASE("route values typed in Slack are made plain: entities and links undone") {
  Route r =
      Parse("r channel=C1 keywords=\"fish &amp; chips,<https://acme.com|acme.com>\" regex=a&lt;b");
  CHECK(r.keywords == std::vector<std::string>{"fish & chips", "acme.com"});
  CHECK(r.regex == "a<b");
}

TEST_CASE("route add parsing: channel as a Slack escape or raw id, every key") {
  Route r = Parse(
      "Support channel=<#C024BE7LR|support> platform=x,META kind=direct,dm "
      "keywords=\"late order,Refund\" regex='(?i)\\border\\b' min_followers=10,000 priority=5");
  CHECK(r.name == "support");
  CHECK(r.channel == "C024BE7LR");
  CHECK(r.platforms == std::set<std::string>{"x", "meta"});
  CHECK(r.kinds == std::set<MentionKind>{MentionKind::kDirect, MentionKind::kDm});
  CHECK(r.keywords == std::vector<std::string>{"late order", "refund"});
  CHECK(r.regex == "(?i)\\border\\b");
  CHECK(r.min_followers == 10'000);
  CHECK(r.priority == 5);
  CHECK(r.enabled);

  CHECK(Parse("a channel=C0RAW").channel == "C0RAW");
  CHECK(Parse("a channel=#C0HASH").channel == "C0HASH");
  CHECK(Parse("a channel=C1").priority == 100);
  CHECK(Parse("a channel=C1 keywords=“late order”,refund").keywords ==
        std::vector<std::string>{"late order", "refund"});
  CHECK(Parse("a channel=C1 keyword=refund,refund,,REFUND").keywords ==
        std::vector<std::string>{"refund"});
  CHECK(Parse("a channel=C1 platforms=generic kinds=comment").kinds ==
        std::set<MentionKind>{MentionKind::kComment});
  CHECK(Parse("a channel=C1 keywords=acme.com").keywords == std::vector<std::string>{"acme.com"});
  CHECK(Parse("a channel=C1 keywords=<http://acme.com|acme.com>,a&amp;b").keywords ==
        std::vector<std::string>{"acme.com", "a&b"});
  CHECK(Parse("a channel=C1 regex=a&lt;b").regex == "a<b");
}

TEST_CASE("route add parsing: clear errors") {
  CHECK(Has(ParseError("support platform=x"), "channel= is required"));
  CHECK(Has(ParseError(""), "name first"));
  CHECK(Has(ParseError("channel=C1"), "name first"));
  CHECK(Has(ParseError("bad/name channel=C1"), "cannot be a route name"));
  CHECK(Has(ParseError("a channel=C1 colour=red"), "Unknown key `colour`"));
  CHECK(Has(ParseError("a channel=C1 refund"), "Expected key=value, got `refund`"));
  CHECK(Has(ParseError("a channel=C1 keywords=\"late order"), "unterminated quote"));
  CHECK(Has(ParseError("a channel=C1 channel=C2"), "channel= is given twice"));
  CHECK(Has(ParseError("a channel="), "channel= needs a value"));
  CHECK(Has(ParseError("a channel=<@U1|ana>"), "is not a channel"));
  CHECK(Has(ParseError("a channel=C1 platform=myspace"),
            "Unknown platform `myspace`. Platforms: generic, x, meta"));
  CHECK(Has(ParseError("a channel=C1 kind=tweet"), "Unknown kind `tweet`"));
  CHECK(Has(ParseError("a channel=C1 keywords=,,"), "at least one keyword"));
  CHECK(Has(ParseError("a channel=C1 min_followers=lots"), "min_followers must be a whole number"));
  CHECK(Has(ParseError("a channel=C1 min_followers=-5"), "min_followers must be a whole number"));
  CHECK(Has(ParseError("a channel=C1 priority=1e3"), "priority must be a whole number"));
  CHECK(Has(ParseError("a channel=C1 priority=1000001"), "priority must be a whole number"));
  CHECK(Has(ParseError("a channel=C1 regex=(unclosed"), "invalid regex: missing )"));
}

TEST_CASE_TEMPLATE("admin verbs from staff are refused and audited, and nothing changes", F,
                   test::SqliteFactory, test::PgFactory) {
  Fixture<F> f;
  if (!f.available()) return;
  auto answer = f.Run("route add support channel=C1", "U0STAFF");
  CHECK(answer.error);
  CHECK(Has(answer.text, "`route` is an admin command"));
  CHECK(Has(answer.text, "Ask an admin: <@U0ADMIN>"));
  CHECK(f.store->ListRoutes()->empty());
  CHECK(f.reloads == 0);
  auto audit = f.store->RecentAudit(5);
  REQUIRE(audit->size() == 1);
  CHECK(audit->at(0).user_id == "U0STAFF");
  CHECK(audit->at(0).command == "route add support channel=C1");
  CHECK(audit->at(0).result == AuditResult::kRefused);
  CHECK(audit->at(0).at == f.clock.NowMs());
  // Staff verbs are not audited.
  f.Run("help", "U0STAFF");
  CHECK(f.store->RecentAudit(5)->size() == 1);
}

TEST_CASE_TEMPLATE("accepted admin commands are audited with their result and first answer line", F,
                   test::SqliteFactory, test::PgFactory) {
  Fixture<F> f;
  if (!f.available()) return;
  CHECK_FALSE(f.Run("route add support channel=<#C1|support> keywords=refund").error);
  CHECK(f.Run("route add broken").error);
  auto audit = f.store->RecentAudit(5);
  REQUIRE(audit->size() == 2);
  CHECK(audit->at(0).result == AuditResult::kError);
  CHECK(Has(audit->at(0).detail, "channel= is required"));
  CHECK(audit->at(1).result == AuditResult::kOk);
  CHECK(audit->at(1).command == "route add support channel=<#C1|support> keywords=refund");
  CHECK(Has(audit->at(1).detail, "Created route `support`"));
  CHECK_FALSE(Has(audit->at(1).detail, "\n"));
}

TEST_CASE_TEMPLATE("when the audit log cannot be written, the admin command does not run", F,
                   test::SqliteFactory, test::PgFactory) {
  F made;
  if (!made.available()) return;
  Store* real = made.store.get();
  test::FailingStore failing(*real, 1);  // the first write is the audit entry
  Fixture<F> f({"U0ADMIN"}, &failing);
  if (!f.available()) return;
  auto answer = f.Run("route add support channel=C1");
  CHECK(answer.error);
  CHECK(Has(answer.text, "could not write the audit log"));
  CHECK(real->ListRoutes()->empty());
  CHECK(f.Run("route add support channel=C1").text.find("Created") == 0);
  CHECK(real->ListRoutes()->size() == 1);
}

TEST_CASE_TEMPLATE("route add, list, disable, enable and rm change routing at once", F,
                   test::SqliteFactory, test::PgFactory) {
  Fixture<F> f;
  if (!f.available()) return;
  std::string added = f.Text(
      "route add support channel=<#C0SUP|support> kind=direct keywords=\"late order,refund\" "
      "priority=10");
  CHECK(Has(added,
            "Created route `support` → <#C0SUP> · priority 10 · kind direct · keywords \"late "
            "order\", \"refund\""));
  CHECK(Has(added, "existing ones stay in their threads"));
  CHECK(f.router->Get()->Decide(MakeMention("my late order", MentionKind::kDirect)).channel ==
        "C0SUP");
  CHECK(f.Text("route add vip channel=C0VIP min_followers=10000 priority=1")
            .find("Created route `vip`") == 0);

  std::string list = f.Text("route list");
  CHECK(Has(list,
            "Routes, in the order they are tried (2):\n1. `vip` → <#C0VIP> · priority 1 · "
            "min_followers 10,000\n2. `support`"));
  CHECK(Has(list, "Anything else → <#C0SOCIAL> (the default channel)."));

  CHECK(Has(f.Text("route disable support"), "Disabled route `support`"));
  CHECK(f.router->Get()->Decide(MakeMention("my late order", MentionKind::kDirect)).channel ==
        "C0SOCIAL");
  CHECK(Has(f.Text("route list"), "*disabled*"));
  CHECK(Has(f.Text("route enable SUPPORT"), "Enabled route `support`"));
  CHECK(f.router->Get()->Decide(MakeMention("my late order", MentionKind::kDirect)).channel ==
        "C0SUP");

  std::string replaced = f.Text("route add support channel=C0NEW");
  CHECK(replaced.find("Replaced route `support` → <#C0NEW>") == 0);
  CHECK(f.router->Get()->Decide(MakeMention("anything")).channel == "C0NEW");

  CHECK(Has(f.Text("route rm support"), "Removed route `support`"));
  CHECK(f.router->Get()->Decide(MakeMention("anything")).channel == "C0SOCIAL");
  auto missing = f.Run("route rm support");
  CHECK(missing.error);
  CHECK(Has(missing.text, "There is no route `support`"));
  CHECK(f.Run("route rm").error);
  CHECK(Has(f.Text("route"), "`/duplex route test <platform> <kind> [followers=N] <text>`"));
  CHECK(Has(f.Text("route frob"), "Unknown route command `frob`"));
  CHECK(Has(f.Text("route add x channel=C1 colour=red"),
            "Usage: `/duplex route add <name> channel=<#chan>"));
}

TEST_CASE_TEMPLATE("a route change that cannot be reloaded is saved and says when it applies", F,
                   test::SqliteFactory, test::PgFactory) {
  Fixture<F> f;
  if (!f.available()) return;
  f.fail_reload = true;
  auto answer = f.Run("route add support channel=C1");
  CHECK_FALSE(answer.error);
  CHECK(
      Has(answer.text,
          "Warning: the change is saved, but routing could not reload it (database unavailable)"));
  CHECK(f.store->ListRoutes()->size() == 1);
  CHECK(f.router->Get()->routes().empty());
}

TEST_CASE_TEMPLATE("long listings are cut: routes after 50, keywords after 8, route test after 15",
                   F, test::SqliteFactory, test::PgFactory) {
  Fixture<F> f;
  if (!f.available()) return;
  for (int i = 0; i < 55; ++i) {
    char name[16];
    std::snprintf(name, sizeof name, "r%02d", i);
    REQUIRE_FALSE(
        f.Run(std::string("route add ") + name + " channel=C1 keywords=k" + std::to_string(i))
            .error);
  }
  f.Run("route add zz-last channel=C9 keywords=winner priority=999");
  std::string list = f.Text("route list");
  CHECK(Has(list, "(56):"));
  CHECK(Has(list, "\n50. `r49`"));
  CHECK_FALSE(Has(list, "`r50`"));
  CHECK(Has(list, "… and 6 more."));
  std::string test = f.Text("route test generic direct the winner");
  CHECK(Has(test, "by route `zz-last`."));
  CHECK(Has(test, "• `r14` (priority 100)"));
  CHECK_FALSE(Has(test, "`r15`"));
  CHECK(Has(test, "• `zz-last` (priority 999) → <#C9>: every filter matched; it wins."));
  CHECK(Has(test, "… and 40 more routes not shown."));
  std::string many = f.Text("route add many channel=C1 keywords=a,b,c,d,e,f,g,h,i,j");
  CHECK(Has(many, "\"g\", \"h\" and 2 more"));
}

TEST_CASE_TEMPLATE("route list with no routes says where everything goes", F, test::SqliteFactory,
                   test::PgFactory) {
  Fixture<F> f;
  if (!f.available()) return;
  CHECK(Has(f.Text("route list"), "No routes yet: every mention goes to <#C0SOCIAL>"));
}

TEST_CASE_TEMPLATE("route test explains the winner and why the others were rejected", F,
                   test::SqliteFactory, test::PgFactory) {
  Fixture<F> f;
  if (!f.available()) return;
  f.Run("route add vip channel=C0VIP min_followers=10000 priority=1");
  f.Run("route add dms channel=C0DM kind=dm priority=2");
  f.Run("route add orders channel=C0ORD keywords=order,refund priority=3");
  f.Run("route add late channel=C0LATE regex=(?i)late priority=4");
  std::string t = f.Text("route test generic direct followers=500 Where is my LATE order?");
  CHECK(Has(t,
            "A generic direct from an author with 500 followers would go to <#C0ORD> by route "
            "`orders`."));
  CHECK(Has(t,
            "• `vip` (priority 1) → <#C0VIP>: rejected by min_followers (needs 10,000, the author "
            "has 500)."));
  CHECK(Has(t, "• `dms` (priority 2) → <#C0DM>: rejected by kind (direct is not dm)."));
  CHECK(Has(t, "• `orders` (priority 3) → <#C0ORD>: every filter matched; it wins."));
  CHECK(Has(t, "• `late` (priority 4) → <#C0LATE>: matched too, but `orders` comes first."));

  std::string none = f.Text("route test generic mention hello &amp; welcome");
  CHECK(Has(none,
            "from an author whose followers are unknown would go to <#C0SOCIAL> (the default "
            "channel): no route matched."));
  CHECK(Has(none, "min_followers (needs 10,000, the author has an unknown number)"));
  CHECK(Has(none, "keywords (\"order\", \"refund\" not found)"));
  CHECK(Has(none, "regex (no match)"));

  CHECK(Has(f.Text("route test myspace direct hi"), "Unknown platform `myspace`"));
  CHECK(Has(f.Text("route test generic tweet hi"), "Unknown kind `tweet`"));
  CHECK(Has(f.Text("route test generic direct followers=many hi"),
            "followers must be a whole number"));
  CHECK(Has(f.Text("route test generic direct"), "Usage: `/duplex route test"));
  CHECK(Has(f.Text("route test generic direct followers=5"), "What text should be tried?"));
}

TEST_CASE_TEMPLATE("mute, unmute and mutes", F, test::SqliteFactory, test::PgFactory) {
  Fixture<F> f;
  if (!f.available()) return;
  CHECK(Has(f.Text("mute generic:@Troll"), "Muted `generic:Troll`: their mentions are stored"));
  CHECK(Has(f.Text("mute generic:troll"), "was already muted"));
  CHECK(Has(f.Text("mutes"), "• `generic:Troll` — by <@U0ADMIN>, 2024-05-01 10:00 UTC"));
  CHECK(Has(f.Text("mute troll"), "Write the author as platform:handle, like `x:spambot`"));
  CHECK(Has(f.Text("mute myspace:troll"), "Unknown platform `myspace`"));
  CHECK(Has(f.Text("mute generic:"), "Which author?"));
  CHECK(Has(f.Text("unmute generic:TROLL"), "Unmuted `generic:TROLL`"));
  auto again = f.Run("unmute generic:troll");
  CHECK(again.error);
  CHECK(Has(again.text, "is not muted"));
  CHECK(f.Text("mutes") == "Nobody is muted.");
}

TEST_CASE_TEMPLATE("admin add and rm: stored admins gain and lose the role, config admins stay", F,
                   test::SqliteFactory, test::PgFactory) {
  Fixture<F> f;
  if (!f.available()) return;
  CHECK(f.Run("route list", "U0ANA").error);
  CHECK(f.Text("admin add <@U0ANA|ana>") == "<@U0ANA> is now an admin.");
  CHECK(f.Text("admin add U0ANA") == "<@U0ANA> is already an admin.");
  CHECK_FALSE(f.Run("route list", "U0ANA").error);
  CHECK(Has(f.Text("admins", "U0ANA"),
            "• <@U0ADMIN> — named in the config file\n• <@U0ANA> — added by <@U0ADMIN>, 2024-05-01 "
            "10:00 UTC"));
  CHECK(Has(f.Text("admin add @U0ADMIN", "U0ANA"), "already an admin (named in the config file)"));
  auto config_rm = f.Run("admin rm <@U0ADMIN>", "U0ANA");
  CHECK(config_rm.error);
  CHECK(Has(config_rm.text, "named in the config file (chat.admins)"));
  CHECK(f.Text("admin rm <@U0ANA|ana>", "U0ANA") == "<@U0ANA> is no longer an admin.");
  CHECK(f.Run("route list", "U0ANA").error);
  CHECK(Has(f.Text("admin rm U0ANA"), "is not an admin added from chat"));
  CHECK(Has(f.Text("admin add <#C1|general>"), "is not a person"));
  CHECK(Has(f.Text("admin promote U1"), "Usage: `/duplex admin add|rm <@user>`"));
}

TEST_CASE_TEMPLATE("without config admins, the last admin added from chat cannot remove themselves",
                   F, test::SqliteFactory, test::PgFactory) {
  Fixture<F> f(std::vector<std::string>{});
  if (!f.available()) return;
  REQUIRE(*f.store->AddAdmin({"U0ANA", "setup", 1}));
  auto last = f.Run("admin rm U0ANA", "U0ANA");
  CHECK(last.error);
  CHECK(Has(last.text, "is the last admin"));
  CHECK(f.store->ListAdmins()->size() == 1);
  CHECK(f.Text("admin add U0BOB", "U0ANA") == "<@U0BOB> is now an admin.");
  CHECK(f.Text("admin rm U0ANA", "U0ANA") == "<@U0ANA> is no longer an admin.");
  // Nobody at all is named: the refusal cannot name an admin to ask.
  Fixture<F> none(std::vector<std::string>{});
  auto refused = none.Run("route list", "U0STAFF");
  CHECK(refused.error);
  CHECK_FALSE(Has(refused.text, "Ask an admin"));
}

TEST_CASE_TEMPLATE("audit lists the latest entries, newest first, with results", F,
                   test::SqliteFactory, test::PgFactory) {
  Fixture<F> f;
  if (!f.available()) return;
  f.Run("route add support channel=C1");
  f.clock.Advance(60'000);
  f.Run("route add nope", "U0STAFF");
  std::string audit = f.Text("audit 2");
  CHECK(Has(audit,
            "Latest admin commands, newest first:\n• 2024-05-01 10:01 UTC · <@U0ADMIN> · *started* "
            "· `audit 2`\n"
            "• 2024-05-01 10:01 UTC · <@U0STAFF> · *refused* · `route add nope` — not an admin"));
  CHECK_FALSE(Has(audit, "route add support"));
  CHECK(Has(f.Text("audit"), "*ok* · `route add support channel=C1` — Created route `support`"));
  CHECK(Has(f.Text("audit 0"), "from 1 to 100"));
  CHECK(Has(f.Text("audit many"), "Usage: `/duplex audit [N]`"));
}

TEST_CASE_TEMPLATE("help marks the admin verbs", F, test::SqliteFactory, test::PgFactory) {
  Fixture<F> f;
  if (!f.available()) return;
  std::string help = f.Text("help", "U0STAFF");
  CHECK(Has(help,
            "`/duplex mute <platform>:<handle>` — store an author's mentions without posting them "
            "(admins)"));
  CHECK(Has(help, "`/duplex audit [N]`"));
}

}  // namespace duplex
