#include "unwind/debug_types.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <gelf.h>

#include <optional>
#include <vector>

namespace ukstack::unwind {

namespace {

// "struct x", "ns::x": the keyword's tag (0: any type tag), the enclosing scopes
// and the name.
struct TypeQuery {
  int keyword_tag = 0;
  std::vector<std::string_view> scopes;
  std::string_view name;
};

TypeQuery parse_type_name(std::string_view text) {
  TypeQuery query;
  for (auto [keyword, tag] : {std::pair<std::string_view, int>{"struct ", DW_TAG_structure_type},
                              {"union ", DW_TAG_union_type},
                              {"enum ", DW_TAG_enumeration_type},
                              {"class ", DW_TAG_class_type}}) {
    if (text.starts_with(keyword)) {
      query.keyword_tag = tag;
      text.remove_prefix(keyword.size());
    }
  }
  for (std::size_t colons; (colons = text.find("::")) != std::string_view::npos;) {
    query.scopes.push_back(text.substr(0, colons));
    text.remove_prefix(colons + 2);
  }
  query.name = text;
  return query;
}

bool is_declaration(Dwarf_Die* die) {
  bool flag = false;
  Dwarf_Attribute attr;
  return dwarf_attr(die, DW_AT_declaration, &attr) != nullptr &&
         dwarf_formflag(&attr, &flag) == 0 && flag;
}

bool is_scope(int tag) {
  return tag == DW_TAG_namespace || tag == DW_TAG_structure_type || tag == DW_TAG_class_type ||
         tag == DW_TAG_union_type;
}

using DieMatch = bool (*)(Dwarf_Die* die, int keyword_tag);

bool is_type(Dwarf_Die* die, int keyword_tag) {
  const int tag = dwarf_tag(die);
  if (keyword_tag != 0) return tag == keyword_tag && !is_declaration(die);
  switch (tag) {
    case DW_TAG_structure_type:
    case DW_TAG_class_type:
    case DW_TAG_union_type:
    case DW_TAG_enumeration_type:
      return !is_declaration(die);  // a definition, with members and a size
    case DW_TAG_typedef:
    case DW_TAG_base_type:
      return true;
    default:
      return false;
  }
}

bool is_variable_with_location(Dwarf_Die* die, int) {
  return dwarf_tag(die) == DW_TAG_variable && dwarf_hasattr(die, DW_AT_location);
}

bool is_constant_with_value(Dwarf_Die* die, int) {
  return dwarf_tag(die) == DW_TAG_constant && dwarf_hasattr(die, DW_AT_const_value);
}

// A child of `parent` (then of its scopes, as the query names them) that matches.
bool find_in(Dwarf_Die* parent, const TypeQuery& query, std::size_t depth, DieMatch match,
             Dwarf_Die* found) {
  Dwarf_Die child;
  if (dwarf_child(parent, &child) != 0) return false;
  const std::string_view wanted = depth < query.scopes.size() ? query.scopes[depth] : query.name;
  do {
    const char* name = dwarf_diename(&child);
    if (name == nullptr || wanted != name) continue;
    if (depth < query.scopes.size()) {
      if (is_scope(dwarf_tag(&child)) && find_in(&child, query, depth + 1, match, found))
        return true;
    } else if (match(&child, query.keyword_tag)) {
      *found = child;
      return true;
    }
  } while (dwarf_siblingof(&child, &child) == 0);
  return false;
}

// The first matching DIE in any compilation unit of any module, and that module's
// bias.
std::optional<std::pair<Dwarf_Die, Dwarf_Addr>> find_die(Dwfl* dwfl, const TypeQuery& query,
                                                         DieMatch match) {
  Dwarf_Addr bias = 0;
  for (Dwarf_Die* cu = nullptr; (cu = dwfl_nextcu(dwfl, cu, &bias)) != nullptr;) {
    Dwarf_Die found;
    if (find_in(cu, query, 0, match, &found)) return std::pair{found, bias};
  }
  return std::nullopt;
}

Result<Dwarf_Die> find_type(Dwfl* dwfl, std::string_view type_name) {
  auto found = find_die(dwfl, parse_type_name(type_name), &is_type);
  if (!found) {
    return Error{0, "no type " + std::string(type_name) +
                        " in the debug information of the program or its libraries"};
  }
  return found->first;
}

// The DIE a DW_AT_type attribute refers to.
std::optional<Dwarf_Die> referenced_type(Dwarf_Die* die) {
  Dwarf_Attribute attr;
  Dwarf_Die type;
  if (dwarf_attr_integrate(die, DW_AT_type, &attr) == nullptr ||
      dwarf_formref_die(&attr, &type) == nullptr) {
    return std::nullopt;
  }
  return type;
}

bool is_c(Dwarf_Die* die) {
  Dwarf_Die cu;
  if (dwarf_diecu(die, &cu, nullptr, nullptr) == nullptr) return false;
  const int language = dwarf_srclang(&cu);
  return language == DW_LANG_C89 || language == DW_LANG_C || language == DW_LANG_C99 ||
         language == DW_LANG_C11;
}

// A type as its source language spells it, near enough to recognise it.
std::string spell_type(Dwarf_Die* die, int depth = 0) {
  if (depth > 16) return "...";  // a malformed chain of references
  const char* name = dwarf_diename(die);
  auto inner = [&](const char* none) {
    std::optional<Dwarf_Die> type = referenced_type(die);
    return type ? spell_type(&*type, depth + 1) : std::string(none);
  };
  switch (dwarf_tag(die)) {
    case DW_TAG_pointer_type:
      return inner("void") + " *";
    case DW_TAG_reference_type:
      return inner("void") + " &";
    case DW_TAG_const_type:
      return "const " + inner("void");
    case DW_TAG_volatile_type:
      return "volatile " + inner("void");
    case DW_TAG_array_type: {
      std::string dimensions;
      Dwarf_Die child;
      if (dwarf_child(die, &child) == 0) {
        do {
          if (dwarf_tag(&child) != DW_TAG_subrange_type) continue;
          Dwarf_Word count = 0;
          Dwarf_Attribute attr;
          if (dwarf_attr(&child, DW_AT_count, &attr) != nullptr &&
              dwarf_formudata(&attr, &count) == 0) {
            dimensions += "[" + std::to_string(count) + "]";
          } else if (dwarf_attr(&child, DW_AT_upper_bound, &attr) != nullptr &&
                     dwarf_formudata(&attr, &count) == 0) {
            dimensions += "[" + std::to_string(count + 1) + "]";
          } else {
            dimensions += "[]";
          }
        } while (dwarf_siblingof(&child, &child) == 0);
      }
      return inner("?") + dimensions;
    }
    case DW_TAG_structure_type:
    case DW_TAG_union_type:
    case DW_TAG_enumeration_type:
    case DW_TAG_class_type: {
      if (name == nullptr) return "<anonymous>";
      if (!is_c(die)) return name;
      const int tag = dwarf_tag(die);
      const char* keyword = tag == DW_TAG_union_type         ? "union "
                            : tag == DW_TAG_enumeration_type ? "enum "
                                                             : "struct ";
      return keyword + std::string(name);
    }
    default:
      return name != nullptr ? name : "?";
  }
}

// DW_AT_data_member_location: a constant, or (DWARF 2) an expression that is one
// DW_OP_plus_uconst; absent for union members.
std::optional<std::uint64_t> member_offset(Dwarf_Die* member) {
  Dwarf_Attribute attr;
  if (dwarf_attr(member, DW_AT_data_member_location, &attr) == nullptr) return 0;
  Dwarf_Word offset = 0;
  switch (dwarf_whatform(&attr)) {
    case DW_FORM_data1:
    case DW_FORM_data2:
    case DW_FORM_data4:
    case DW_FORM_data8:
    case DW_FORM_udata:
    case DW_FORM_sdata:
    case DW_FORM_implicit_const:
      if (dwarf_formudata(&attr, &offset) == 0) return offset;
      return std::nullopt;
    default:
      break;
  }
  Dwarf_Op* ops = nullptr;
  std::size_t count = 0;
  if (dwarf_getlocation(&attr, &ops, &count) == 0 && count == 1 &&
      ops[0].atom == DW_OP_plus_uconst) {
    return ops[0].number;
  }
  return std::nullopt;
}

struct FoundMember {
  Dwarf_Die die;
  std::uint64_t offset = 0;
};

// A member named `name` of the struct or union `aggregate`, or of one of its
// anonymous struct or union members (offsets added).
Result<std::optional<FoundMember>> find_member(Dwarf_Die* aggregate, std::string_view name) {
  Dwarf_Die child;
  if (dwarf_child(aggregate, &child) != 0) return std::optional<FoundMember>{};
  do {
    if (dwarf_tag(&child) != DW_TAG_member && dwarf_tag(&child) != DW_TAG_inheritance) continue;
    const char* member_name = dwarf_diename(&child);
    if (member_name != nullptr && name != member_name) continue;
    std::optional<std::uint64_t> offset = member_offset(&child);
    if (member_name != nullptr) {
      if (!offset) {
        return Error{0, "member " + std::string(name) + " has a location ukstack cannot compute"};
      }
      return std::optional<FoundMember>{FoundMember{child, *offset}};
    }
    // Anonymous: look inside it.
    std::optional<Dwarf_Die> type = referenced_type(&child);
    Dwarf_Die peeled;
    if (!offset || !type || dwarf_peel_type(&*type, &peeled) != 0) continue;
    const int tag = dwarf_tag(&peeled);
    if (tag != DW_TAG_structure_type && tag != DW_TAG_union_type && tag != DW_TAG_class_type)
      continue;
    auto inner = find_member(&peeled, name);
    if (!inner) return inner.error();
    if (*inner) {
      (*inner)->offset += *offset;
      return inner;
    }
  } while (dwarf_siblingof(&child, &child) == 0);
  return std::optional<FoundMember>{};
}

// The symbol search of global_address, over every module.
struct SymbolSearch {
  std::string_view name;
  std::optional<GElf_Addr> global;  // GLOBAL, WEAK or UNIQUE binding
  std::optional<GElf_Addr> local;
  bool thread_local_found = false;
};

int search_module_symbols(Dwfl_Module* module, void**, const char*, Dwarf_Addr, void* arg) {
  auto* search = static_cast<SymbolSearch*>(arg);
  const int count = dwfl_module_getsymtab(module);
  for (int i = 1; i < count; ++i) {
    GElf_Sym sym;
    GElf_Addr address = 0;  // bias applied
    GElf_Word section = 0;
    const char* name =
        dwfl_module_getsym_info(module, i, &sym, &address, &section, nullptr, nullptr);
    if (name == nullptr || search->name != name || section == SHN_UNDEF) continue;
    const int type = GELF_ST_TYPE(sym.st_info);
    if (type == STT_TLS) {
      search->thread_local_found = true;
      continue;
    }
    if (type != STT_OBJECT && type != STT_NOTYPE) continue;  // a function, a section
    if (GELF_ST_BIND(sym.st_info) == STB_LOCAL) {
      if (!search->local) search->local = address;
    } else {
      search->global = address;
      return DWARF_CB_ABORT;
    }
  }
  return DWARF_CB_OK;
}

}  // namespace

Result<RemoteAddr> DebugTypes::global_address(std::string_view name) const {
  SymbolSearch search;
  search.name = name;
  dwfl_getmodules(dwfl_, &search_module_symbols, &search, 0);
  if (search.global) return RemoteAddr(*search.global);
  if (search.local) return RemoteAddr(*search.local);

  // No symbol (a stripped symbol table): a DW_TAG_variable at a fixed address.
  TypeQuery query = parse_type_name(name);
  query.keyword_tag = 0;
  if (auto found = find_die(dwfl_, query, &is_variable_with_location)) {
    Dwarf_Attribute attr;
    Dwarf_Op* ops = nullptr;
    std::size_t count = 0;
    if (dwarf_attr(&found->first, DW_AT_location, &attr) != nullptr &&
        dwarf_getlocation(&attr, &ops, &count) == 0 && count == 1 && ops[0].atom == DW_OP_addr) {
      return RemoteAddr(ops[0].number + found->second);
    }
    if (count >= 1 && ops != nullptr && ops[count - 1].atom == DW_OP_form_tls_address) {
      search.thread_local_found = true;
    }
  }
  if (search.thread_local_found) {
    return Error{0, "variable " + std::string(name) +
                        " is thread-local: it has an address per thread, not one"};
  }
  return Error{0, "no global variable " + std::string(name) +
                      " in the symbol tables or debug information of the program or its "
                      "libraries"};
}

Result<Dwarf_Die> DebugTypes::type_die(std::string_view type_name) const {
  if (auto cached = types_.find(type_name); cached != types_.end()) return cached->second;
  auto type = find_type(dwfl_, type_name);
  if (type) types_.emplace(std::string(type_name), *type);
  return type;
}

void DebugTypes::find_types(const std::vector<std::string_view>& type_names) const {
  std::vector<std::pair<std::string_view, TypeQuery>> wanted;
  for (std::string_view name : type_names) {
    TypeQuery query = parse_type_name(name);
    // Scoped names ("ns::x") are left to type_die's own search.
    if (query.scopes.empty() && !types_.contains(name)) wanted.emplace_back(name, query);
  }
  Dwarf_Addr bias = 0;
  for (Dwarf_Die* cu = nullptr;
       !wanted.empty() && (cu = dwfl_nextcu(dwfl_, cu, &bias)) != nullptr;) {
    Dwarf_Die child;
    if (dwarf_child(cu, &child) != 0) continue;
    do {
      const char* name = dwarf_diename(&child);
      if (name == nullptr) continue;
      for (auto it = wanted.begin(); it != wanted.end(); ++it) {
        if (it->second.name != name || !is_type(&child, it->second.keyword_tag)) continue;
        types_.emplace(std::string(it->first), child);
        wanted.erase(it);
        break;
      }
    } while (!wanted.empty() && dwarf_siblingof(&child, &child) == 0);
  }
}

Result<std::uint64_t> DebugTypes::type_size(std::string_view type_name) const {
  auto type = type_die(type_name);
  if (!type) return type.error();
  Dwarf_Word size = 0;
  if (dwarf_aggregate_size(&*type, &size) != 0) {
    return Error{0, "type " + std::string(type_name) + " has no size in the debug information"};
  }
  return size;
}

Result<std::uint64_t> DebugTypes::variable_size(std::string_view name) const {
  TypeQuery query = parse_type_name(name);
  query.keyword_tag = 0;
  auto found = find_die(dwfl_, query, &is_variable_with_location);
  if (!found) {
    return Error{0, "no global variable " + std::string(name) +
                        " in the debug information of the program or its libraries"};
  }
  std::optional<Dwarf_Die> type = referenced_type(&found->first);
  Dwarf_Word size = 0;
  if (!type || dwarf_aggregate_size(&*type, &size) != 0) {
    return Error{0,
                 "variable " + std::string(name) + " has no sized type in the debug information"};
  }
  return size;
}

Result<std::int64_t> DebugTypes::constant(std::string_view name) const {
  TypeQuery query = parse_type_name(name);
  query.keyword_tag = 0;
  auto found = find_die(dwfl_, query, &is_constant_with_value);
  if (!found) {
    return Error{0, "no constant " + std::string(name) +
                        " in the debug information of the program or its libraries"};
  }
  Dwarf_Attribute attr;
  Dwarf_Sword value = 0;
  if (dwarf_attr(&found->first, DW_AT_const_value, &attr) == nullptr ||
      dwarf_formsdata(&attr, &value) != 0) {
    return Error{0, "constant " + std::string(name) + " has no integer value"};
  }
  return static_cast<std::int64_t>(value);
}

Result<MemberInfo> DebugTypes::member(std::string_view type_name,
                                      std::string_view member_path) const {
  auto type = type_die(type_name);
  if (!type) return type.error();
  Dwarf_Die current = *type;
  MemberInfo info;
  std::string walked(type_name);  // for messages: "pthread_mutex_t.__data"
  std::string_view rest = member_path;
  while (true) {
    const std::size_t dot = rest.find('.');
    const std::string_view step = rest.substr(0, dot);
    Dwarf_Die aggregate;
    if (dwarf_peel_type(&current, &aggregate) != 0) {
      return Error{0, "cannot follow the type of " + walked + " in the debug information"};
    }
    const int tag = dwarf_tag(&aggregate);
    if (tag != DW_TAG_structure_type && tag != DW_TAG_union_type && tag != DW_TAG_class_type) {
      return Error{0, walked + " is not a struct or union: it has no member " + std::string(step)};
    }
    auto found = find_member(&aggregate, step);
    if (!found) return found.error();
    if (!*found) {
      return Error{0,
                   walked + " (" + spell_type(&current) + ") has no member " + std::string(step)};
    }
    walked += "." + std::string(step);
    if (dwarf_hasattr(&(*found)->die, DW_AT_bit_size)) {
      return Error{0, walked + " is a bit-field: it has no byte offset of its own"};
    }
    std::optional<Dwarf_Die> member_type = referenced_type(&(*found)->die);
    if (!member_type) return Error{0, walked + " has no type in the debug information"};
    info.offset += (*found)->offset;
    current = *member_type;
    if (dot == std::string_view::npos) break;
    rest.remove_prefix(dot + 1);
  }
  Dwarf_Word size = 0;
  if (dwarf_aggregate_size(&current, &size) != 0) {
    return Error{0, walked + " has a type without a size in the debug information"};
  }
  info.size = size;
  info.type_name = spell_type(&current);
  Dwarf_Die peeled;
  if (dwarf_peel_type(&current, &peeled) == 0) {
    const int tag = dwarf_tag(&peeled);
    info.aggregate = tag == DW_TAG_structure_type || tag == DW_TAG_union_type ||
                     tag == DW_TAG_class_type || tag == DW_TAG_array_type;
  }
  return info;
}

}  // namespace ukstack::unwind
