#pragma once
/// @file
/// Writing JSON text without building JSON values: the one writer of tape
/// records, log lines and the emulator's JSON output.

#include <charconv>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>

#include "nimbus/detail/json_string.hpp"
#include "nimbus/json.hpp"

namespace nimbus::format {

/// Writes JSON text at the end of a string, through a pointer. Room is made a
/// few hundred bytes at a time (one resize, not one per member), keys are
/// literals copied with sizes known when compiling, and strings that need no
/// escaping (nearly all) are copied whole. The string is cut back to what was
/// written when the writer goes; until then it may hold room past it.
///
/// ```cpp
/// std::string out;
/// {
///   format::JsonWriter w(out);
///   w.lit(R"({"id":)");
///   w.string(id);
///   w.lit(R"(,"fields":)");
///   w.value(fields);   // as nlohmann's dump() writes it
///   w.ch('}');
/// }
/// ```
class JsonWriter {
 public:
  /// Writes after what `out` holds; `expect`: the room to make first.
  explicit JsonWriter(std::string& out, std::size_t expect = 256) : out_(out), at_(out.size()) {
    room(expect);
  }
  JsonWriter(const JsonWriter&) = delete;
  JsonWriter& operator=(const JsonWriter&) = delete;
  JsonWriter(JsonWriter&&) = delete;
  JsonWriter& operator=(JsonWriter&&) = delete;
  ~JsonWriter() { out_.resize(at_); }  // shrinking: nothing is written

  /// A literal, as it is.
  template <std::size_t N>
  void lit(const char (&s)[N]) {
    room(N - 1);
    std::memcpy(out_.data() + at_, s, N - 1);
    at_ += N - 1;
  }
  /// Text, as it is (JSON text another writer made).
  void raw(std::string_view s) {
    room(s.size());
    if (!s.empty()) std::memcpy(out_.data() + at_, s.data(), s.size());
    at_ += s.size();
  }
  void ch(char c) {
    room(1);
    out_[at_++] = c;
  }
  /// `s` as a JSON string literal (see `nimbus::detail::append_json_string`).
  void string(std::string_view s);
  /// `key` (a literal `"name":`), the string `value`, and a comma.
  template <std::size_t N>
  void member(const char (&key)[N], std::string_view value) {
    lit(key);
    string(value);
    ch(',');
  }
  /// An integer (doubles go through `value`, in nlohmann's form).
  template <std::integral T>
  void number(T value) {
    room(32);
    char* p = out_.data() + at_;
    auto [end, ec] = std::to_chars(p, p + 32, value);
    if (ec == std::errc()) at_ += static_cast<std::size_t>(end - p);
  }
  /// Any JSON value, exactly as nlohmann's `dump()` writes it (with the
  /// `replace` error handler); doubles in nlohmann's shortest form.
  void value(const Json& v);
  /// Milliseconds to the nanosecond, as fixed-point text without trailing
  /// zeros ("0.021821", "3", "12.5"), with integer arithmetic only.
  void millis(double ms);
  /// `n` millionths as the same fixed-point text: `millionths(21821)` writes 0.021821.
  void millionths(std::uint64_t n);
  /// A time as an RFC 3339 string with `digits` fractional digits.
  void time(std::chrono::system_clock::time_point t, int digits);
  /// Closes an object whose last member left a trailing comma.
  void close_object() {
    if (at_ > 0 && out_[at_ - 1] == ',') {
      out_[at_ - 1] = '}';
    } else {
      ch('}');
    }
  }
  /// True when the string is empty so far.
  [[nodiscard]] bool empty() const noexcept { return at_ == 0; }

 private:
  void room(std::size_t n) {
    if (at_ + n > out_.size()) [[unlikely]]
      grow(n);
  }
  // Only the room asked for: the string's capacity grows geometrically by itself, and a resize
  // writes every byte it adds (a tape buffer holds many records: never double its size).
  void grow(std::size_t n);
  std::string& out_;
  std::size_t at_;
};

/// Appends `value` as compact JSON text, as `value.dump()` writes it but
/// without its per-call set-up: for every log record's fields in a worker
/// (it saves 0.4-0.6 µs a record, docs/performance.md).
void append_json(std::string& out, const Json& value);

}  // namespace nimbus::format
