#include "unwind/symbolizer.h"

#include <gtest/gtest.h>

namespace ukstack::unwind {
namespace {

TEST(Demangle, CxxNamesAreDemangled) {
  EXPECT_EQ(demangle("_ZN7fixture15cond_wait_innerEv"), "fixture::cond_wait_inner()");
  EXPECT_EQ(demangle("_Z7cxxfunci"), "cxxfunc(int)");
}

TEST(Demangle, OtherNamesPassThrough) {
  EXPECT_EQ(demangle("accept"), "accept");
  EXPECT_EQ(demangle("runtime.netpoll"), "runtime.netpoll");
  EXPECT_EQ(demangle("_Zinvalid"), "_Zinvalid");  // not a valid mangled name: kept as is
  EXPECT_EQ(demangle(nullptr), "");
}

TEST(SymbolVersion, IsNotPartOfTheName) {
  EXPECT_EQ(without_symbol_version("pthread_cond_wait@@GLIBC_2.3.2"), "pthread_cond_wait");
  EXPECT_EQ(without_symbol_version("clock_nanosleep@GLIBC_2.2.5"), "clock_nanosleep");
  EXPECT_EQ(without_symbol_version("accept"), "accept");
}

}  // namespace
}  // namespace ukstack::unwind
