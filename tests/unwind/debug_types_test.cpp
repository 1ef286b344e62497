// DebugTypes on this test program itself (built with -g): globals and layouts the
// compiler also knows, so every expected offset and size is offsetof / sizeof.
#include "unwind/debug_types.h"

#include <gtest/gtest.h>
#include <pthread.h>
#include <unistd.h>

#include <cstddef>

#include "procfs/process_reader.h"
#include "unwind/dwfl_session.h"

extern "C" {
struct UkstackInner {
  char tag;
  long value;
};
struct UkstackSample {
  int first;
  char name[13];
  UkstackInner inner;
  union {
    short half;
    double whole;
  };
  UkstackInner* next;
};
[[gnu::used]] UkstackSample ukstack_debug_types_sample = {1, "sample", {'t', 2}, {3}, nullptr};
[[gnu::used]] pthread_mutex_t ukstack_debug_types_mutex = PTHREAD_MUTEX_INITIALIZER;
[[gnu::used]] static int ukstack_debug_types_static = 5;
[[gnu::used]] thread_local int ukstack_debug_types_tls = 6;
[[gnu::used]] UkstackInner ukstack_debug_types_array[7] = {};
}

namespace ukstack::unwind {
namespace {

RemoteAddr address_of(const void* p) { return RemoteAddr(reinterpret_cast<std::uint64_t>(p)); }

class DebugTypesOfThisProgram : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    procfs::RealProcSource proc;
    auto maps = procfs::ProcessReader(proc, getpid()).maps();
    ASSERT_TRUE(maps.ok()) << maps.error().message;
    auto session =
        DwflSession::open_process(getpid(), std::move(*maps), {}, std::chrono::milliseconds(0));
    ASSERT_TRUE(session.ok()) << session.error().message;
    session_ = session->release();
  }
  static void TearDownTestSuite() {
    delete session_;
    session_ = nullptr;
  }
  DebugTypes types() const { return DebugTypes(session_->get()); }

  static DwflSession* session_;
};

DwflSession* DebugTypesOfThisProgram::session_ = nullptr;

TEST_F(DebugTypesOfThisProgram, GlobalAddressIsTheRunTimeAddress) {
  auto sample = types().global_address("ukstack_debug_types_sample");
  ASSERT_TRUE(sample.ok()) << sample.error().message;
  EXPECT_EQ(*sample, address_of(&ukstack_debug_types_sample));
  auto mutex = types().global_address("ukstack_debug_types_mutex");
  ASSERT_TRUE(mutex.ok()) << mutex.error().message;
  EXPECT_EQ(*mutex, address_of(&ukstack_debug_types_mutex));
  auto local = types().global_address("ukstack_debug_types_static");
  ASSERT_TRUE(local.ok()) << local.error().message;
  EXPECT_EQ(*local, address_of(&ukstack_debug_types_static));
}

TEST_F(DebugTypesOfThisProgram, NoSuchGlobalOrAThreadLocalOneIsAnError) {
  auto missing = types().global_address("ukstack_no_such_global");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("ukstack_no_such_global"), std::string::npos);
  auto tls = types().global_address("ukstack_debug_types_tls");
  ASSERT_FALSE(tls.ok());
  EXPECT_NE(tls.error().message.find("thread-local"), std::string::npos) << tls.error().message;
  // A function is not a variable.
  EXPECT_FALSE(types().global_address("main").ok());
}

TEST_F(DebugTypesOfThisProgram, TypeSizeIsSizeof) {
  auto size = types().type_size("UkstackSample");
  ASSERT_TRUE(size.ok()) << size.error().message;
  EXPECT_EQ(*size, sizeof(UkstackSample));
  auto mutex = types().type_size("pthread_mutex_t");  // a typedef of a union
  ASSERT_TRUE(mutex.ok()) << mutex.error().message;
  EXPECT_EQ(*mutex, sizeof(pthread_mutex_t));
  auto inner = types().type_size("struct UkstackInner");
  ASSERT_TRUE(inner.ok()) << inner.error().message;
  EXPECT_EQ(*inner, sizeof(UkstackInner));
  EXPECT_FALSE(types().type_size("UkstackNoSuchType").ok());
}

