// Implementation of checks.h: a small C++ lexer for the source check and
// prefix/denylist matching of demangled names for the symbol check.
#include "grader/checks.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "grader/runner.h"

namespace auroralab::grader {
namespace {

// C++ standard headers a lab may include. Left out on purpose: <thread>,
// <stop_token>, <future>, <mutex>, <shared_mutex>, <condition_variable>,
// <semaphore>, <latch>, <barrier> (threads), <fstream>, <filesystem>,
// <cstdio>'s file half is caught by the symbol check, <csignal>, <csetjmp>.
const std::set<std::string>& StandardHeaders() {
  static const auto* const headers =
      new std::set<std::string>{"algorithm",     "any",           "array",
                                "bit",           "bitset",        "cassert",
                                "cctype",        "cerrno",        "cfloat",
                                "charconv",      "chrono",        "cinttypes",
                                "climits",       "cmath",         "compare",
                                "complex",       "concepts",      "cstddef",
                                "cstdint",       "cstdio",        "cstdlib",
                                "cstring",       "deque",         "exception",
                                "forward_list",  "functional",    "initializer_list",
                                "iomanip",       "ios",           "iosfwd",
                                "iostream",      "istream",       "iterator",
                                "limits",        "list",          "map",
                                "memory",        "new",           "numbers",
                                "numeric",       "optional",      "ostream",
                                "queue",         "random",        "ranges",
                                "ratio",         "set",           "span",
                                "sstream",       "stack",         "stdexcept",
                                "string",        "string_view",   "tuple",
                                "type_traits",   "typeindex",     "typeinfo",
                                "unordered_map", "unordered_set", "utility",
                                "variant",       "vector",        "version",
                                "assert.h",      "stddef.h",      "stdint.h",
                                "string.h",      "math.h",        "limits.h",
                                "inttypes.h"};
  return *headers;
}

// Comments become spaces (newlines kept, so line numbers stay right). With
// `strip_literals`, string and character literals become "" and ' '.
std::string StripComments(const std::string& text, bool strip_literals) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  const size_t n = text.size();
  while (i < n) {
    const char c = text[i];
    if (c == '/' && i + 1 < n && text[i + 1] == '/') {
      while (i < n && text[i] != '\n') ++i;
    } else if (c == '/' && i + 1 < n && text[i + 1] == '*') {
      i += 2;
      while (i < n && !(text[i] == '*' && i + 1 < n && text[i + 1] == '/')) {
        if (text[i] == '\n') out += '\n';
        ++i;
      }
      i = std::min(n, i + 2);
      out += ' ';
    } else if (c == 'R' && i + 1 < n && text[i + 1] == '"' &&
               (i == 0 ||
                !(std::isalnum(static_cast<unsigned char>(text[i - 1])) || text[i - 1] == '_'))) {
      // Raw string R"delim( ... )delim".
      const size_t open = text.find('(', i + 2);
      if (open == std::string::npos) {
        out += text.substr(i);
        break;
      }
      const std::string close = ")" + text.substr(i + 2, open - i - 2) + "\"";
      size_t end = text.find(close, open + 1);
      end = end == std::string::npos ? n : end + close.size();
      if (strip_literals) {
        out += "\"\"";
        for (size_t k = i; k < end; ++k) {
          if (text[k] == '\n') out += '\n';
        }
      } else {
        out += text.substr(i, end - i);
      }
      i = end;
    } else if (c == '"' || c == '\'') {
      size_t end = i + 1;
      while (end < n && text[end] != c && text[end] != '\n') {
        if (text[end] == '\\') ++end;
        ++end;
      }
      end = std::min(n, end + 1);
      if (strip_literals) {
        out += c == '"' ? "\"\"" : "' '";
      } else {
        out += text.substr(i, end - i);
      }
      i = end;
    } else {
      out += c;
      ++i;
    }
  }
  return out;
}

bool IsIdentifierChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

std::string Where(const std::string& file, size_t line) { return absl::StrCat(file, ":", line); }

}  // namespace

