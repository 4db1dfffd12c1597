#pragma once
/// @file
/// `Result<T>`: a value or an error message, for code that must not throw.

#include <string>
#include <utility>
#include <variant>

namespace nimbus {

/// An error: one human-readable line that names what was wrong.
struct Error {
  std::string message;
};

/// Either a `T` or an `Error`. Used by host-side code (loading, decoding,
/// configuration) that reports failures instead of throwing.
///
/// ```cpp
/// Result<Event> r = Event::from_bytes(bytes);
/// if (!r) { std::cerr << r.error().message; return; }
/// const Event& e = *r;
/// ```
template <class T>
class [[nodiscard]] Result {
 public:
  // NOLINTNEXTLINE(google-explicit-constructor): a Result is implicitly its value
  Result(T value) : v_(std::move(value)) {}
  // NOLINTNEXTLINE(google-explicit-constructor): and implicitly its error
  Result(Error error) : v_(std::move(error)) {}

  /// True when this holds a value.
  [[nodiscard]] bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  /// The value; only valid when `ok()`.
  T& value() & noexcept { return *std::get_if<0>(&v_); }
  const T& value() const& noexcept { return *std::get_if<0>(&v_); }
  T&& value() && noexcept { return std::move(*std::get_if<0>(&v_)); }
  T& operator*() & noexcept { return value(); }
  const T& operator*() const& noexcept { return value(); }
  T* operator->() noexcept { return &value(); }
  const T* operator->() const noexcept { return &value(); }

  /// The error; only valid when `!ok()`.
  [[nodiscard]] const Error& error() const noexcept { return *std::get_if<1>(&v_); }

 private:
  std::variant<T, Error> v_;
};

/// A `Result` with no value: success, or an error.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  // NOLINTNEXTLINE(google-explicit-constructor): implicitly its error
  Result(Error error) : error_(std::move(error)), ok_(false) {}
  [[nodiscard]] bool ok() const noexcept { return ok_; }
  explicit operator bool() const noexcept { return ok_; }
  [[nodiscard]] const Error& error() const noexcept { return error_; }

 private:
  Error error_;
  bool ok_ = true;
};

}  // namespace nimbus
