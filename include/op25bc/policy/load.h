// The front end: policy text -> validated model, running read_json, parse,
// resolve, the pool index and check, collecting every diagnostic. No model is
// returned when any error was found, so invalid input can never reach a later
// stage.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "op25bc/diag/diagnostics.h"
#include "op25bc/policy/model.h"

namespace op25bc::policy {

std::optional<Policy> load_text(std::string_view text, Diagnostics& diags);

// A policy file's bytes. A regular file is mapped, so a 20 MB policy is not
// copied; anything else (a pipe, a process substitution) is read.
class FileText {
 public:
  FileText() = default;
  FileText(FileText&& other) noexcept;
  FileText& operator=(FileText&& other) noexcept;
  ~FileText();

  std::string_view view() const { return mapped_ ? std::string_view{mapped_, size_} : read_; }
  operator std::string_view() const { return view(); }

 private:
  friend std::optional<FileText> read_file(const std::string& path, Diagnostics& diags);
  const char* mapped_ = nullptr;
  std::size_t size_ = 0;
  std::string read_;
};

// The whole file; an unreadable file is reported as a document error.
std::optional<FileText> read_file(const std::string& path, Diagnostics& diags);

}  // namespace op25bc::policy
