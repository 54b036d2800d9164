#include "storage/wal_vfs.h"

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <mutex>
#include <new>
#include <string>

namespace duplex::storage {
namespace {

// Flushed early past this size, so a huge transaction does not hold its frames in memory.
constexpr std::size_t kMaxBuffered = 4u << 20;
// The unix VFS writes at most 128 KiB - 1 per call (it masks the count with 0x1ffff, so a
// write of exactly 128 KiB would write nothing and report the disk full): stay below that.
constexpr std::size_t kMaxWrite = 124u << 10;

std::atomic<std::uint64_t> wal_writes{0};
std::atomic<std::uint64_t> wal_flushes{0};

sqlite3_vfs* Real(sqlite3_vfs* vfs) {
  return static_cast<sqlite3_vfs*>(vfs->pAppData);
}

// Our file: the wrapped file lives right after it, in the space SQLite allocates (szOsFile).
struct File {
  sqlite3_file base;
  bool wal = false;
  std::string* pending = nullptr;  // buffered appends of a WAL file
  sqlite3_int64 pending_offset = 0;
  sqlite3_file* real() { return reinterpret_cast<sqlite3_file*>(this + 1); }
};

File* Of(sqlite3_file* f) {
  return reinterpret_cast<File*>(f);
}

int Flush(File* f) {
  if (!f->pending || f->pending->empty()) return SQLITE_OK;
  int rc = SQLITE_OK;
  for (std::size_t done = 0; done < f->pending->size() && rc == SQLITE_OK;) {
    const std::size_t n = std::min(kMaxWrite, f->pending->size() - done);
    wal_flushes.fetch_add(1, std::memory_order_relaxed);
    rc = f->real()->pMethods->xWrite(f->real(), f->pending->data() + done, static_cast<int>(n),
                                     f->pending_offset + static_cast<sqlite3_int64>(done));
    done += n;
  }
  f->pending->clear();
  return rc;
}

int Close(sqlite3_file* file) {
  File* f = Of(file);
  const int flushed = Flush(f);
  const int rc = f->real()->pMethods->xClose(f->real());
  delete f->pending;
  f->pending = nullptr;
  return flushed != SQLITE_OK ? flushed : rc;
}

int Read(sqlite3_file* file, void* out, int amount, sqlite3_int64 offset) {
  File* f = Of(file);
  if (int rc = Flush(f); rc != SQLITE_OK) return rc;
  return f->real()->pMethods->xRead(f->real(), out, amount, offset);
}

int Write(sqlite3_file* file, const void* data, int amount, sqlite3_int64 offset) {
  File* f = Of(file);
  if (!f->wal) return f->real()->pMethods->xWrite(f->real(), data, amount, offset);
  wal_writes.fetch_add(1, std::memory_order_relaxed);
  std::string& buf = *f->pending;
  if (!buf.empty() && offset != f->pending_offset + static_cast<sqlite3_int64>(buf.size())) {
    if (int rc = Flush(f); rc != SQLITE_OK) return rc;
  }
  if (buf.empty()) f->pending_offset = offset;
  buf.append(static_cast<const char*>(data), static_cast<std::size_t>(amount));
  return buf.size() >= kMaxBuffered ? Flush(f) : SQLITE_OK;
}

int Truncate(sqlite3_file* file, sqlite3_int64 size) {
  File* f = Of(file);
  if (int rc = Flush(f); rc != SQLITE_OK) return rc;
  return f->real()->pMethods->xTruncate(f->real(), size);
}

int Sync(sqlite3_file* file, int flags) {
  File* f = Of(file);
  if (int rc = Flush(f); rc != SQLITE_OK) return rc;
  return f->real()->pMethods->xSync(f->real(), flags);
}

int FileSize(sqlite3_file* file, sqlite3_int64* size) {
  File* f = Of(file);
  if (int rc = Flush(f); rc != SQLITE_OK) return rc;
  return f->real()->pMethods->xFileSize(f->real(), size);
}

int Lock(sqlite3_file* file, int level) {
  File* f = Of(file);
  if (int rc = Flush(f); rc != SQLITE_OK) return rc;
  return f->real()->pMethods->xLock(f->real(), level);
}

int Unlock(sqlite3_file* file, int level) {
  File* f = Of(file);
  if (int rc = Flush(f); rc != SQLITE_OK) return rc;
  return f->real()->pMethods->xUnlock(f->real(), level);
}

int CheckReservedLock(sqlite3_file* file, int* out) {
  File* f = Of(file);
  return f->real()->pMethods->xCheckReservedLock(f->real(), out);
}

int FileControl(sqlite3_file* file, int op, void* arg) {
  File* f = Of(file);
  if (int rc = Flush(f); rc != SQLITE_OK) return rc;
  return f->real()->pMethods->xFileControl(f->real(), op, arg);
}

int SectorSize(sqlite3_file* file) {
  File* f = Of(file);
  return f->real()->pMethods->xSectorSize(f->real());
}

int DeviceCharacteristics(sqlite3_file* file) {
  File* f = Of(file);
  return f->real()->pMethods->xDeviceCharacteristics(f->real());
}

int ShmMap(sqlite3_file* file, int region, int size, int extend, void volatile** out) {
  File* f = Of(file);
  return f->real()->pMethods->xShmMap(f->real(), region, size, extend, out);
}

int ShmLock(sqlite3_file* file, int offset, int n, int flags) {
  File* f = Of(file);
  return f->real()->pMethods->xShmLock(f->real(), offset, n, flags);
}

void ShmBarrier(sqlite3_file* file) {
  File* f = Of(file);
  f->real()->pMethods->xShmBarrier(f->real());
}

int ShmUnmap(sqlite3_file* file, int delete_flag) {
  File* f = Of(file);
  return f->real()->pMethods->xShmUnmap(f->real(), delete_flag);
}

int Fetch(sqlite3_file* file, sqlite3_int64 offset, int amount, void** out) {
  File* f = Of(file);
  if (int rc = Flush(f); rc != SQLITE_OK) return rc;
  return f->real()->pMethods->xFetch(f->real(), offset, amount, out);
}

int Unfetch(sqlite3_file* file, sqlite3_int64 offset, void* p) {
  File* f = Of(file);
  return f->real()->pMethods->xUnfetch(f->real(), offset, p);
}

// One method table per version the wrapped file reports, so SQLite sees the same abilities
// (shared memory, memory-mapped reads) as without the wrapper.
const sqlite3_io_methods* MethodsFor(int version) {
  static sqlite3_io_methods methods[3];
  static std::once_flag once;
  std::call_once(once, [] {
    for (int v = 1; v <= 3; ++v) {
      sqlite3_io_methods& m = methods[v - 1];
      m.iVersion = v;
      m.xClose = Close;
      m.xRead = Read;
      m.xWrite = Write;
      m.xTruncate = Truncate;
      m.xSync = Sync;
      m.xFileSize = FileSize;
      m.xLock = Lock;
      m.xUnlock = Unlock;
      m.xCheckReservedLock = CheckReservedLock;
      m.xFileControl = FileControl;
      m.xSectorSize = SectorSize;
      m.xDeviceCharacteristics = DeviceCharacteristics;
      if (v >= 2) {
        m.xShmMap = ShmMap;
        m.xShmLock = ShmLock;
        m.xShmBarrier = ShmBarrier;
        m.xShmUnmap = ShmUnmap;
      }
      if (v >= 3) {
        m.xFetch = Fetch;
        m.xUnfetch = Unfetch;
      }
    }
  });
  return &methods[std::min(std::max(version, 1), 3) - 1];
}

int Open(sqlite3_vfs* vfs, sqlite3_filename name, sqlite3_file* file, int flags, int* out_flags) {
  File* f = new (file) File();
  const int rc = Real(vfs)->xOpen(Real(vfs), name, f->real(), flags, out_flags);
  if (rc != SQLITE_OK || f->real()->pMethods == nullptr) {
    // SQLite calls xClose only when pMethods is set; the wrapped file cleaned up after itself.
    f->base.pMethods = nullptr;
    return rc;
  }
  f->wal = (flags & SQLITE_OPEN_WAL) != 0;
  if (f->wal) f->pending = new std::string();
  f->base.pMethods = MethodsFor(f->real()->pMethods->iVersion);
  return SQLITE_OK;
}

// Everything but opening goes to the wrapped VFS unchanged.
int Delete(sqlite3_vfs* vfs, const char* name, int sync_dir) {
  return Real(vfs)->xDelete(Real(vfs), name, sync_dir);
}
int Access(sqlite3_vfs* vfs, const char* name, int flags, int* out) {
  return Real(vfs)->xAccess(Real(vfs), name, flags, out);
}
int FullPathname(sqlite3_vfs* vfs, const char* name, int n, char* out) {
  return Real(vfs)->xFullPathname(Real(vfs), name, n, out);
}
void* DlOpen(sqlite3_vfs* vfs, const char* name) {
  return Real(vfs)->xDlOpen(Real(vfs), name);
}
void DlError(sqlite3_vfs* vfs, int n, char* out) {
  Real(vfs)->xDlError(Real(vfs), n, out);
}
void (*DlSym(sqlite3_vfs* vfs, void* handle, const char* symbol))(void) {
  return Real(vfs)->xDlSym(Real(vfs), handle, symbol);
}
void DlClose(sqlite3_vfs* vfs, void* handle) {
  Real(vfs)->xDlClose(Real(vfs), handle);
}
int Randomness(sqlite3_vfs* vfs, int n, char* out) {
  return Real(vfs)->xRandomness(Real(vfs), n, out);
}
int Sleep(sqlite3_vfs* vfs, int micros) {
  return Real(vfs)->xSleep(Real(vfs), micros);
}
int CurrentTime(sqlite3_vfs* vfs, double* out) {
  return Real(vfs)->xCurrentTime(Real(vfs), out);
}
int GetLastError(sqlite3_vfs* vfs, int n, char* out) {
  return Real(vfs)->xGetLastError(Real(vfs), n, out);
}
int CurrentTimeInt64(sqlite3_vfs* vfs, sqlite3_int64* out) {
  return Real(vfs)->xCurrentTimeInt64(Real(vfs), out);
}

}  // namespace

const char* BufferedWalVfs() {
  static const char* name = [] {
    static sqlite3_vfs vfs;
    sqlite3_vfs* real = sqlite3_vfs_find(nullptr);
    vfs.iVersion = 2;
    vfs.szOsFile = static_cast<int>(sizeof(File)) + real->szOsFile;
    vfs.mxPathname = real->mxPathname;
    vfs.zName = "duplex-buffered-wal";
    vfs.pAppData = real;
    vfs.xOpen = Open;
    vfs.xDelete = Delete;
    vfs.xAccess = Access;
    vfs.xFullPathname = FullPathname;
    vfs.xDlOpen = DlOpen;
    vfs.xDlError = DlError;
    vfs.xDlSym = DlSym;
    vfs.xDlClose = DlClose;
    vfs.xRandomness = Randomness;
    vfs.xSleep = Sleep;
    vfs.xCurrentTime = CurrentTime;
    vfs.xGetLastError = GetLastError;
    vfs.xCurrentTimeInt64 = CurrentTimeInt64;
    sqlite3_vfs_register(&vfs, 0);
    return vfs.zName;
  }();
  return name;
}

WalWriteCounts WalWrites() {
  return {wal_writes.load(std::memory_order_relaxed), wal_flushes.load(std::memory_order_relaxed)};
}

}  // namespace duplex::storage
