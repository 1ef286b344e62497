#include "unwind/inline_frames.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>

#include <cstdlib>
#include <memory>
#include <vector>

#include "unwind/symbolizer.h"

namespace ukstack::unwind {

namespace {

// The linkage name (demangled) when there is one, as for the ELF symbol of a
// physical frame, else DW_AT_name; both looked up through DW_AT_abstract_origin,
// where an inlined instance keeps them.
std::string scope_name(Dwarf_Die* scope) {
  Dwarf_Attribute attr;
  for (int name_attr : {DW_AT_linkage_name, DW_AT_MIPS_linkage_name}) {
    if (const char* name = dwarf_formstring(dwarf_attr_integrate(scope, name_attr, &attr))) {
      return demangle(name);
    }
  }
  const char* name = dwarf_formstring(dwarf_attr_integrate(scope, DW_AT_name, &attr));
  return name != nullptr ? name : "";
}

// DW_AT_call_file / DW_AT_call_line of an inlined instance, through the CU's file table.
void call_site(Dwarf_Die* cu, Dwarf_Die* inlined, std::string& file, int& line) {
  Dwarf_Attribute attr;
  Dwarf_Word value = 0;
  if (dwarf_formudata(dwarf_attr(inlined, DW_AT_call_line, &attr), &value) == 0) {
    line = static_cast<int>(value);
  }
  Dwarf_Files* files = nullptr;
  std::size_t nfiles = 0;
  if (dwarf_formudata(dwarf_attr(inlined, DW_AT_call_file, &attr), &value) == 0 &&
      dwarf_getsrcfiles(cu, &files, &nfiles) == 0 && value < nfiles) {
    if (const char* name = dwarf_filesrc(files, value, nullptr, nullptr)) file = name;
  }
}

// The scopes containing `pc` below `parent`, outermost first, appended to `path`:
// the function, its lexical blocks and inlined calls. Types and namespaces have no
// code of their own, but C++ keeps functions inside them.
void scopes_at(Dwarf_Die* parent, Dwarf_Addr pc, std::vector<Dwarf_Die>& path) {
  Dwarf_Die child;
  if (dwarf_child(parent, &child) != 0) return;
  do {
    switch (dwarf_tag(&child)) {
      case DW_TAG_subprogram:
      case DW_TAG_entry_point:
      case DW_TAG_inlined_subroutine:
      case DW_TAG_lexical_block:
        if (dwarf_haspc(&child, pc) == 1) {
          path.push_back(child);
          scopes_at(&path.back(), pc, path);
          return;
        }
        break;
      case DW_TAG_namespace:
      case DW_TAG_module:
      case DW_TAG_class_type:
      case DW_TAG_structure_type: {
        const std::size_t before = path.size();
        scopes_at(&child, pc, path);
        if (path.size() > before) return;
        break;
      }
      default:
        break;
    }
  } while (dwarf_siblingof(&child, &child) == 0);
}

InlinedCall call_of(Dwarf_Die* cu, Dwarf_Die* scope) {
  InlinedCall call;
  call.function = scope_name(scope);
  call_site(cu, scope, call.call_file, call.call_line);
  return call;
}

}  // namespace

std::vector<InlinedCall> inlined_calls(Dwfl_Module* module, std::uint64_t address) {
  std::vector<InlinedCall> calls;
  if (module == nullptr) return calls;
  Dwarf_Addr bias = 0;
  Dwarf_Die* cu = dwfl_module_addrdie(module, address, &bias);
  if (cu == nullptr) return calls;
  return inlined_calls(cu, bias, address);
}

std::vector<InlinedCall> inlined_calls(Dwarf_Die* cu, std::uint64_t bias, std::uint64_t address) {
  std::vector<InlinedCall> calls;
  if (cu == nullptr) return calls;

  // The concrete scopes at the address, walked ourselves rather than with
  // dwarf_getscopes: libdw 0.188's gives up (and leaks) on an inlined call whose
  // abstract origin is in another compile unit, and Go inlines across packages
  // (sync.(*Mutex).Lock into main). The concrete DIEs are all in this unit.
  std::vector<Dwarf_Die> path;
  scopes_at(cu, address - bias, path);
  for (auto scope = path.rbegin(); scope != path.rend(); ++scope) {
    const int tag = dwarf_tag(&*scope);
    if (tag == DW_TAG_subprogram || tag == DW_TAG_entry_point) break;  // the physical function
    if (tag == DW_TAG_inlined_subroutine) calls.push_back(call_of(cu, &*scope));  // not blocks
  }
  return calls;
}

}  // namespace ukstack::unwind