SourcePolicy LabSourcePolicy(const std::string& lab_name,
                             const std::vector<std::string>& student_files,
                             const std::vector<std::string>& allowed_dependencies) {
  SourcePolicy policy;
  std::set<std::string> own;
  for (const std::string& file : student_files) {
    // "skeleton/quorum_kv/client.h" is included as "quorum_kv/client.h".
    std::vector<std::string> parts = absl::StrSplit(file, '/');
    if (parts.size() >= 3) own.insert(parts[1] + "/");
  }
  policy.include_prefixes.assign(own.begin(), own.end());
  for (const char* prefix : {"labs/framework/", "absl/", "google/protobuf/"}) {
    policy.include_prefixes.push_back(prefix);
  }
  policy.include_prefixes.push_back(absl::StrCat("labs/", lab_name, "/"));
  // The rubric validates these (repository folders, never solution/ or
  // grader/).
  for (const std::string& folder : allowed_dependencies) {
    policy.include_prefixes.push_back(absl::StrCat(folder, "/"));
  }
  policy.denied_includes = {
      "labs/framework/sim_test.h",
      absl::StrCat("labs/", lab_name, "/cluster.h"),
      absl::StrCat("labs/", lab_name, "/workload.h"),
  };
  return policy;
}

std::vector<std::string> CheckSource(const std::string& file, const std::string& raw,
                                     const SourcePolicy& policy) {
  std::vector<std::string> problems;
  // Translation phase 2: a backslash-newline joins lines. Line numbers are
  // kept by appending the swallowed newlines after the joined line.
  std::string text;
  text.reserve(raw.size());
  int pending_newlines = 0;
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '\\' && i + 1 < raw.size() && raw[i + 1] == '\n') {
      ++pending_newlines;
      ++i;
      continue;
    }
    if (raw[i] == '\\' && i + 2 < raw.size() && raw[i + 1] == '\r' && raw[i + 2] == '\n') {
      ++pending_newlines;
      i += 2;
      continue;
    }
    text += raw[i];
    if (raw[i] == '\n') {
      text.append(static_cast<size_t>(pending_newlines), '\n');
      pending_newlines = 0;
    }
  }
  if (text.find('\0') != std::string::npos) {
    problems.push_back(absl::StrCat(file, ": contains NUL bytes; submit C++ source text"));
    return problems;
  }
  const std::vector<std::string> lines = absl::StrSplit(StripComments(text, false), '\n');
  const std::vector<std::string> code = absl::StrSplit(StripComments(text, true), '\n');

  // Preprocessor directives.
  bool defined_before = false;  // a #define other than an include guard
  size_t define_line = 0;
  std::string guard;  // the name of the last #ifndef, if it was the last directive
  for (size_t i = 0; i < lines.size(); ++i) {
    absl::string_view line = absl::StripLeadingAsciiWhitespace(lines[i]);
    if (absl::ConsumePrefix(&line, "%:")) {
      // A digraph for '#'.
    } else if (!absl::ConsumePrefix(&line, "#")) {
      if (!absl::StripAsciiWhitespace(line).empty()) guard.clear();
      continue;
    }
    line = absl::StripLeadingAsciiWhitespace(line);
    size_t word_end = 0;
    while (word_end < line.size() && IsIdentifierChar(line[word_end])) ++word_end;
    const std::string directive(line.substr(0, word_end));
    const std::string argument(absl::StripAsciiWhitespace(line.substr(word_end)));
    const std::string where = Where(file, i + 1);
    if (directive == "include") {
      if (defined_before) {
        problems.push_back(absl::StrCat(
            where, ": #include after the #define on line ", define_line,
            ": a macro defined before an #include can change how that header compiles (and the "
            "harness's code with it); put every #define after the #includes"));
      }
      const bool quoted = argument.size() >= 2 && argument.front() == '"' &&
                          argument.find('"', 1) == argument.size() - 1;
      const bool angled = argument.size() >= 2 && argument.front() == '<' &&
                          argument.find('>') == argument.size() - 1;
      const std::string header =
          quoted || angled ? argument.substr(1, argument.size() - 2) : std::string();
      const bool traversal = absl::StrContains(header, "..") || absl::StartsWith(header, "/");
      bool allowed = false;
      if (quoted && !traversal) {
        for (const std::string& prefix : policy.include_prefixes) {
          if (absl::StartsWith(header, prefix) && (absl::EndsWith(header, ".h"))) allowed = true;
        }
        if (std::find(policy.denied_includes.begin(), policy.denied_includes.end(), header) !=
            policy.denied_includes.end()) {
          allowed = false;
        }
      } else if (angled) {
        allowed = StandardHeaders().count(header) > 0;
      }
      if (header.empty()) {
        problems.push_back(absl::StrCat(where, ": #include ", argument,
                                        ": only #include \"file.h\" or <header> with a literal "
                                        "name is allowed"));
      } else if (absl::StartsWith(header, "gtest/") || absl::StartsWith(header, "gmock/")) {
        problems.push_back(absl::StrCat(where, ": #include ", argument,
                                        ": GoogleTest belongs to the test harness; an "
                                        "implementation must not include it"));
      } else if (!allowed) {
        problems.push_back(absl::StrCat(
            where, ": #include ", argument,
            ": not an allowed header. A lab may include its own files, the lab interface "
            "(labs/<lab>/), the provided code its rubric entry allows (allowed_dependencies), "
            "the framework (labs/framework/), Abseil (absl/), protobuf "
            "(google/protobuf/) and C++ standard headers for containers, strings, algorithms, "
            "smart pointers and the like; nothing that reaches files, threads, processes or "
            "the test harness"));
      }
    } else if (directive == "embed" || directive == "include_next" || directive == "import") {
      problems.push_back(absl::StrCat(where, ": #", directive,
                                      " can pull any file into the build; it is not allowed"));
    } else if (directive == "define") {
      size_t name_end = 0;
      while (name_end < argument.size() && IsIdentifierChar(argument[name_end])) ++name_end;
      const std::string name = argument.substr(0, name_end);
      const bool is_guard = !guard.empty() && name == guard &&
                            absl::StripAsciiWhitespace(argument.substr(name_end)).empty();
      if (!is_guard && !defined_before) {
        defined_before = true;
        define_line = i + 1;
      }
      if (!is_guard && absl::EndsWith(file, ".h")) {
        problems.push_back(absl::StrCat(
            where, ": #define ", name,
            " in a header: a macro in a header reaches every file that includes it, the "
            "harness's too; use a constexpr constant or an inline function"));
      }
    }
    guard = directive == "ifndef" ? argument : "";
  }

  // Identifiers anywhere in the code (not in comments or literals).
  for (size_t i = 0; i < code.size(); ++i) {
    const std::string& line = code[i];
    for (size_t at = 0; at < line.size();) {
      if (!IsIdentifierChar(line[at]) || (at > 0 && IsIdentifierChar(line[at - 1]))) {
        ++at;
        continue;
      }
      size_t end = at;
      while (end < line.size() && IsIdentifierChar(line[end])) ++end;
      const std::string word = line.substr(at, end - at);
      at = end;
      const std::string where = Where(file, i + 1);
      if (word == "asm" || word == "__asm" || word == "__asm__") {
        problems.push_back(absl::StrCat(where, ": `", word,
                                        "`: inline assembly is not allowed (it can include any "
                                        "file with .incbin and bypasses every other check)"));
      } else if (word == "__attribute__" || word == "__attribute" || word == "__declspec") {
        problems.push_back(absl::StrCat(
            where, ": `", word,
            "`: compiler attributes are not allowed (weak symbols, aliases and constructors "
            "can replace the harness's code)"));
      } else if (word == "gnu" && line.find("::", end) == end) {
        problems.push_back(
            absl::StrCat(where,
                         ": `[[gnu::...]]`: GCC attributes are not allowed (weak symbols, aliases "
                         "and constructors can replace the harness's code)"));
      } else if (word == "_Pragma") {
        problems.push_back(absl::StrCat(where, ": `_Pragma`: pragmas are not allowed in lab code"));
      }
    }
  }
  // `.incbin` only works inside asm, which is refused above; say so plainly
  // if it shows up anyway (e.g. in a string meant for an asm statement).
  const std::vector<std::string> text_lines = absl::StrSplit(text, '\n');
  for (size_t i = 0; i < text_lines.size(); ++i) {
    if (absl::StrContains(text_lines[i], ".incbin")) {
      problems.push_back(absl::StrCat(Where(file, i + 1),
                                      ": `.incbin`: embedding files into the binary is not "
                                      "allowed"));
    }
  }
  return problems;
}

