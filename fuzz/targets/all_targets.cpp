#include "fuzz/fuzz_targets.h"

namespace duplex::fuzz {

const std::vector<FuzzTarget>& AllTargets() {
  static const std::vector<FuzzTarget> targets = {
      {"generic", FuzzGeneric},
      {"x", FuzzX},
      {"meta", FuzzMeta},
      {"telegram", FuzzTelegram},
      {"github", FuzzGitHub},
      {"signatures", FuzzSignatures},
      {"untrusted_json", FuzzUntrustedJson},
      {"form", FuzzForm},
      {"command_parser", FuzzCommandParser},
      {"slack_text", FuzzSlackText},
      {"config", FuzzConfig},
      {"command_service", FuzzCommandService},
      {"chat_endpoints", FuzzChatEndpoints},
      {"handshakes", FuzzHandshakes},
  };
  return targets;
}

}  // namespace duplex::fuzz
