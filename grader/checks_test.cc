// Tests of checks.h: each attack the grader's threat model names is refused
// with a message that says what, where and why, and ordinary lab code (the
// reference's includes and symbols) passes.
#include "grader/checks.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace auroralab::grader {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

const SourcePolicy& Policy() {
  static const SourcePolicy policy =
      LabSourcePolicy("quorum_kv", {"skeleton/quorum_kv/client.h", "skeleton/quorum_kv/client.cc"});
  return policy;
}

std::vector<std::string> Source(const std::string& text) {
  return CheckSource("client.cc", text, Policy());
}

TEST(CheckSource, OrdinaryLabCodePasses) {
  EXPECT_THAT(Source(R"src(// A client.
#ifndef QUORUM_KV_CLIENT_H_
#define QUORUM_KV_CLIENT_H_
#include <map>
#include <memory>
#include "absl/strings/str_cat.h"
#include "labs/framework/node.h"
#include "labs/quorum_kv/quorum_kv.h"
#include "quorum_kv/client.h"
#define MAX_ROUNDS 3
// asm in a comment, "asm" in a string and #include <thread> in a comment.
const char* kText = "asm(\"nop\")";  /* __attribute__ */
const char* kRaw = R"x(asm volatile)x";
#endif
)src"),
              IsEmpty());
}

// Lab 2 onwards builds on the provided database tier: a lab whose rubric entry
// allows labs/aurora may include its headers; other labs may not.
TEST(CheckSource, AllowedDependenciesOfTheRubricMayBeIncluded) {
  const std::string text = "#include \"labs/aurora/engine.h\"\n#include \"labs/aurora/page.h\"\n";
  const SourcePolicy segments =
      LabSourcePolicy("segments", {"skeleton/segments/segment.cc"}, {"labs/aurora"});
  EXPECT_THAT(CheckSource("segment.cc", text, segments), IsEmpty());
  EXPECT_THAT(Source(text), ElementsAre(HasSubstr("client.cc:1: #include \"labs/aurora/engine.h\": "
                                                  "not an allowed header"),
                                        HasSubstr("client.cc:2:")));
  // The allowance is a folder: neither a look-alike folder nor a way out.
  EXPECT_THAT(CheckSource("segment.cc", "#include \"labs/aurora_private/x.h\"\n", segments),
              ElementsAre(HasSubstr("not an allowed header")));
  EXPECT_THAT(CheckSource("segment.cc", "#include \"labs/aurora/../../solution/x.h\"\n", segments),
              ElementsAre(HasSubstr("not an allowed header")));
  // The harness's headers stay refused.
  EXPECT_THAT(CheckSource("segment.cc", "#include \"labs/framework/sim_test.h\"\n", segments),
              ElementsAre(HasSubstr("not an allowed header")));
}

TEST(CheckSource, InlineAssemblyAndIncbinAreRefused) {
  const std::vector<std::string> problems =
      Source("int x;\nasm(\".incbin \\\"/etc/passwd\\\"\");\n");
  ASSERT_THAT(problems, SizeIs(2));
  EXPECT_THAT(problems[0], HasSubstr("client.cc:2: `asm`: inline assembly"));
  EXPECT_THAT(problems[1], HasSubstr("client.cc:2: `.incbin`"));
  EXPECT_THAT(Source("void f() { __asm__ __volatile__(\"nop\"); }"), SizeIs(1));
}

TEST(CheckSource, IncludesOutsideTheLabAreRefused) {
  EXPECT_THAT(Source("#include \"gtest/gtest-spi.h\"\n"),
              ElementsAre(HasSubstr("GoogleTest belongs to the test harness")));
  EXPECT_THAT(Source("#include <thread>\n"), ElementsAre(HasSubstr("not an allowed header")));
  EXPECT_THAT(Source("#include <unistd.h>\n"), ElementsAre(HasSubstr("not an allowed header")));
  EXPECT_THAT(Source("#include \"../../solution/quorum_kv/client.cc\"\n"),
              ElementsAre(HasSubstr("not an allowed header")));
  EXPECT_THAT(Source("#include \"/work/solution/quorum_kv/client.h\"\n"), SizeIs(1));
  EXPECT_THAT(Source("#include \"labs/quorum_kv/cluster.h\"\n"), SizeIs(1));
  EXPECT_THAT(Source("#include \"labs/framework/sim_test.h\"\n"), SizeIs(1));
  EXPECT_THAT(Source("#define H <thread>\n#include H\n"), SizeIs(2));
}

