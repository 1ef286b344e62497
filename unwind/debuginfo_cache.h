// A disk cache of debug files with their compressed sections (SHF_COMPRESSED or
// GNU .zdebug) expanded, keyed by build-id. libdw inflates every compressed debug
// section when it opens a file (dwarf_begin_elf), on every run: for libc6-dbg that
// is most of a small capture's time. The first run writes an uncompressed copy;
// later runs hand libdw that copy, which it maps without inflating anything.
//
// Where: root (euid 0) uses /var/cache/ukstack/debuginfo (FHS: root's daemon-like
// cache, not a home directory that sudo may have kept pointing at a user's);
// others use $XDG_CACHE_HOME/ukstack/debuginfo, or ~/.cache/ukstack/debuginfo.
// UKSTACK_NO_DEBUGINFO_CACHE=1 turns it off.
//
// Trust: a cached file is used only if it and its directory belong to the
// effective user and are not writable by group or others, and its build-id is the
// one of the file it replaces. Entries are written to a temporary file and renamed
// into place, so a reader never sees half a file. Nothing is ever evicted: one
// entry per distinct debug file that was actually opened (libc6-dbg: ~17 MB).
#pragma once

#include <elfutils/libdwfl.h>

#include <optional>
#include <span>
#include <string>

#include "base/result.h"
#include "base/unique_fd.h"

namespace ukstack::unwind {

class DebuginfoCache {
 public:
  // The directory the environment chooses (see above); nullopt when disabled or
  // when there is no home to put it in.
  static std::optional<std::string> default_directory();

  // `directory` is created (mode 0700, or 0755 under /var/cache) on first write.
  explicit DebuginfoCache(std::string directory);

  const std::string& directory() const { return directory_; }

  // The verified uncompressed copy for this build-id, or an invalid UniqueFd.
  UniqueFd lookup(std::span<const unsigned char> build_id) const;

  // `fd` is a debug file libdw found (it is only read, never closed). When it
  // has compressed debug sections and a build-id: an fd of the uncompressed copy,
  // taken from the cache or written now. An invalid UniqueFd when the file needs
  // no copy (nothing compressed, no build-id to key it by, or a
  // .gnu_debugaltlink, whose relative path must stay beside the original); an
  // error when the copy could not be made or read (then use `fd` as it is).
  Result<UniqueFd> uncompressed(int fd) const;

  // What the last lookup() / uncompressed() did, for tests and --verbose.
  enum class Outcome { NotNeeded, Miss, Hit, Written, Failed };
  Outcome last_outcome() const { return last_outcome_; }

 private:
  std::string directory_;
  mutable Outcome last_outcome_ = Outcome::NotNeeded;
};

// A find_debuginfo callback for Dwfl_Callbacks: dwfl_standard_find_debuginfo
// with the cache in front. libdw's standard search keeps the Elf it opened to
// check the build-id and decompresses from that, whatever fd the callback
// returns; so a hit must skip the search: the module's build-id is looked up
// first, and a verified copy's fd is returned (libdw opens and maps it, and
// *debuginfo_file_name names the copy). On a miss the standard search runs as
// before and an uncompressed copy is stored for the next run (this run still
// pays libdw's decompression, plus ours for the copy). Alternate (dwz) file
// lookups and UKSTACK_NO_DEBUGINFO_CACHE=1 go straight to the standard search.
int find_debuginfo_with_cache(Dwfl_Module* mod, void** userdata, const char* modname,
                              Dwarf_Addr base, const char* file_name, const char* debuglink_file,
                              GElf_Word debuglink_crc, char** debuginfo_file_name);

}  // namespace ukstack::unwind