namespace {

// "vtable for X" -> "X", etc.: the entity a compiler-made symbol is about.
std::string StripSpecialPrefixes(std::string name) {
  static const char* const kPrefixes[] = {
      "vtable for ",
      "typeinfo for ",
      "typeinfo name for ",
      "VTT for ",
      "construction vtable for ",
      "guard variable for ",
      "non-virtual thunk to ",
      "virtual thunk to ",
      "covariant return thunk to ",
      "reference temporary #0 for ",
      "TLS init function for ",
      "TLS wrapper function for ",
  };
  bool changed = true;
  while (changed) {
    changed = false;
    for (const char* prefix : kPrefixes) {
      if (absl::StartsWith(name, prefix)) {
        name = name.substr(std::string(prefix).size());
        changed = true;
      }
    }
  }
  return name;
}

// The qualified name of a demangled symbol without a template function's
// return type: "bool absl::Foo<int>(int)" -> "absl::Foo<int>(int)".
std::string EntityName(const std::string& name) {
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (absl::StartsWith(absl::string_view(name).substr(i), "operator")) break;
    if (c == '<' || c == '(' || c == '[') {
      // A '(' at the top ends the name, except decltype's in a return type.
      const bool after_decltype =
          absl::EndsWith(absl::StripTrailingAsciiWhitespace(name.substr(0, i)), "decltype");
      if (c == '(' && depth == 0 && !after_decltype) break;
      ++depth;
    } else if (c == '>' || c == ')' || c == ']') {
      --depth;
    } else if (c == ' ' && depth == 0) {
      start = i + 1;
    }
  }
  return name.substr(start);
}

