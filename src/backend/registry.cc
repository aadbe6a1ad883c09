// SPDX-License-Identifier: GPL-2.0-or-later
#include "op25bc/backend/registry.h"

#include <stdexcept>

namespace op25bc::backend {

void Registry::add(std::unique_ptr<Backend> backend) {
  if (find(backend->name()) != nullptr)
    throw std::logic_error("backend " + backend->name() + " registered twice");
  backends_.push_back(std::move(backend));
}

const Backend* Registry::find(std::string_view name) const {
  for (const auto& b : backends_)
    if (b->name() == name) return b.get();
  return nullptr;
}

const Backend& Registry::default_backend() const {
  if (backends_.empty()) throw std::logic_error("no backend registered");
  return *backends_.front();
}

std::vector<std::string> Registry::names() const {
  std::vector<std::string> out;
  for (const auto& b : backends_) out.push_back(b->name());
  return out;
}

const Backend* Registry::owner_of_record(std::string_view bytes) const {
  for (const auto& b : backends_)
    if (b->owns_record(bytes)) return b.get();
  return nullptr;
}

}  // namespace op25bc::backend
