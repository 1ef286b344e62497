#include "tests/model/schema_check.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

extern char** environ;

namespace ukstack::testing {
namespace {

// argv[1] schema, argv[2] document. Exit 0 when valid; 1 with one line per error.
constexpr const char* kValidator = R"(
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
document = json.load(open(sys.argv[2]))
cls = jsonschema.validators.validator_for(schema)
cls.check_schema(schema)
errors = sorted(cls(schema).iter_errors(document), key=lambda e: list(map(str, e.absolute_path)))
for e in errors:
    print('/' + '/'.join(map(str, e.absolute_path)) + ': ' + e.message)
sys.exit(1 if errors else 0)
)";

// A file in the temporary directory, removed when this goes out of scope.
class TempFile {
 public:
  explicit TempFile(const char* stem) {
    std::string pattern = (std::filesystem::temp_directory_path() / stem).string() + "-XXXXXX";
    const int fd = ::mkstemp(pattern.data());
    if (fd >= 0) {
      ::close(fd);
      path_ = pattern;
    }
  }
  ~TempFile() {
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  bool ok() const { return !path_.empty(); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace

std::string validate_against_schema(const std::string& json_text, SchemaVersion version) {
  TempFile document("ukstack-schema-doc");
  TempFile output("ukstack-schema-out");
  if (!document.ok() || !output.ok()) {
    return std::string("cannot create a temporary file: ") + std::strerror(errno);
  }
  std::ofstream(document.path()) << json_text;

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, output.path().c_str(),
                                   O_WRONLY | O_TRUNC, 0);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  std::string python = "/usr/bin/python3";
  std::string dash_c = "-c";
  std::string script = kValidator;
  std::string schema = version == SchemaVersion::V1 ? UKSTACK_SCHEMA_V1 : UKSTACK_SCHEMA;
  std::string doc_path = document.path();
  char* argv[] = {python.data(), dash_c.data(),   script.data(),
                  schema.data(), doc_path.data(), nullptr};
  pid_t pid = 0;
  const int spawn_error = ::posix_spawn(&pid, argv[0], &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawn_error != 0) {
    return std::string("cannot run /usr/bin/python3: ") + std::strerror(spawn_error);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }

  std::ostringstream text;
  text << std::ifstream(output.path()).rdbuf();
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return "";
  std::string result = text.str();
  if (result.empty()) result = "validator failed with status " + std::to_string(status);
  return result;
}

}  // namespace ukstack::testing
