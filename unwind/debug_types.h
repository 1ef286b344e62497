// Globals and type layouts read from the debug information of a Dwfl's modules
// (a live process's or a core's: the same code serves both). Readers of runtime
// structures take offsets from the binary they read, never from a table of
// versions: a mutex's owner is at pthread_mutex_t's "__data.__owner".
#pragma once

#include <elfutils/libdwfl.h>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/remote_addr.h"
#include "base/result.h"

namespace ukstack::unwind {

struct MemberInfo {
  std::uint64_t offset = 0;  // bytes from the start of the outer type, along the whole path
  std::uint64_t size = 0;    // bytes of the member's type
  std::string type_name;   // as the source spells it: "int", "struct __pthread_mutex_s", "char[16]"
  bool aggregate = false;  // a struct, union, class or array (typedefs followed): not a scalar
};

class DebugTypes {
 public:
  // Borrows `dwfl`, which must outlive this object.
  explicit DebugTypes(Dwfl* dwfl) : dwfl_(dwfl) {}

  // The run-time address of a global (or static) variable: its symbol in the loaded
  // modules' symbol tables, bias applied; failing that, its DWARF DW_AT_location.
  // Where several modules define it, a global symbol wins over a local one.
  // Thread-local variables have no one address: an Error.
  Result<RemoteAddr> global_address(std::string_view name) const;

  // DW_AT_byte_size of a named type (struct, union, class, typedef, base or enum
  // type; "struct x" and "ns::x" are accepted), typedefs followed.
  Result<std::uint64_t> type_size(std::string_view type_name) const;

  // DW_AT_byte_size of a global variable's type: how many elements an array has
  // when the variable's own declaration says (Go's [27]string).
  Result<std::uint64_t> variable_size(std::string_view name) const;

  // The value of a named constant (DW_TAG_constant with DW_AT_const_value): Go
  // emits its package constants, so runtime._Gwaiting is there.
  Result<std::int64_t> constant(std::string_view name) const;

  // A member of a named struct or union, by a dotted path ("__data.__owner"), each
  // step through typedefs and qualifiers, and through anonymous struct and union
  // members as C does. Bit-fields are an Error.
  Result<MemberInfo> member(std::string_view type_name, std::string_view member_path) const;

  // Looks up these named types (as type_size and member take them) in one pass over
  // the compilation units, and keeps what it finds for the calls that follow: a
  // reader that asks for 30 members of 10 types scans once, not 30 times (a large
  // program's DWARF takes tens of milliseconds a scan). Names not found are looked
  // for again, as usual, when asked for.
  void find_types(const std::vector<std::string_view>& type_names) const;

 private:
  // A named type's DIE: found before, or searched for and kept.
  Result<Dwarf_Die> type_die(std::string_view type_name) const;

  Dwfl* dwfl_;
  mutable std::map<std::string, Dwarf_Die, std::less<>> types_;  // by the name asked for
};

}  // namespace ukstack::unwind
