# Writes the x86-64 system-call name table from <asm/unistd_64.h>.
# Usage: cmake -DINPUT=.../asm/unistd_64.h -DOUTPUT=.../syscall_table.cpp -P gen_syscall_names.cmake
if(NOT INPUT OR NOT OUTPUT)
  message(FATAL_ERROR "gen_syscall_names.cmake needs -DINPUT=<unistd_64.h> -DOUTPUT=<file.cpp>")
endif()

file(STRINGS "${INPUT}" defines REGEX "^#define[ \t]+__NR_[A-Za-z0-9_]+[ \t]+[0-9]+")
set(max_nr -1)
foreach(line IN LISTS defines)
  string(REGEX MATCH "^#define[ \t]+__NR_([A-Za-z0-9_]+)[ \t]+([0-9]+)" _ "${line}")
  set(name_${CMAKE_MATCH_2} "${CMAKE_MATCH_1}")
  if(CMAKE_MATCH_2 GREATER max_nr)
    set(max_nr ${CMAKE_MATCH_2})
  endif()
endforeach()
if(max_nr LESS 0)
  message(FATAL_ERROR "no __NR_ definitions found in ${INPUT}")
endif()

# Indexed by number; gaps (x86-64 has one between 334 and 424) are "".
set(body "")
foreach(nr RANGE ${max_nr})
  string(APPEND body "    \"${name_${nr}}\",  // ${nr}\n")
endforeach()

set(content "// Generated at build time from ${INPUT} by gen_syscall_names.cmake. Do not edit.
#include \"procfs/syscall_table.h\"

namespace ukstack::procfs::detail {

namespace {
constexpr std::string_view kNames[] = {
${body}};
}  // namespace

std::span<const std::string_view> syscall_table() { return kNames; }

}  // namespace ukstack::procfs::detail
")
# Only touch the output when it changed, so a re-run does not rebuild the library.
file(WRITE "${OUTPUT}.tmp" "${content}")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