TEST(CheckSource, DirectivesHiddenByLineSplicesAndDigraphsAreSeen) {
  EXPECT_THAT(Source("#inc\\\nlude <thread>\n"), ElementsAre(HasSubstr("client.cc:1:")));
  EXPECT_THAT(Source("%:include <thread>\n"), SizeIs(1));
  EXPECT_THAT(Source("int a;\nas\\\nm(\"nop\");\n"), ElementsAre(HasSubstr("client.cc:2:")));
  EXPECT_THAT(Source("#embed \"/etc/passwd\"\n"), ElementsAre(HasSubstr("#embed")));
}

TEST(CheckSource, AHeaderMayDefineOnlyItsIncludeGuard) {
  const std::string header =
      "#ifndef QUORUM_KV_CLIENT_H_\n#define QUORUM_KV_CLIENT_H_\n#include <map>\n"
      "#define EXPECT_EQ(a, b) (void)0\n#endif\n";
  EXPECT_THAT(CheckSource("client.h", header, Policy()),
              ElementsAre(HasSubstr("client.h:4: #define EXPECT_EQ in a header")));
  EXPECT_THAT(CheckSource("client.cc", header, Policy()), IsEmpty());
}

TEST(CheckSource, MacrosBeforeIncludesAndAttributesAreRefused) {
  EXPECT_THAT(Source("#define private public\n#include <map>\n"),
              ElementsAre(HasSubstr("client.cc:2: #include after the #define on line 1")));
  EXPECT_THAT(Source("__attribute__((weak)) void f() {}\n"),
              ElementsAre(HasSubstr("compiler attributes")));
  EXPECT_THAT(Source("[[gnu::constructor]] void f() {}\n"), SizeIs(1));
  EXPECT_THAT(Source("[[nodiscard]] int f();\n"), IsEmpty());
}

// `nm -C` lines as the reference's objects produce them, plus one attack.
std::vector<std::string> Symbols(const std::string& lines) {
  return CheckSymbols("client.cc", lines, "quorum_kv");
}

TEST(CheckSymbols, TheReferencesKindOfSymbolsPass) {
  EXPECT_THAT(
      Symbols(
          R"(0000000000000000 T auroralab::quorum_kv::NewKvClient(auroralab::NodeContext&, auroralab::quorum_kv::ClientOptions const&)
0000000000000000 t (anonymous namespace)::Helper()
0000000000000000 V vtable for auroralab::quorum_kv::KvClientImpl
0000000000000000 V typeinfo for auroralab::Node
0000000000000000 W std::vector<int, std::allocator<int> >::~vector()
0000000000000000 W __gnu_cxx::__normal_iterator<int const*, std::vector<int, std::allocator<int> > > std::__miter_base<int>(int)
0000000000000000 W absl::debian3::AlphaNum::AlphaNum(int)
0000000000000000 V DW.ref.__gxx_personality_v0
0000000000000000 W __cxa_pure_virtual
0000000000000000 W decltype (::new ((void*)(0)) char((declval<char&>)())) std::construct_at<char, char&>(char*, char&)
0000000000000000 W decltype ((__char_traits_cmp_cat<std::char_traits<char> >)(0)) std::operator<=><char, std::char_traits<char>, std::allocator<char> >(std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> > const&, std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> > const&)
                 U auroralab::NodeContext::Now() const
                 U memcpy
                 U __cxa_atexit
                 U operator new(unsigned long)
                 U vtable for __cxxabiv1::__class_type_info
                 U absl::debian3::StrCat[abi:cxx11](absl::debian3::AlphaNum const&, absl::debian3::AlphaNum const&)
                 U std::basic_ostream<char, std::char_traits<char> >& std::operator<< <std::char_traits<char> >(std::basic_ostream<char, std::char_traits<char> >&, char const*)
                 U auroralab::RpcEndpoint::Call(int)
)"),
      IsEmpty());
}

