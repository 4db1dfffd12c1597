#pragma once
/// @file
/// Reading JSON text in place, without building JSON values: for the hot
/// paths that read what Nimbus itself wrote (tapes, recorded calls). A
/// `JsonText` is a view: the text must outlive it.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nimbus/result.hpp"

namespace nimbus::format {

/// Where the JSON value that starts at `text[at]` ends (one past it),
/// checking that brackets balance and strings end; the contents of strings,
/// numbers and literals are checked when they are read.
Result<std::size_t> json_value_end(std::string_view text, std::size_t at);

/// Unescapes a JSON string literal (quotes included) into `out`; false when
/// it is not a well-formed literal.
bool json_unescape(std::string_view literal, std::string& out);

/// The error for a raw NUL byte at `at`, which JSON text cannot hold (nlohmann
/// stops reading at one, silently; Nimbus's readers refuse it).
Error nul_error(std::size_t at);

/// One JSON value's text, with an object's members found once, in order.
class JsonText {
 public:
  /// A view of `text` (one JSON value, surrounding spaces allowed; no raw NUL byte).
  static Result<JsonText> parse(std::string_view text);
  /// The value that starts at `text[at]`, and in `end` where it ends (one
  /// past it): for reading a value inside a larger text in the same pass.
  static Result<JsonText> read(std::string_view text, std::size_t at, std::size_t& end) {
    return value_at(text, at, end);
  }

  [[nodiscard]] bool is_object() const noexcept { return first() == '{'; }
  [[nodiscard]] bool is_array() const noexcept { return first() == '['; }
  [[nodiscard]] bool is_string() const noexcept { return first() == '"'; }
  [[nodiscard]] bool is_null() const noexcept { return text_ == "null"; }
  [[nodiscard]] bool is_boolean() const noexcept { return text_ == "true" || text_ == "false"; }
  [[nodiscard]] bool is_number() const noexcept;
  /// A number without a fraction or exponent.
  [[nodiscard]] bool is_number_integer() const noexcept;
  /// "object", "array", "string", "number", "boolean", "null", as nlohmann names them.
  [[nodiscard]] const char* type_name() const noexcept;

  /// An object's members, in order (names unescaped); a name given twice is
  /// one member, in its first place with its last value, as nlohmann reads it.
  [[nodiscard]] const std::vector<std::pair<std::string, JsonText>>& items() const noexcept {
    return members_;
  }
  /// The same, to move a member's value out.
  [[nodiscard]] std::vector<std::pair<std::string, JsonText>>& items() noexcept { return members_; }
  [[nodiscard]] bool contains(std::string_view name) const noexcept;
  /// The member's value; a null value when there is none.
  [[nodiscard]] JsonText operator[](std::string_view name) const;
  /// An array's elements, in order.
  [[nodiscard]] Result<std::vector<JsonText>> elements() const;

  /// A string's value (unescaped), an integer's, or a boolean's; throws
  /// `std::invalid_argument` when the value is not of that kind.
  template <class T>
  [[nodiscard]] T get() const;
  /// The value's text, as it is.
  [[nodiscard]] std::string_view text() const noexcept { return text_; }
  [[nodiscard]] std::string dump() const { return std::string(text_); }

 private:
  [[nodiscard]] char first() const noexcept { return text_.empty() ? '\0' : text_.front(); }
  // The value that starts at t[at]; `end`: one past it. Objects are indexed as they are read.
  static Result<JsonText> value_at(std::string_view t, std::size_t at, std::size_t& end);
  static Result<JsonText> object_at(std::string_view t, std::size_t at, std::size_t& end);
  std::string_view text_ = "null";
  std::vector<std::pair<std::string, JsonText>> members_;  // objects only
};

template <>
std::string JsonText::get<std::string>() const;
template <>
std::int64_t JsonText::get<std::int64_t>() const;
template <>
bool JsonText::get<bool>() const;

}  // namespace nimbus::format
