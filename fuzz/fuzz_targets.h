// duplex's fuzz targets: one function per inbound parser or verifier, each taking arbitrary
// bytes. libFuzzer drives them (fuzz/main.cpp, scripts/fuzz); the unit tests replay every
// input kept in tests/fixtures/fuzz/<name>/ through the same function with the normal build.
// Guarantee: a target returns 0 for every input; a crash, an uncaught exception, a sanitizer
// report or a broken invariant (__builtin_trap) is a bug in duplex, not in the target.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace duplex::fuzz {

using FuzzFunction = int (*)(const std::uint8_t* data, std::size_t size);

struct FuzzTarget {
  const char* name;  // corpus and fixture folder name
  FuzzFunction run;
};

// Platform connectors: Handshake (GET), Verify and Parse (POST), then a reply to what was
// parsed against a scripted API answer. Input: "Name: value" header lines and "?key=value"
// query lines, an empty line, then the body (no empty line: all body).
int FuzzGeneric(const std::uint8_t* data, std::size_t size);
int FuzzX(const std::uint8_t* data, std::size_t size);
int FuzzMeta(const std::uint8_t* data, std::size_t size);
int FuzzTelegram(const std::uint8_t* data, std::size_t size);
int FuzzGitHub(const std::uint8_t* data, std::size_t size);
// Every signature verifier and the byte codecs under them, with sign/verify round trips.
int FuzzSignatures(const std::uint8_t* data, std::size_t size);
int FuzzUntrustedJson(const std::uint8_t* data, std::size_t size);
int FuzzForm(const std::uint8_t* data, std::size_t size);
// Tokenize, ParseCommandText, ParseRef, ParseChannelRef, ParseUserRef.
int FuzzCommandParser(const std::uint8_t* data, std::size_t size);
// SlackDialect::ToPlain and Escape.
int FuzzSlackText(const std::uint8_t* data, std::size_t size);
int FuzzConfig(const std::uint8_t* data, std::size_t size);
// CommandService::Execute on an in-memory SQLite store. Input: first byte picks the caller
// (bit 0: admin) and the command (bit 1: /reply), the rest is the command text.
int FuzzCommandService(const std::uint8_t* data, std::size_t size);
// The chat endpoints (Slack commands, interactions, events; Mattermost commands) on the same
// store, with requests signed by the target. Input: first byte picks the endpoint and options
// (fuzz/targets/chat_endpoints.cpp), the rest is the body.
int FuzzChatEndpoints(const std::uint8_t* data, std::size_t size);
// X's CRC, Meta's hub.challenge and Slack's url_verification, unauthenticated: no answer may
// serve as a signature or reflect markup. Input: first byte picks the endpoint
// (fuzz/targets/handshakes.cpp), the rest is the token or challenge.
int FuzzHandshakes(const std::uint8_t* data, std::size_t size);

const std::vector<FuzzTarget>& AllTargets();

}  // namespace duplex::fuzz