TEST(CheckSymbols, ForbiddenCallsAreRefusedWithTheirReason) {
  EXPECT_THAT(Symbols("                 U exit\n"),
              ElementsAre(HasSubstr("client.cc: uses `exit`: ends the process")));
  EXPECT_THAT(Symbols("                 U _exit@GLIBC_2.2.5\n"), ElementsAre(HasSubstr("`_exit`")));
  EXPECT_THAT(Symbols("                 U rand\n"), ElementsAre(HasSubstr("use ctx().rng()")));
  EXPECT_THAT(Symbols("                 U std::random_device::_M_init(std::__cxx11::basic_string<"
                      "char, std::char_traits<char>, std::allocator<char> > const&)\n"),
              ElementsAre(HasSubstr("ctx().rng()")));
  EXPECT_THAT(Symbols("                 U kill\n"), ElementsAre(HasSubstr("signals")));
  EXPECT_THAT(Symbols("                 U setsid\n"), ElementsAre(HasSubstr("processes")));
  EXPECT_THAT(Symbols("                 U dlsym\n"), ElementsAre(HasSubstr("loads code")));
  EXPECT_THAT(Symbols("                 U syscall\n"), ElementsAre(HasSubstr("system calls")));
  EXPECT_THAT(Symbols("                 U fopen\n"), ElementsAre(HasSubstr("Disk")));
  EXPECT_THAT(Symbols("                 U std::basic_ifstream<char, std::char_traits<char> >::"
                      "basic_ifstream(char const*, std::_Ios_Openmode)\n"),
              ElementsAre(HasSubstr("Disk")));
  EXPECT_THAT(Symbols("                 U socket\n"), ElementsAre(HasSubstr("network")));
  EXPECT_THAT(Symbols("                 U pthread_create\n"), ElementsAre(HasSubstr("threads")));
  EXPECT_THAT(Symbols("                 U std::chrono::_V2::system_clock::now()\n"),
              ElementsAre(HasSubstr("ctx().now()")));
  EXPECT_THAT(Symbols("                 U stdout\n"), ElementsAre(HasSubstr("stdio")));
  EXPECT_THAT(Symbols("                 U getenv\n"), ElementsAre(HasSubstr("environment")));
  EXPECT_THAT(Symbols("                 U longjmp\n"), ElementsAre(HasSubstr("setjmp")));
  EXPECT_THAT(Symbols("                 U testing::internal::GetUnitTestImpl()\n"),
              ElementsAre(HasSubstr("GoogleTest")));
  EXPECT_THAT(Symbols("                 U mystery_function\n"),
              ElementsAre(HasSubstr("not on the list")));
}

TEST(CheckSymbols, DefiningHarnessOrFrameworkSymbolsIsRefused) {
  EXPECT_THAT(Symbols("0000000000000000 T main\n"), ElementsAre(HasSubstr("main()")));
  EXPECT_THAT(Symbols("0000000000000000 T auroralab::RunSeeds(std::function<void "
                      "(auroralab::World&)> const&, int)\n"),
              ElementsAre(HasSubstr("only define its lab's own symbols")));
  EXPECT_THAT(Symbols("0000000000000000 W testing::Test::Run()\n"), SizeIs(1));
  EXPECT_THAT(Symbols("0000000000000000 T rand\n"), SizeIs(1));
  EXPECT_THAT(Symbols("0000000000000000 W my_weak_global\n"), SizeIs(1));
  EXPECT_THAT(Symbols("0000000000000000 B auroralab::quorum_kv::g_counter\n"), IsEmpty());
}

}  // namespace
}  // namespace auroralab::grader
