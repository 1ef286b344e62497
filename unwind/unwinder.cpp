#include "unwind/unwinder.h"

namespace ukstack::unwind {

Result<std::unique_ptr<Unwinder>> open_unwinder(int pid, const AddressSpace& memory,
                                                const UnwindOptions& options) {
  switch (options.backend) {
    case Backend::Libunwind:
      return open_libunwind_unwinder(pid, memory, options);
    case Backend::Libdw:
      break;
  }
  return open_libdw_unwinder(pid, memory, options);
}

#ifndef UKSTACK_HAVE_LIBUNWIND
Result<std::unique_ptr<Unwinder>> open_libunwind_unwinder(int, const AddressSpace&,
                                                          const UnwindOptions&) {
  return Error{0,
               "this ukstack was built without libunwind (UKSTACK_WITH_LIBUNWIND=OFF); use "
               "--unwinder libdw"};
}
#endif

}  // namespace ukstack::unwind