TEST_F(DebugTypesOfThisProgram, VariableSizeIsSizeofTheVariable) {
  auto array = types().variable_size("ukstack_debug_types_array");
  ASSERT_TRUE(array.ok()) << array.error().message;
  EXPECT_EQ(*array, sizeof(ukstack_debug_types_array));
  auto sample = types().variable_size("ukstack_debug_types_sample");
  ASSERT_TRUE(sample.ok()) << sample.error().message;
  EXPECT_EQ(*sample, sizeof(UkstackSample));
  auto missing = types().variable_size("ukstack_no_such_global");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("ukstack_no_such_global"), std::string::npos);
}

TEST_F(DebugTypesOfThisProgram, MemberOffsetsAreOffsetof) {
  auto first = types().member("UkstackSample", "first");
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->offset, offsetof(UkstackSample, first));
  EXPECT_EQ(first->size, sizeof(int));
  EXPECT_EQ(first->type_name, "int");
  EXPECT_FALSE(first->aggregate);

  auto name = types().member("UkstackSample", "name");
  ASSERT_TRUE(name.ok()) << name.error().message;
  EXPECT_EQ(name->offset, offsetof(UkstackSample, name));
  EXPECT_EQ(name->size, sizeof(UkstackSample::name));
  EXPECT_EQ(name->type_name, "char[13]");
  EXPECT_TRUE(name->aggregate);
  auto inner = types().member("UkstackSample", "inner");
  ASSERT_TRUE(inner.ok()) << inner.error().message;
  EXPECT_TRUE(inner->aggregate);

  auto value = types().member("UkstackSample", "inner.value");
  ASSERT_TRUE(value.ok()) << value.error().message;
  EXPECT_EQ(value->offset, offsetof(UkstackSample, inner.value));
  EXPECT_EQ(value->size, sizeof(long));

  auto whole = types().member("UkstackSample", "whole");  // in an anonymous union
  ASSERT_TRUE(whole.ok()) << whole.error().message;
  EXPECT_EQ(whole->offset, offsetof(UkstackSample, whole));
  EXPECT_EQ(whole->size, sizeof(double));

  auto next = types().member("UkstackSample", "next");
  ASSERT_TRUE(next.ok()) << next.error().message;
  EXPECT_EQ(next->offset, offsetof(UkstackSample, next));
  EXPECT_EQ(next->size, sizeof(void*));
  EXPECT_EQ(next->type_name, "UkstackInner *");
  EXPECT_FALSE(next->aggregate);  // a pointer to a struct is a scalar
}

TEST_F(DebugTypesOfThisProgram, MutexOwnerThroughTheTypedefAndTheUnion) {
  auto owner = types().member("pthread_mutex_t", "__data.__owner");
  ASSERT_TRUE(owner.ok()) << owner.error().message;
  EXPECT_EQ(owner->offset, offsetof(pthread_mutex_t, __data.__owner));
  EXPECT_EQ(owner->size, sizeof(ukstack_debug_types_mutex.__data.__owner));
  EXPECT_EQ(owner->type_name, "int");
}

TEST_F(DebugTypesOfThisProgram, AMissingMemberIsNamed) {
  auto missing = types().member("UkstackSample", "inner.missing");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("UkstackSample.inner"), std::string::npos)
      << missing.error().message;
  EXPECT_NE(missing.error().message.find("missing"), std::string::npos);
  auto scalar = types().member("UkstackSample", "first.x");
  ASSERT_FALSE(scalar.ok());
  EXPECT_NE(scalar.error().message.find("not a struct"), std::string::npos)
      << scalar.error().message;
  EXPECT_FALSE(types().member("UkstackNoSuchType", "x").ok());
}

}  // namespace
}  // namespace ukstack::unwind
