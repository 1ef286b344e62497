// pprof's profile (--format pprof): the gzipped profile.proto that `go tool pprof`,
// Grafana Pyroscope, Parca and other collectors read, built with libprotobuf from
// the profile.proto Debian ships (never encoded by hand here).
//
// Sample type threads/count. One sample per thread, its value sample_weight
// (render/profile_weight.h), its locations innermost first as pprof keeps them:
// the kernel frames (mapping [kernel.kallsyms], or [nfs] for a frame of kernel
// module nfs; function names marked "_[k]", as in the folded view), then the user
// frames (a mapping per module; an inlined call is another line of its caller's
// location, as pprof keeps inlining). Labels: thread (its name), tid, pid, process
// (the process's name), state, syscall and progress where known. Strings from the
// target are escaped as the text view escapes them (render/escape.h): pprof prints
// them to a terminal. Several processes: one profile, told apart by their labels.
#pragma once

#include <ostream>
#include <span>

#include "model/snapshot.h"

namespace ukstack {

// Writes the gzipped profile to `out` (binary). False when writing failed.
bool write_pprof(std::span<const Snapshot> snapshots, std::ostream& out);

}  // namespace ukstack
