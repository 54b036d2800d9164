// Router: every filter alone and combined, priorities, ties, disabled routes, keyword
// boundaries with Unicode text, regexes (invalid and pathological), and Explain.
#include <doctest/doctest.h>

#include "core/routing/router.h"
#include "core/routing/text_match.h"

namespace duplex {
namespace {

Mention MakeMention(const std::string& text, const std::string& platform = "generic",
                    MentionKind kind = MentionKind::kMention,
                    std::optional<std::int64_t> followers = std::nullopt) {
  Mention m;
  m.platform = platform;
  m.kind = kind;
  m.text = text;
  m.author.followers = followers;
  return m;
}

Route MakeRoute(const std::string& name, const std::string& channel) {
  Route r;
  r.name = name;
  r.channel = channel;
  return r;
}

std::string Winner(const Router& router, const Mention& m) {
  return router.Decide(m).route;
}

}  // namespace

TEST_CASE("no routes or no match: the default channel with no route name") {
  Router empty({}, "CDEFAULT");
  CHECK(empty.Decide(MakeMention("hello")).channel == "CDEFAULT");
  CHECK(empty.Decide(MakeMention("hello")).route.empty());
  Route r = MakeRoute("refunds", "CREF");
  r.keywords = {"refund"};
  Router router({r}, "CDEFAULT");
  auto d = router.Decide(MakeMention("just saying hi"));
  CHECK(d.channel == "CDEFAULT");
  CHECK(d.route.empty());
}

TEST_CASE("a route without filters matches everything") {
  Router router({MakeRoute("all", "CALL")}, "CDEFAULT");
  auto d = router.Decide(MakeMention(""));
  CHECK(d.channel == "CALL");
  CHECK(d.route == "all");
}

TEST_CASE("each filter alone decides") {
  SUBCASE("platform") {
    Route r = MakeRoute("x-only", "CX");
    r.platforms = {"x", "meta"};
    Router router({r}, "CD");
    CHECK(Winner(router, MakeMention("hi", "x")) == "x-only");
    CHECK(Winner(router, MakeMention("hi", "meta")) == "x-only");
    CHECK(Winner(router, MakeMention("hi", "generic")).empty());
  }
  SUBCASE("kind") {
    Route r = MakeRoute("dms", "CDM");
    r.kinds = {MentionKind::kDm, MentionKind::kDirect};
    Router router({r}, "CD");
    CHECK(Winner(router, MakeMention("hi", "x", MentionKind::kDm)) == "dms");
    CHECK(Winner(router, MakeMention("hi", "x", MentionKind::kDirect)) == "dms");
    CHECK(Winner(router, MakeMention("hi", "x", MentionKind::kComment)).empty());
    CHECK(Winner(router, MakeMention("hi", "x", MentionKind::kMention)).empty());
  }
  SUBCASE("min_followers: at the threshold matches, below or unknown does not") {
    Route r = MakeRoute("vip", "CVIP");
    r.min_followers = 10'000;
    Router router({r}, "CD");
    CHECK(Winner(router, MakeMention("hi", "x", MentionKind::kMention, 10'000)) == "vip");
    CHECK(Winner(router, MakeMention("hi", "x", MentionKind::kMention, 2'000'000)) == "vip");
    CHECK(Winner(router, MakeMention("hi", "x", MentionKind::kMention, 9'999)).empty());
    CHECK(Winner(router, MakeMention("hi", "x", MentionKind::kMention, std::nullopt)).empty());
  }
  SUBCASE("keywords: any one of the list") {
    Route r = MakeRoute("orders", "CO");
    r.keywords = {"late order", "refund"};
    Router router({r}, "CD");
    CHECK(Winner(router, MakeMention("My LATE   Order never came")) == "orders");
    CHECK(Winner(router, MakeMention("I want a Refund!")) == "orders");
    CHECK(Winner(router, MakeMention("the order was late")).empty());
  }
  SUBCASE("regex runs on the original text, case-sensitively unless (?i)") {
    Route r = MakeRoute("tickets", "CT");
    r.regex = R"(TICKET-\d{3,})";
    Route ci = MakeRoute("ci", "CCI");
    ci.regex = R"((?i)\bhelp\b)";
    Router router({r, ci}, "CD");
    CHECK(Winner(router, MakeMention("see TICKET-1234 please")) == "tickets");
    CHECK(Winner(router, MakeMention("see ticket-1234 please")).empty());
    CHECK(Winner(router, MakeMention("HELP me")) == "ci");
    CHECK(Winner(router, MakeMention("helpful")).empty());
  }
}

TEST_CASE("all given filters must match together") {
  Route r = MakeRoute("x-vip-complaints", "CVIP");
  r.platforms = {"x"};
  r.kinds = {MentionKind::kDirect};
  r.keywords = {"broken"};
  r.regex = "(?i)app";
  r.min_followers = 1000;
  Router router({r}, "CD");
  const auto good = MakeMention("the app is broken", "x", MentionKind::kDirect, 5000);
  CHECK(Winner(router, good) == "x-vip-complaints");
  Mention m = good;
  m.platform = "meta";
  CHECK(Winner(router, m).empty());
  m = good;
  m.kind = MentionKind::kComment;
  CHECK(Winner(router, m).empty());
  m = good;
  m.text = "the app is fine";
  CHECK(Winner(router, m).empty());
  m = good;
  m.text = "the website is broken";
  CHECK(Winner(router, m).empty());
  m = good;
  m.author.followers = 999;
  CHECK(Winner(router, m).empty());
}

TEST_CASE("the lowest priority number wins and ties go to the name that sorts first") {
  Route a = MakeRoute("zeta", "CZ");
  a.priority = 5;
  Route b = MakeRoute("alpha", "CA");
  b.priority = 10;
  Route c = MakeRoute("beta", "CB");
  c.priority = 10;
  SUBCASE("priority") {
    Router router({b, a, c}, "CD");
    CHECK(Winner(router, MakeMention("x")) == "zeta");
  }
  SUBCASE("tie by name, whatever the input order") {
    Router router({c, b}, "CD");
    CHECK(Winner(router, MakeMention("x")) == "alpha");
    Router reversed({b, c}, "CD");
    CHECK(Winner(reversed, MakeMention("x")) == "alpha");
  }
  SUBCASE("a keyword route with a higher number loses to a catch-all with a lower one") {
    Route kw = MakeRoute("kw", "CKW");
    kw.keywords = {"refund"};
    kw.priority = 50;
    Route all = MakeRoute("all", "CALL");
    all.priority = 1;
    Router router({kw, all}, "CD");
    CHECK(Winner(router, MakeMention("refund")) == "all");
    all.priority = 60;
    Router other({kw, all}, "CD");
    CHECK(Winner(other, MakeMention("refund")) == "kw");
    CHECK(Winner(other, MakeMention("hello")) == "all");
  }
}

TEST_CASE("disabled routes never match and the next route wins") {
  Route first = MakeRoute("first", "C1");
  first.priority = 1;
  first.keywords = {"refund"};
  first.enabled = false;
  Route second = MakeRoute("second", "C2");
  second.priority = 2;
  Router router({first, second}, "CD");
  CHECK(Winner(router, MakeMention("refund")) == "second");
  second.enabled = false;
  Router none({first, second}, "CD");
  CHECK(Winner(none, MakeMention("refund")).empty());
}

TEST_CASE("keywords match on word boundaries, case-insensitively") {
  auto matches = [](const std::string& keyword, const std::string& text) {
    return routing::ContainsKeyword(routing::FoldForMatch(text),
                                    routing::NormalizeKeyword(keyword));
  };
  CHECK(matches("refund", "Refund please"));
  CHECK(matches("refund", "need a REFUND."));
  CHECK(matches("refund", "(refund)"));
  CHECK(matches("refund", "#refund"));
  CHECK(matches("refund", "refund's status"));
  CHECK_FALSE(matches("refund", "refunds"));
  CHECK_FALSE(matches("refund", "nonrefundable"));
  CHECK_FALSE(matches("refund", "refund_policy"));
  CHECK(matches("refund", "refunds and a refund"));  // a later occurrence on boundaries
  CHECK(matches("c++", "I love c++!"));
  CHECK_FALSE(matches("c++", "abc++"));
  CHECK(matches("#acme", "hey #acme"));
  CHECK(matches("late order", "late\n\torder"));
  CHECK(matches("  Late   Order ", "my late order"));
  CHECK(matches("order 66", "execute order 66"));
  CHECK_FALSE(matches("order 6", "execute order 66"));
  CHECK(routing::NormalizeKeyword("   ").empty());
  CHECK_FALSE(matches("", "anything"));
}

TEST_CASE("keywords in Unicode text: accents, other scripts, emoji and CJK") {
  auto matches = [](const std::string& keyword, const std::string& text) {
    return routing::ContainsKeyword(routing::FoldForMatch(text),
                                    routing::NormalizeKeyword(keyword));
  };
  SUBCASE("accented letters are word characters and fold their case") {
    CHECK(matches("café", "Le CAFÉ est froid"));
    CHECK(matches("CAFÉ", "le café"));
    CHECK_FALSE(matches("caf", "le café"));  // é continues the word
    CHECK_FALSE(matches("fund", "réfund"));  // a non-ASCII letter before it too
    CHECK_FALSE(
        matches("cafe", "cafe\xCC\x81"));  // decomposed é: the combining mark is a letter part
    CHECK(matches("straße", "STRAẞE gesperrt"));
    CHECK(matches("łódź", "Łódź airport"));
    CHECK(matches("trả hàng", "Tôi muốn TRẢ HÀNG"));
  }
  SUBCASE("Greek and Cyrillic") {
    CHECK(matches("возврат", "Где мой ВОЗВРАТ?"));
    CHECK_FALSE(matches("возврат", "возврата"));
    CHECK(matches("επιστροφή", "Θέλω ΕΠΙΣΤΡΟΦΉ"));
    CHECK(matches("σας", "ΣΑΣ"));  // final sigma folds like sigma
  }
  SUBCASE("emoji and symbols separate words") {
    CHECK(matches("refund", "refund🙂"));
    CHECK(matches("refund", "😡refund😡"));
    CHECK(matches("refund", "👩‍👩‍👧refund"));  // ZWJ sequence
    CHECK(matches("refund", "refund…"));
    CHECK(matches("refund", "«refund»"));
    CHECK(matches("🔥", "this is 🔥🔥"));
    CHECK(matches("refund", "refund\xC2\xA0please"));  // no-break space
  }
  SUBCASE("scripts without spaces match inside a run") {
    CHECK(matches("退款", "我要退款，谢谢"));
    CHECK(matches("退款", "退款"));
    CHECK(matches("返金", "返金してください"));
    CHECK(matches("환불", "환불을 원합니다"));
    CHECK(matches("คืนเงิน", "ขอคืนเงินครับ"));
    CHECK(matches("refund", "退款refund退款"));  // Latin next to CJK is on a boundary
    CHECK_FALSE(matches("退款", "我要退货"));
  }
  SUBCASE("invalid UTF-8 neither crashes nor glues words") {
    CHECK(matches("refund", "\xFFrefund\xFE"));
    CHECK(matches("refund", "refund\xE2\x82"));  // truncated sequence at the end
    CHECK_FALSE(matches("refund", "\xE2\x82"));
  }
}

TEST_CASE("routing by keyword works the same through the index with Unicode text") {
  Route zh = MakeRoute("zh", "CZH");
  zh.keywords = {"退款"};
  Route fr = MakeRoute("fr", "CFR");
  fr.keywords = {"remboursement", "café"};
  Router router({zh, fr}, "CD");
  CHECK(Winner(router, MakeMention("我要退款")) == "zh");
  CHECK(Winner(router, MakeMention("Un CAFÉ froid 😡")) == "fr");
  CHECK(Winner(router, MakeMention("cafés")).empty());
}

TEST_CASE("an invalid regex is refused with RE2's reason") {
  Status s = CheckRouteRegex("(unclosed");
  CHECK_FALSE(s.ok());
  CHECK(s.message().find("invalid regex") != std::string::npos);
  CHECK(s.message().find("missing )") != std::string::npos);
  CHECK_FALSE(CheckRouteRegex("a{2,1}").ok());
  CHECK_FALSE(CheckRouteRegex("(?<=x)y").ok());  // lookbehind: RE2 has no backtracking features
  CHECK_FALSE(CheckRouteRegex(std::string(kMaxRegexBytes + 1, 'a')).ok());
  CHECK(CheckRouteRegex(R"((?i)\bwhere is my order\b)").ok());
  Route r = MakeRoute("bad", "C1");
  r.regex = "(unclosed";
  CHECK_FALSE(ValidateRoute(r).ok());
}

TEST_CASE("a stored regex that no longer compiles never matches and is explained") {
  Route bad = MakeRoute("bad", "CBAD");
  bad.priority = 1;
  bad.regex = "(unclosed";
  Route good = MakeRoute("good", "CGOOD");
  good.priority = 2;
  Router router({bad, good}, "CD");
  CHECK(Winner(router, MakeMention("(unclosed")) == "good");
  CHECK_FALSE(router.RegexError(0).empty());
  CHECK(router.RegexError(1).empty());
}

TEST_CASE("a pathological regex on 1 MiB of text completes (RE2 is linear)") {
  Route r = MakeRoute("evil", "CE");
  r.regex = "(a+)+$";
  Route r2 = MakeRoute("evil2", "CE2");
  r2.regex = "(x+x+)+y";
  Router router({r, r2}, "CD");
  std::string text(1 << 20, 'a');
  text.back() = '!';  // defeats the final $: a backtracking engine would never finish
  CHECK(Winner(router, MakeMention(text)).empty());
  std::string xs(1 << 20, 'x');
  CHECK(Winner(router, MakeMention(xs)).empty());
  text.back() = 'a';
  CHECK(Winner(router, MakeMention(text)) == "evil");
}

TEST_CASE("route validation names the problem") {
  Route r = MakeRoute("ok-name_1.2", "C1");
  CHECK(ValidateRoute(r).ok());
  CHECK(NormalizeRouteName("Support") == "support");
  CHECK(NormalizeRouteName("bad name").empty());
  CHECK(NormalizeRouteName("").empty());
  CHECK(NormalizeRouteName(std::string(65, 'a')).empty());
  r.name = "Upper";
  CHECK_FALSE(ValidateRoute(r).ok());
  r.name = "ok";
  r.channel.clear();
  CHECK(ValidateRoute(r).message().find("channel") != std::string::npos);
  r.channel = "C1";
  r.keywords = {""};
  CHECK(ValidateRoute(r).message().find("empty keyword") != std::string::npos);
  r.keywords = {std::string(kMaxKeywordBytes + 1, 'k')};
  CHECK(ValidateRoute(r).message().find("longer than") != std::string::npos);
  r.keywords = std::vector<std::string>(kMaxKeywordsPerRoute + 1, "k");
  CHECK(ValidateRoute(r).message().find("at most") != std::string::npos);
  r.keywords.clear();
  r.min_followers = -1;
  CHECK(ValidateRoute(r).message().find("min_followers") != std::string::npos);
  r.min_followers.reset();
  r.priority = kMaxRoutePriority + 1;
  CHECK(ValidateRoute(r).message().find("priority") != std::string::npos);
  r.priority = -1;
  CHECK_FALSE(ValidateRoute(r).ok());
}

TEST_CASE("Explain names the winner and every filter that rejected each other route") {
  Route vip = MakeRoute("vip", "CVIP");
  vip.priority = 1;
  vip.min_followers = 10'000;
  vip.platforms = {"x"};
  Route off = MakeRoute("off", "COFF");
  off.priority = 2;
  off.enabled = false;
  Route orders = MakeRoute("orders", "CORD");
  orders.priority = 3;
  orders.keywords = {"order"};
  Route also = MakeRoute("also", "CALSO");
  also.priority = 4;
  also.regex = "(?i)order";
  Route dm = MakeRoute("dm", "CDM");
  dm.priority = 5;
  dm.kinds = {MentionKind::kDm};
  dm.regex = "nope";
  Router router({dm, also, orders, off, vip}, "CD");
  auto e = router.Explain(MakeMention("where is my order", "generic", MentionKind::kMention, 50));
  CHECK(e.decision.route == "orders");
  CHECK(e.decision.channel == "CORD");
  REQUIRE(e.verdicts.size() == 5);
  CHECK(e.verdicts[0].route->name == "vip");
  CHECK(e.verdicts[0].rejected_by ==
        std::vector<RouteFilter>{RouteFilter::kPlatform, RouteFilter::kMinFollowers});
  CHECK(e.verdicts[1].rejected_by == std::vector<RouteFilter>{RouteFilter::kDisabled});
  CHECK(e.verdicts[2].won);
  CHECK(e.verdicts[2].rejected_by.empty());
  CHECK_FALSE(e.verdicts[3].won);  // matched too, but came later
  CHECK(e.verdicts[3].rejected_by.empty());
  CHECK(e.verdicts[4].rejected_by ==
        std::vector<RouteFilter>{RouteFilter::kKind, RouteFilter::kRegex});
  CHECK(std::string(ToString(RouteFilter::kMinFollowers)) == "min_followers");
}

TEST_CASE("SharedRouter hands out snapshots that survive a swap") {
  SharedRouter shared(std::make_shared<Router>(std::vector<Route>{MakeRoute("old", "C1")}, "CD"));
  auto before = shared.Get();
  shared.Set(std::make_shared<Router>(std::vector<Route>{MakeRoute("new", "C2")}, "CD"));
  CHECK(before->Decide(MakeMention("x")).route == "old");
  CHECK(shared.Get()->Decide(MakeMention("x")).route == "new");
}

}  // namespace duplex