// The function or variable name of an unqualified C symbol: "memcpy",
// "rand@GLIBC_2.2.5" -> "rand".
std::string CName(const std::string& name) { return name.substr(0, name.find('@')); }

struct Denial {
  const char* pattern;  // exact C name, or a substring of the demangled name
  bool exact;
  const char* why;
};

constexpr char kEndsProcess[] =
    "ends the process with a status of its choosing; tests end by returning (a crash or abort "
    "is simply a failed test)";
constexpr char kSignals[] = "sends or handles signals, which can stop or fool the test harness";
constexpr char kProcesses[] = "starts or detaches processes; a lab runs inside one simulation";
constexpr char kLoading[] = "loads code at run time";
constexpr char kSyscall[] = "makes raw system calls";
constexpr char kFiles[] =
    "uses files or descriptors; labs store data through the simulated Disk (ctx().disk())";
constexpr char kSockets[] = "uses real sockets; labs talk through the simulated network (RPC)";
constexpr char kThreads[] =
    "uses threads, which break determinism; the simulator runs everything on one thread "
    "(use timers and callbacks)";
constexpr char kClock[] =
    "reads the wall clock, which breaks determinism; use the simulated clock (ctx().now())";
constexpr char kRandom[] =
    "uses nondeterministic randomness; use ctx().rng(), not rand() or std::random_device, so "
    "every seed replays";
constexpr char kEnvironment[] = "reads or changes the process environment";
constexpr char kJumps[] = "jumps across functions (setjmp/longjmp), skipping the harness's checks";
constexpr char kTesting[] = "reaches into GoogleTest, which belongs to the test harness";
constexpr char kStdio[] = "uses the C stdio streams directly; print with std::cout or printf";

