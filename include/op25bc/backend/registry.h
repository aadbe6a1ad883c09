// SPDX-License-Identifier: GPL-2.0-or-later
// The backends a program knows, by name: --backend picks one here, and a
// state file is matched to the backend that wrote it. The program registers
// its backends in one place (src/cli/backends.cc); a test may register its own.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "op25bc/backend/backend.h"

namespace op25bc::backend {

class Registry {
 public:
  // The first one added is the default. Names are unique.
  void add(std::unique_ptr<Backend> backend);
  // nullptr for a name no backend has.
  const Backend* find(std::string_view name) const;
  const Backend& default_backend() const;
  std::vector<std::string> names() const;
  // The backend whose record `bytes` is, nullptr for none.
  const Backend* owner_of_record(std::string_view bytes) const;

 private:
  std::vector<std::unique_ptr<Backend>> backends_;
};

}  // namespace op25bc::backend
