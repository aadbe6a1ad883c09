// A file's bytes, read once. A regular file is mapped read-only, so a 20 MB
// policy or a 10 MB state record is never copied; anything else (a pipe, a
// process substitution) is read into memory.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace op25bc::io {

class FileBytes {
 public:
  FileBytes() = default;
  FileBytes(FileBytes&& other) noexcept;
  FileBytes& operator=(FileBytes&& other) noexcept;
  ~FileBytes();

  std::string_view view() const { return mapped_ ? std::string_view{mapped_, size_} : read_; }
  operator std::string_view() const { return view(); }

 private:
  friend std::optional<FileBytes> read_bytes(const std::string& path, int& error);
  const char* mapped_ = nullptr;
  std::size_t size_ = 0;
  std::string read_;
};

// nullopt, with the errno value in `error`, when the file cannot be read.
std::optional<FileBytes> read_bytes(const std::string& path, int& error);

}  // namespace op25bc::io