const std::vector<Denial>& Denials() {
  static const auto* const denials = new std::vector<Denial>{
      {"exit", true, kEndsProcess},
      {"_exit", true, kEndsProcess},
      {"_Exit", true, kEndsProcess},
      {"quick_exit", true, kEndsProcess},
      {"at_quick_exit", true, kEndsProcess},
      {"atexit", true, kEndsProcess},
      {"on_exit", true, kEndsProcess},
      {"std::exit", false, kEndsProcess},
      {"std::quick_exit", false, kEndsProcess},
      {"std::_Exit", false, kEndsProcess},
      {"std::set_terminate", false, kEndsProcess},
      {"kill", true, kSignals},
      {"killpg", true, kSignals},
      {"raise", true, kSignals},
      {"signal", true, kSignals},
      {"sigaction", true, kSignals},
      {"sigprocmask", true, kSignals},
      {"pthread_kill", true, kSignals},
      {"pthread_sigmask", true, kSignals},
      {"tgkill", true, kSignals},
      {"sigqueue", true, kSignals},
      {"alarm", true, kSignals},
      {"setitimer", true, kSignals},
      {"pause", true, kSignals},
      {"fork", true, kProcesses},
      {"vfork", true, kProcesses},
      {"clone", true, kProcesses},
      {"clone3", true, kProcesses},
      {"execv", true, kProcesses},
      {"execve", true, kProcesses},
      {"execvp", true, kProcesses},
      {"execvpe", true, kProcesses},
      {"execl", true, kProcesses},
      {"execlp", true, kProcesses},
      {"execle", true, kProcesses},
      {"fexecve", true, kProcesses},
      {"posix_spawn", true, kProcesses},
      {"posix_spawnp", true, kProcesses},
      {"system", true, kProcesses},
      {"popen", true, kProcesses},
      {"setsid", true, kProcesses},
      {"setpgid", true, kProcesses},
      {"daemon", true, kProcesses},
      {"ptrace", true, kProcesses},
      {"prctl", true, kProcesses},
      {"dlopen", true, kLoading},
      {"dlsym", true, kLoading},
      {"dlvsym", true, kLoading},
      {"dlmopen", true, kLoading},
      {"syscall", true, kSyscall},
      {"open", true, kFiles},
      {"open64", true, kFiles},
      {"openat", true, kFiles},
      {"creat", true, kFiles},
      {"fopen", true, kFiles},
      {"fopen64", true, kFiles},
      {"freopen", true, kFiles},
      {"fdopen", true, kFiles},
      {"fileno", true, kFiles},
      {"read", true, kFiles},
      {"write", true, kFiles},
      {"pread", true, kFiles},
      {"pwrite", true, kFiles},
      {"pread64", true, kFiles},
      {"pwrite64", true, kFiles},
      {"readv", true, kFiles},
      {"writev", true, kFiles},
      {"close", true, kFiles},
      {"unlink", true, kFiles},
      {"unlinkat", true, kFiles},
      {"rename", true, kFiles},
      {"renameat", true, kFiles},
      {"mkdir", true, kFiles},
      {"rmdir", true, kFiles},
      {"dup", true, kFiles},
      {"dup2", true, kFiles},
      {"dup3", true, kFiles},
      {"chdir", true, kFiles},
      {"chmod", true, kFiles},
      {"fchmod", true, kFiles},
      {"chown", true, kFiles},
      {"stat", true, kFiles},
      {"lstat", true, kFiles},
      {"fstat", true, kFiles},
      {"access", true, kFiles},
      {"readlink", true, kFiles},
      {"symlink", true, kFiles},
      {"link", true, kFiles},
      {"truncate", true, kFiles},
      {"ftruncate", true, kFiles},
      {"mmap", true, kFiles},
      {"mprotect", true, kFiles},
      {"ioctl", true, kFiles},
      {"fcntl", true, kFiles},
      {"pipe", true, kFiles},
      {"pipe2", true, kFiles},
      {"opendir", true, kFiles},
      {"readdir", true, kFiles},
      {"fwrite", true, kFiles},
      {"fread", true, kFiles},
      {"fputs", true, kFiles},
      {"fputc", true, kFiles},
      {"fprintf", true, kFiles},
      {"fflush", true, kFiles},
      {"fclose", true, kFiles},
      {"remove", true, kFiles},
      {"tmpfile", true, kFiles},
      {"mkstemp", true, kFiles},
      {"socket", true, kSockets},
      {"connect", true, kSockets},
      {"bind", true, kSockets},
      {"listen", true, kSockets},
      {"accept", true, kSockets},
      {"accept4", true, kSockets},
      {"send", true, kSockets},
      {"sendto", true, kSockets},
      {"sendmsg", true, kSockets},
      {"recv", true, kSockets},
      {"recvfrom", true, kSockets},
      {"recvmsg", true, kSockets},
      {"getaddrinfo", true, kSockets},
      {"gethostbyname", true, kSockets},
      {"socketpair", true, kSockets},
      {"pthread_create", true, kThreads},
      {"pthread_detach", true, kThreads},
      {"pthread_join", true, kThreads},
      {"thrd_create", true, kThreads},
      {"time", true, kClock},
      {"clock", true, kClock},
      {"clock_gettime", true, kClock},
      {"gettimeofday", true, kClock},
      {"sleep", true, kClock},
      {"usleep", true, kClock},
      {"nanosleep", true, kClock},
      {"localtime", true, kClock},
      {"localtime_r", true, kClock},
      {"gmtime", true, kClock},
      {"gmtime_r", true, kClock},
      {"times", true, kClock},
      {"getrusage", true, kClock},
      {"rand", true, kRandom},
      {"srand", true, kRandom},
      {"random", true, kRandom},
      {"srandom", true, kRandom},
      {"rand_r", true, kRandom},
      {"drand48", true, kRandom},
      {"lrand48", true, kRandom},
      {"mrand48", true, kRandom},
      {"getrandom", true, kRandom},
      {"arc4random", true, kRandom},
      {"getentropy", true, kRandom},
      {"getpid", true, kRandom},
      {"getenv", true, kEnvironment},
      {"secure_getenv", true, kEnvironment},
      {"setenv", true, kEnvironment},
      {"unsetenv", true, kEnvironment},
      {"putenv", true, kEnvironment},
      {"clearenv", true, kEnvironment},
      {"environ", true, kEnvironment},
      {"__environ", true, kEnvironment},
      {"setjmp", true, kJumps},
      {"_setjmp", true, kJumps},
      {"longjmp", true, kJumps},
      {"_longjmp", true, kJumps},
      {"siglongjmp", true, kJumps},
      {"__sigsetjmp", true, kJumps},
      {"__longjmp_chk", true, kJumps},
      {"std::thread", false, kThreads},
      {"std::jthread", false, kThreads},
      {"std::this_thread", false, kThreads},
      {"std::async", false, kThreads},
      {"std::__future_base", false, kThreads},
      {"_clock::now", false, kClock},
      {"absl::Now", false, kClock},
      {"absl::GetCurrentTimeNanos", false, kClock},
      {"absl::SleepFor", false, kClock},
      {"random_device", false, kRandom},
      {"absl::BitGen", false, kRandom},
      {"absl::random_internal", false, kRandom},
      {"std::filesystem", false, kFiles},
      {"fstream", false, kFiles},
      {"basic_filebuf", false, kFiles},
      {"google::protobuf::io::File", false, kFiles},
      {"google::protobuf::io::Ostream", false, kFiles},
      {"google::protobuf::io::Istream", false, kFiles},
      {"testing::", false, kTesting},
  };
  return *denials;
}

