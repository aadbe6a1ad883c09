// SPDX-License-Identifier: GPL-2.0-or-later
#include "read_json.h"

#include <algorithm>
#include <stdexcept>

#include "field_reader.h"
#include "op25bc/text/escape.h"

namespace op25bc::policy {

namespace {

using nlohmann::json;

class Handler final : public nlohmann::json_sax<json> {
 public:
  // Every prefix is a string, and every string has two quotes: with room for
  // that many the storage never moves, so the lists can point into it while
  // it fills. (Reserved capacity that is never touched costs no memory.)
  explicit Handler(std::string_view text) {
    doc.prefixes = std::make_shared<net::Prefixes>();
    doc.prefixes->reserve(static_cast<std::size_t>(std::count(text.begin(), text.end(), '"')) / 2);
  }

  Document doc;
  std::optional<std::pair<std::size_t, std::string>> error;     // byte offset, message
  std::vector<std::pair<std::string, std::string>> duplicates;  // object pointer, key
  std::vector<std::pair<std::string, std::string>> bad_text;    // pointer, message
  static constexpr std::size_t kMaxDepth = 64;
  bool too_deep = false;

  bool null() override { return value(nullptr); }
  bool boolean(bool v) override { return value(v); }
  bool number_integer(number_integer_t v) override { return value(v); }
  bool number_unsigned(number_unsigned_t v) override { return value(v); }
  bool number_float(number_float_t v, const string_t&) override { return value(v); }
  bool binary(binary_t& v) override { return value(json::binary(v)); }
  bool string(string_t& v) override {
    if (capture_ && skip_depth_ == 0) {
      // A prefix that parses holds only digits, hex, '.', ':' and '/': the text
      // rule needs checking only for the ones that fail, which it then explains.
      net::PrefixParse parsed = net::parse_prefix(v);
      if (parsed.prefix)
        keep(*parsed.prefix);
      else if (auto f = text::find_forbidden(v))
        reject(forbidden_message(*f), {});
      else
        reject(std::move(parsed.error), std::move(parsed.hint));
      return true;
    }
    const auto bad = capture_ ? std::nullopt : text::find_forbidden(v);
    value(std::move(v));
    if (bad) bad_text.emplace_back(pointer(), forbidden_message(*bad));  // now placed: its pointer
    return true;
  }

  bool start_object(std::size_t) override { return open(json::object()); }
  bool end_object() override { return close(); }
  bool start_array(std::size_t) override {
    if (!capture_ && stack_.size() == 3 && stack_[0].frame->is_object() &&
        stack_[1].frame->is_array() && stack_[2].frame->is_object() &&
        is_prefix_array(stack_[0].key, stack_[2].key)) {
      // A prefix array: an empty placeholder in the DOM, its content captured.
      value(json::array());
      capture_ = &doc.prefix_arrays[pointer()];
      *capture_ = {};  // a repeated key (an error) starts over
      captured_from_ = doc.prefixes->size();
      return true;
    }
    return open(json::array());
  }
  bool end_array() override {
    if (capture_ && skip_depth_ == 0) {
      capture_->list.items = std::span<const net::Prefix>(doc.prefixes->data() + captured_from_,
                                                          doc.prefixes->size() - captured_from_);
      capture_ = nullptr;
      return true;
    }
    return close();
  }
  bool key(string_t& k) override {
    if (capture_) return true;  // inside an object inside a prefix array: skipped
    if (stack_.back().frame->contains(k)) duplicates.emplace_back(pointer(stack_.size() - 1), k);
    stack_.back().key = k;
    if (auto f = text::find_forbidden(k)) bad_text.emplace_back(pointer(), forbidden_message(*f));
    return true;
  }

  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::detail::exception& e) override {
    std::string message = e.what();
    if (auto colon = message.find(": "); colon != std::string::npos)
      message = message.substr(colon + 2);
    error = {position, message};
    return false;
  }

 private:
  struct Frame {
    json* frame;
    std::string key;      // objects: the current key
    std::size_t index{};  // arrays: the next index
  };

  // A value that is not a string inside a prefix array is one bad entry; its
  // content (if an object or array) is skipped.
  bool captured_non_string(const json& v) {
    if (skip_depth_ == 0) reject("expected a string, found " + std::string{type_name(v)}, {});
    return true;
  }

