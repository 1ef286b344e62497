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

TEST(GoAbiSuffix, IsDroppedAsGdbDoes) {
  EXPECT_EQ(without_go_abi_suffix("runtime.futex.abi0"), "runtime.futex");
  EXPECT_EQ(without_go_abi_suffix("runtime.mstart.abi0"), "runtime.mstart");
  EXPECT_EQ(without_go_abi_suffix("runtime.newproc.abiinternal"), "runtime.newproc");
  EXPECT_EQ(without_go_abi_suffix("runtime.netpoll"), "runtime.netpoll");
  EXPECT_EQ(without_go_abi_suffix("foo.abind"), "foo.abind");
  EXPECT_EQ(without_go_abi_suffix(".abi0"), ".abi0");
  EXPECT_EQ(without_go_abi_suffix("accept"), "accept");
}

TEST(AnonymousModule, NamedFromMaps) {
  std::vector<procfs::Mapping> maps(4);
  maps[0].start = RemoteAddr(0x1000);
  maps[0].end = RemoteAddr(0x2000);
  maps[1].start = RemoteAddr(0x2000);
  maps[1].end = RemoteAddr(0x3000);
  maps[1].path = "[anon:v8 jit]";
  maps[2].start = RemoteAddr(0x3000);
  maps[2].end = RemoteAddr(0x4000);
  maps[2].path = "[heap]";
  maps[3].start = RemoteAddr(0x4000);
  maps[3].end = RemoteAddr(0x5000);
  maps[3].path = "/memfd:jit";
  maps[3].deleted = true;
  EXPECT_EQ(anonymous_module_name(maps, 0x1abc), "[anon]");
  EXPECT_EQ(anonymous_module_name(maps, 0x2000), "[anon:v8 jit]");
  EXPECT_EQ(anonymous_module_name(maps, 0x3fff), "[heap]");
  EXPECT_EQ(anonymous_module_name(maps, 0x4010), "/memfd:jit (deleted)");
  EXPECT_EQ(anonymous_module_name(maps, 0x5000), "");
}

}  // namespace
}  // namespace ukstack::unwind