// Unqualified runtime functions a lab may call (from C, the C++ runtime and
// GCC's support code), with their reason if they are on a deny list.
const std::set<std::string>& AllowedCFunctions() {
  static const auto* const allowed = new std::set<std::string>{
      // Memory and strings.
      "memcpy",
      "memmove",
      "memset",
      "memcmp",
      "memchr",
      "strlen",
      "strnlen",
      "strcmp",
      "strncmp",
      "strchr",
      "strrchr",
      "strstr",
      "strspn",
      "strcspn",
      "strtol",
      "strtoll",
      "strtoul",
      "strtoull",
      "strtod",
      "strtof",
      "atoi",
      "atol",
      "atoll",
      "atof",
      "abs",
      "labs",
      "llabs",
      "qsort",
      "bsearch",
      "malloc",
      "calloc",
      "realloc",
      "free",
      "aligned_alloc",
      "posix_memalign",
      "__memcpy_chk",
      "__memmove_chk",
      "__memset_chk",
      "__strlen_chk",
      "__snprintf_chk",
      "__vsnprintf_chk",
      "__sprintf_chk",
      "__printf_chk",
      "__fprintf_chk",
      // Formatting and printing to the test's own output.
      "snprintf",
      "vsnprintf",
      "sprintf",
      "printf",
      "puts",
      "putchar",
      // Math.
      "sqrt",
      "sqrtf",
      "pow",
      "powf",
      "exp",
      "expf",
      "log",
      "logf",
      "log2",
      "log10",
      "floor",
      "floorf",
      "ceil",
      "ceilf",
      "round",
      "roundf",
      "lround",
      "llround",
      "fabs",
      "fabsf",
      "fmod",
      "fmin",
      "fmax",
      "trunc",
      "sin",
      "cos",
      "tan",
      "atan2",
      "hypot",
      "nan",
      "frexp",
      "ldexp",
      // Runtime support emitted by the compiler.
      "abort",
      "__assert_fail",
      "__stack_chk_fail",
      "__stack_chk_guard",
      "__dso_handle",
      "_GLOBAL_OFFSET_TABLE_",
      "_Unwind_Resume",
      "__gxx_personality_v0",
      "__tls_get_addr",
      "__libc_single_threaded",
      "__errno_location",
      "__cxa_atexit",
      "__cxa_begin_catch",
      "__cxa_end_catch",
      "__cxa_rethrow",
      "__cxa_throw",
      "__cxa_allocate_exception",
      "__cxa_free_exception",
      "__cxa_pure_virtual",
      "__cxa_deleted_virtual",
      "__cxa_guard_acquire",
      "__cxa_guard_release",
      "__cxa_guard_abort",
      "__cxa_thread_atexit",
      "__cxa_thread_atexit_impl",
      "__cxa_call_unexpected",
      "__cxa_get_exception_ptr",
      "__cxa_bad_cast",
      "__cxa_bad_typeid",
      "__dynamic_cast",
      "__udivti3",
      "__umodti3",
      "__divti3",
      "__modti3",
      "__popcountdi2",
      "__clzdi2",
      "__ctzdi2",
      "DW.ref.__gxx_personality_v0",
      "__pthread_key_create",
      "pthread_once",
  };
  return *allowed;
}

