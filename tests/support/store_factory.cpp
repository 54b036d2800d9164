#include "support/store_factory.h"

#include <doctest/doctest.h>

namespace duplex::test {

IngestItem MentionItem(const std::string& event_id, const std::string& conversation,
                       const std::string& text, const std::string& channel) {
  Mention m;
  m.platform = "generic";
  m.event_id = event_id;
  m.message_id = "msg-" + event_id;
  m.conversation_key = conversation;
  m.text = text;
  m.author = {"a1", "ana", "Ana", 10};
  m.reply_target = "{}";
  return {m, channel, ""};
}

void SqliteFactory::Reopen() {
  store.reset();
  auto s = SqliteStore::Open({dir.File("store.db")});
  REQUIRE_MESSAGE(s.ok(), s.status().message());
  store = std::move(*s);
}

PgFactory::PgFactory() {
  if (SkipWithoutPostgres()) return;
  db = std::make_unique<PgTestDatabase>();
  Reopen();
}

void PgFactory::Reopen() {
  store.reset();
  store = OpenPgStore(db->url());
}

}  // namespace duplex::test
