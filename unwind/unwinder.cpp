#include "unwind/unwinder.h"

namespace ukstack::unwind {

Result<std::unique_ptr<Unwinder>> open_unwinder(LiveProcess process, const UnwindOptions& options) {
  switch (options.backend) {
    case Backend::Libunwind:
      return open_libunwind_unwinder(std::move(process), options);
    case Backend::Libdw:
      break;
  }
  return open_libdw_unwinder(std::move(process), options);
}

#ifndef UKSTACK_HAVE_LIBUNWIND
Result<std::unique_ptr<Unwinder>> open_libunwind_unwinder(LiveProcess, const UnwindOptions&) {
  return Error{0,
               "this ukstack was built without libunwind (UKSTACK_WITH_LIBUNWIND=OFF); use "
               "--unwinder libdw"};
}
#endif

}  // namespace ukstack::unwind
