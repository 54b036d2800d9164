#pragma once
// A SQLite VFS that writes each transaction's WAL frames with one system call.
//
// SQLite appends a commit to the write-ahead log frame by frame, two pwrite calls per page
// (frame header, then page), and then syncs. A mention touches a dozen pages (three rows and
// their index entries), so one ingest batch cost forty-odd pwrite calls before its fdatasync,
// a quarter of the committing thread's CPU. This VFS wraps the default one and, for WAL files
// only, gathers consecutive appends in memory and hands them to the file as one write before
// anything that could observe them: a sync (so durability is exactly SQLite's own: the commit
// returns only after the bytes are written and synced), a read, a truncate, a size query, a
// file control, a lock change, a write elsewhere in the file, or close. Other files (the
// database, its shared-memory index) pass straight through. A failed deferred write is
// reported by the call that flushes it, normally the commit's sync, so the commit fails.
#include <cstdint>

namespace duplex::storage {

// The VFS's name for SQLite's open calls; registered (not as the default) on first use.
const char* BufferedWalVfs();

// Counters over all connections, for tests and the benchmark notes.
struct WalWriteCounts {
  std::uint64_t writes = 0;   // xWrite calls SQLite made on WAL files
  std::uint64_t flushes = 0;  // writes actually made to those files
};
WalWriteCounts WalWrites();

}  // namespace duplex::storage
