// SPDX-License-Identifier: GPL-2.0-or-later
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fcntl.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "op25bc/io/atomic_file.h"
#include "op25bc/io/file_bytes.h"
#include "op25bc/policy/load.h"
#include "support/policies.h"

using namespace op25bc;

TEST_CASE("file bytes: a file, a large file, a pipe and an empty file read as their bytes") {
  char folder[] = "/tmp/op25bc-read-XXXXXX";
  REQUIRE(::mkdtemp(folder) != nullptr);
  const std::string dir = folder;
  const std::string content = R"({"version": 1, "pools": ["198.18.0.0/20"]})";
  std::ofstream(dir + "/policy.json") << content;
  std::ofstream(dir + "/empty.json");
  std::string large;  // past the huge-page size of the buffer, and larger than a pipe's first read
  for (int i = 0; large.size() < (std::size_t{3} << 20); ++i) large += std::to_string(i) + ",";
  std::ofstream(dir + "/large.json") << large;
  REQUIRE(::mkfifo((dir + "/fifo").c_str(), 0600) == 0);
  std::thread writer([&] { std::ofstream(dir + "/fifo") << large; });

  Diagnostics diags;
  auto regular = policy::read_file(dir + "/policy.json", diags);
  auto big = policy::read_file(dir + "/large.json", diags);
  auto piped = policy::read_file(dir + "/fifo", diags);
  writer.join();
  auto empty = policy::read_file(dir + "/empty.json", diags);
  auto folder_read = policy::read_file(dir, diags);
  REQUIRE(regular);
  REQUIRE(big);
  REQUIRE(piped);
  REQUIRE(empty);
  CHECK(regular->view() == content);
  CHECK(big->view() == large);
  CHECK(piped->view() == large);
  CHECK(empty->view().empty());
  io::FileBytes moved = std::move(*regular);
  CHECK(moved.view() == content);
  CHECK_FALSE(folder_read);
  CHECK(test::describe(diags) == ": error: cannot read policy: Is a directory\n");

  for (const char* name : {"/policy.json", "/large.json", "/empty.json", "/fifo"})
    std::remove((dir + name).c_str());
  ::rmdir(folder);
}

TEST_CASE("read_bytes: a file whose size says 0 (procfs) is read to its end") {
  int error = 0;
  const auto status = io::read_bytes("/proc/self/status", error);
  REQUIRE(status);
  // Its last line, the whole of it: more than the one byte fstat's size suggests.
  CHECK(status->view().starts_with("Name:"));
  CHECK(status->view().find("\nPid:") != std::string_view::npos);
  CHECK(status->view().ends_with("\n"));
}

TEST_CASE("read_bytes: a FIFO nobody writes to times out; a device that never ends is cut off") {
  char folder[] = "/tmp/op25bc-fifo-XXXXXX";
  REQUIRE(::mkdtemp(folder) != nullptr);
  const std::string fifo = std::string{folder} + "/fifo";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  int error = 0;
  CHECK_FALSE(io::read_bytes(fifo, error, 1 << 20, std::chrono::milliseconds{50}));
  CHECK(error == ETIMEDOUT);
  ::unlink(fifo.c_str());
  ::rmdir(folder);
  CHECK_FALSE(io::read_bytes("/dev/zero", error, 1 << 20));
  CHECK(error == EFBIG);
}

TEST_CASE("write_atomically: a killed writer's temporary files go with the next write") {
  char folder[] = "/tmp/op25bc-sweep-XXXXXX";
  REQUIRE(::mkdtemp(folder) != nullptr);
  const std::string dir = folder;
  const auto make = [&](const std::string& name, int age_seconds) {
    std::ofstream(dir + "/" + name) << "half";
    const timespec times[2] = {{::time(nullptr) - age_seconds, 0},
                               {::time(nullptr) - age_seconds, 0}};
    ::utimensat(AT_FDCWD, (dir + "/" + name).c_str(), times, 0);
  };
  // A killed run's temporaries of the target, old and young; others' files.
  for (const char* name : {".sessions.AbC123", ".sessions.zz99zz"}) make(name, 3600);
  make(".sessions.young1", 5);       // a writer may still be at work
  make(".sessions.toolong7", 3600);  // not mkstemp's six characters
  make(".state.AbC123", 3600);       // another target's
  make("sessions.AbC123", 3600);     // not hidden
  REQUIRE(io::write_atomically(dir + "/sessions", "whole", 0600).ok());
  std::vector<std::string> left;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    left.push_back(e.path().filename().string());
  std::sort(left.begin(), left.end());
  CHECK(left == std::vector<std::string>{".sessions.toolong7", ".sessions.young1", ".state.AbC123",
                                         "sessions", "sessions.AbC123"});
  std::filesystem::remove_all(dir);
}