  bool value(json v) {
    if (capture_) return captured_non_string(v);
    place(std::move(v));
    return true;
  }

  json* place(json v) {
    if (stack_.empty()) {
      doc.json = std::move(v);
      return &doc.json;
    }
    Frame& top = stack_.back();
    if (top.frame->is_array()) {
      top.frame->push_back(std::move(v));
      ++top.index;
      return &top.frame->back();
    }
    json& slot = (*top.frame)[top.key];  // a repeated key: the last one wins, as in nlohmann
    slot = std::move(v);
    return &slot;
  }

  bool open(json container) {
    if (stack_.size() >= kMaxDepth) {
      too_deep = true;
      return false;  // stops the parse: a policy is never nested this deep
    }
    if (capture_) {
      captured_non_string(container);  // reported only at the array's own level
      ++skip_depth_;
      return true;
    }
    stack_.push_back({place(std::move(container)), {}, 0});
    return true;
  }

  bool close() {
    if (capture_) {
      --skip_depth_;
      return true;
    }
    stack_.pop_back();
    return true;
  }

  // The pointer of the value being read in the frame at `depth` (all frames
  // by default); pointer(stack_.size() - 1) is the innermost container's own.
  std::string pointer(std::size_t depth = std::string::npos) const {
    std::string out;
    for (std::size_t i = 0; i < std::min(depth, stack_.size()); ++i) {
      const Frame& f = stack_[i];
      out = f.frame->is_array() ? pointer_append(out, f.index - 1) : pointer_append(out, f.key);
    }
    return out;
  }

  static std::string forbidden_message(const text::Forbidden& f) {
    return "text contains " + text::describe(f) + " at byte " + std::to_string(f.offset);
  }

  void keep(const net::Prefix& p) {
    const auto position = static_cast<std::uint32_t>(capture_->size++);
    if (!capture_->bad.empty()) capture_->list.positions.push_back(position);
    if (doc.prefixes->size() == doc.prefixes->capacity())  // cannot happen: see the constructor
      throw std::logic_error("read_json: prefix storage would move under the lists");
    doc.prefixes->push_back(p);
  }

  void reject(std::string message, std::string hint) {
    const auto position = static_cast<std::uint32_t>(capture_->size++);
    if (capture_->bad.empty())  // entries 0..position-1 were all kept: their positions
      for (std::uint32_t k = 0; k < position; ++k) capture_->list.positions.push_back(k);
    capture_->bad.push_back({position, std::move(message), std::move(hint)});
  }

  std::vector<Frame> stack_;
  PrefixArray* capture_ = nullptr;
  std::size_t captured_from_ = 0;  // where the captured array's prefixes start
  std::size_t skip_depth_ = 0;
};

}  // namespace

bool is_prefix_array(std::string_view list, std::string_view key) {
  if (key == "prefixes") return list == "pools" || list == "destinations" || list == "exemptions";
  return key == "addresses" && list == "smarthosts";
}

std::optional<Document> read_json(std::string_view text, Diagnostics& diags) {
  if (auto clean = read_clean_json(text)) return clean;
  return read_json_reference(text, diags);
}

std::optional<Document> read_json_reference(std::string_view text, Diagnostics& diags) {
  Handler handler(text);
  if (json::sax_parse(text, &handler) && !handler.error) {
    for (const auto& [object, key] : handler.duplicates)
      diags.error(pointer_append(object, key), "duplicate key " + quote(key),
                  "a key may appear once per object; JSON readers disagree on which value wins");
    for (const auto& [pointer, message] : handler.bad_text)
      diags.error(pointer, message,
                  "op25bc writes policy text into nft scripts, crontabs, systemd units and logs: "
                  "control characters, line separators and bidirectional formatting characters "
                  "are not allowed");
    return std::move(handler.doc);
  }
  if (handler.too_deep) {
    diags.error("", "malformed JSON: nested deeper than 64 levels",
                "a policy is at most a few levels deep");
    return std::nullopt;
  }
  // nlohmann reports a byte offset; users want line and column.
  const std::size_t offset = handler.error ? std::min(handler.error->first, text.size()) : 0;
  std::size_t line = 1, column = 1;
  for (std::size_t i = 0; i + 1 < offset; ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  diags.syntax_error(line, column,
                     "malformed JSON: " + (handler.error ? handler.error->second : "unreadable"));
  return std::nullopt;
}

}  // namespace op25bc::policy
