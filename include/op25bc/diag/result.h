// SPDX-License-Identifier: GPL-2.0-or-later
// op25bc's one convention for expected failures that cross an interface: a
// value or a Failure (what went wrong, for the operator, a hint, and any
// policy diagnostics). An adapter (netlink, the tools, files) may throw
// inside; it translates once, at its interface, so the commands never catch.
#pragma once

#include <string>
#include <utility>
#include <variant>

#include "op25bc/diag/diagnostics.h"

namespace op25bc {

struct Failure {
  std::string message;           // one sentence, without "op25bc: "
  std::string hint = {};         // what to do about it, "" for nothing to add
  Diagnostics diagnostics = {};  // what in the policy a backend cannot express
};

// The value of a Result that has none.
struct Done {};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Failure failure) : v_(std::in_place_index<1>, std::move(failure)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& operator*() { return std::get<0>(v_); }
  const T& operator*() const { return std::get<0>(v_); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  const Failure& failure() const { return std::get<1>(v_); }

 private:
  std::variant<T, Failure> v_;
};

}  // namespace op25bc
