#include "op25bc/policy/load.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <utility>

#include "op25bc/policy/check.h"
#include "op25bc/policy/parse.h"
#include "op25bc/policy/resolve.h"

namespace op25bc::policy {

std::optional<Policy> load_text(std::string_view text, Diagnostics& diags) {
  std::optional<Document> document = read_json(text, diags);
  if (!document) return std::nullopt;
  Policy policy = parse(*document, diags);
  document.reset();  // the model holds everything now; free the DOM early
  resolve(policy, diags);
  policy.pool_index = index_pools(policy);
  check(policy, diags);
  if (diags.has_errors()) return std::nullopt;
  return policy;
}

FileText::FileText(FileText&& other) noexcept {
  *this = std::move(other);
}

FileText& FileText::operator=(FileText&& other) noexcept {
  if (this == &other) return *this;
  if (mapped_) ::munmap(const_cast<char*>(mapped_), size_);
  mapped_ = std::exchange(other.mapped_, nullptr);
  size_ = std::exchange(other.size_, 0);
  read_ = std::move(other.read_);
  return *this;
}

FileText::~FileText() {
  if (mapped_) ::munmap(const_cast<char*>(mapped_), size_);
}

std::optional<FileText> read_file(const std::string& path, Diagnostics& diags) {
  const auto unreadable = [&](int error) {
    diags.error("", std::string{"cannot read policy: "} + std::strerror(error));
    return std::nullopt;
  };
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return unreadable(errno);
  FileText text;
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
    const auto size = static_cast<std::size_t>(st.st_size);
    void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    if (p != MAP_FAILED) {
      ::close(fd);
      text.mapped_ = static_cast<const char*>(p);
      text.size_ = size;
      return text;
    }
  }
  char buffer[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int error = errno;
      ::close(fd);
      return unreadable(error);
    }
    if (n == 0) break;
    text.read_.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return text;
}

}  // namespace op25bc::policy