// What a lab may refer to by qualified name.
bool AllowedQualified(const std::string& entity) {
  static const char* const kPrefixes[] = {
      "std::",       "__gnu_cxx::",  "absl::",       "google::protobuf::",
      "auroralab::", "__cxxabiv1::", "operator new", "operator delete",
  };
  for (const char* prefix : kPrefixes) {
    if (absl::StartsWith(entity, prefix)) return true;
  }
  return false;
}

const Denial* FindDenial(const std::string& name) {
  const std::string c_name = CName(name);
  for (const Denial& denial : Denials()) {
    if (denial.exact ? c_name == denial.pattern : absl::StrContains(name, denial.pattern)) {
      return &denial;
    }
  }
  return nullptr;
}

}  // namespace

std::vector<std::string> CheckSymbols(const std::string& file, const std::string& nm_output,
                                      const std::string& lab_name) {
  std::vector<std::string> problems;
  std::set<std::string> reported;
  const std::string lab_namespace = absl::StrCat("auroralab::", lab_name, "::");
  auto report = [&](const std::string& name, const std::string& message) {
    if (reported.insert(name).second) problems.push_back(message);
  };
  for (absl::string_view raw : absl::StrSplit(nm_output, '\n')) {
    // "0000000000000000 T name" or "                 U name".
    absl::string_view line = absl::StripTrailingAsciiWhitespace(raw);
    if (line.empty()) continue;
    absl::string_view rest = absl::StripLeadingAsciiWhitespace(line);
    if (line.front() != ' ') {
      const size_t space = rest.find(' ');
      if (space == absl::string_view::npos) continue;
      rest = rest.substr(space + 1);
    }
    if (rest.size() < 3 || rest[1] != ' ') continue;
    const char type = rest[0];
    const std::string name(rest.substr(2));
    const std::string entity = EntityName(StripSpecialPrefixes(name));

    if (type == 'U') {
      const std::string c_name = CName(name);
      if (const Denial* denial = FindDenial(name); denial != nullptr) {
        report(name, absl::StrCat(file, ": uses `", c_name, "`: ", denial->why));
      } else if (c_name == "stdout" || c_name == "stderr" || c_name == "stdin" ||
                 absl::StartsWith(c_name, "_IO_")) {
        report(name, absl::StrCat(file, ": uses `", c_name, "`: ", kStdio));
      } else if (!AllowedQualified(entity) && AllowedCFunctions().count(c_name) == 0) {
        report(name, absl::StrCat(file, ": uses `", name,
                                  "`: not on the list of what lab code may use (the C++ "
                                  "standard library's containers, strings and algorithms, "
                                  "Abseil, protobuf, the framework API)"));
      }
      continue;
    }
    // Local symbols (lowercase types, anonymous namespaces) are private to
    // the object and cannot replace anything.
    if (std::islower(static_cast<unsigned char>(type)) && type != 'u' && type != 'v' &&
        type != 'w') {
      continue;
    }
    const bool weak = type == 'W' || type == 'V' || type == 'w' || type == 'v' || type == 'u';
    if (absl::StrContains(name, "testing::") || CName(name) == "main") {
      report(name, absl::StrCat(file, ": defines `", name,
                                "`: the test harness's functions and main() are not the "
                                "implementation's to define"));
    } else if (weak) {
      // Template and inline instantiations: every user of a header emits
      // them, identical as long as the header compiled the same way (which
      // the source check's #define rule ensures).
      if (!AllowedQualified(entity) && AllowedCFunctions().count(CName(name)) == 0) {
        report(name, absl::StrCat(file, ": defines `", name,
                                  "`: an implementation may only define its lab's own "
                                  "symbols (namespace ",
                                  lab_namespace, ")"));
      }
    } else if (!absl::StartsWith(entity, lab_namespace)) {
      report(name,
             absl::StrCat(file, ": defines `", name,
                          "`: an implementation may only define its lab's own symbols "
                          "(namespace ",
                          lab_namespace, "; helpers go in that namespace or an anonymous one)"));
    }
  }
  return problems;
}

absl::StatusOr<std::string> ListSymbols(const std::string& object, const std::string& scratch_dir) {
  ProcessSpec spec;
  spec.argv = {"nm", "-C", object};
  spec.stdout_path = absl::StrCat(scratch_dir, "/nm.out");
  spec.stderr_path = absl::StrCat(scratch_dir, "/nm.err");
  spec.timeout_seconds = 120;
  absl::StatusOr<ProcessResult> result = RunProcess(spec);
  std::string output = ReadFileTail(spec.stdout_path, 64 << 20);
  const std::string errors = ReadFileTail(spec.stderr_path, 4096);
  ::unlink(spec.stdout_path.c_str());
  ::unlink(spec.stderr_path.c_str());
  if (!result.ok()) return result.status();
  if (!result->exited || result->exit_code != 0) {
    return absl::UnavailableError(absl::StrCat("nm -C ", object, " failed: ", errors));
  }
  return output;
}

}  // namespace auroralab::grader
