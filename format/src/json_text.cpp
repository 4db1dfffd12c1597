#include "nimbus/format/json_text.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <stdexcept>

#include "nimbus/detail/utf8.hpp"

namespace nimbus::format {
namespace {

std::size_t skip_space(std::string_view text, std::size_t i) noexcept {
  while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n')) ++i;
  return i;
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6U));
    out += static_cast<char>(0x80 | (cp & 0x3FU));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12U));
    out += static_cast<char>(0x80 | ((cp >> 6U) & 0x3FU));
    out += static_cast<char>(0x80 | (cp & 0x3FU));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18U));
    out += static_cast<char>(0x80 | ((cp >> 12U) & 0x3FU));
    out += static_cast<char>(0x80 | ((cp >> 6U) & 0x3FU));
    out += static_cast<char>(0x80 | (cp & 0x3FU));
  }
}

bool hex4(std::string_view s, std::size_t at, std::uint32_t& v) noexcept {
  if (at + 4 > s.size()) return false;
  auto [end, ec] = std::from_chars(s.data() + at, s.data() + at + 4, v, 16);
  return ec == std::errc() && end == s.data() + at + 4;
}

}  // namespace

Result<std::size_t> json_value_end(std::string_view text, std::size_t at) {
  std::size_t i = at;
  std::size_t depth = 0;
  bool in_string = false;
  for (; i < text.size(); ++i) {
    if (in_string) {
      // To the closing quote (strings here are mostly short: a plain loop beats memchr).
      while (i < text.size() && text[i] != '"') i += text[i] == '\\' ? 2 : 1;
      if (i >= text.size()) return Error{"a string does not end"};
      in_string = false;
      if (depth == 0) return i + 1;
      continue;
    }
    switch (text[i]) {
      case '"':
        in_string = true;
        break;
      case '{':
      case '[':
        ++depth;
        break;
      case '}':
      case ']':
        if (depth == 0) return i;  // the end of the enclosing value: a scalar ended
        if (--depth == 0) return i + 1;
        break;
      case ',':
        if (depth == 0) return i;
        break;
      default:
        break;
    }
  }
  if (in_string) return Error{"a string does not end"};
  if (depth != 0) return Error{"the text ends inside an object or array"};
  return i;
}

bool json_unescape(std::string_view literal, std::string& out) {
  std::string_view s = literal;
  if (s.size() < 2 || s.front() != '"' || s.back() != '"') return false;
  s = s.substr(1, s.size() - 2);
  out.clear();
  std::size_t run = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (static_cast<unsigned char>(c) < 0x20 || c == '"') return false;
    if (static_cast<unsigned char>(c) >= 0x80) {  // well-formed UTF-8 only, as nlohmann reads strings
      const nimbus::detail::Utf8Sequence seq = nimbus::detail::utf8_sequence(s, i);
      if (!seq.valid) return false;
      i += seq.length - 1;
      continue;
    }
    if (c != '\\') continue;
    out.append(s.data() + run, i - run);
    if (++i >= s.size()) return false;
    switch (s[i]) {
      case '"':
        out += '"';
        break;
      case '\\':
        out += '\\';
        break;
      case '/':
        out += '/';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'u': {
        std::uint32_t cp = 0;
        if (!hex4(s, i + 1, cp)) return false;
        i += 4;
        if (cp >= 0xD800 && cp <= 0xDBFF) {  // a surrogate pair
          std::uint32_t low = 0;
          if (i + 2 >= s.size() || s[i + 1] != '\\' || s[i + 2] != 'u' || !hex4(s, i + 3, low) ||
              low < 0xDC00 || low > 0xDFFF)
            return false;
          cp = 0x10000 + ((cp - 0xD800) << 10U) + (low - 0xDC00);
          i += 6;
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
          return false;
        }
        append_utf8(out, cp);
        break;
      }
      default:
        return false;
    }
    run = i + 1;
  }
  out.append(s.data() + run, s.size() - run);
  return true;
}

Result<JsonText> JsonText::parse(std::string_view text) {
  // JSON text never holds a raw NUL (nlohmann stops reading at one, silently): refused.
  if (const auto nul = text.find('\0'); nul != std::string_view::npos) return nul_error(nul);
  const std::size_t start = skip_space(text, 0);
  if (start >= text.size()) return Error{"no JSON value"};
  std::size_t end = 0;
  auto v = value_at(text, start, end);
  if (!v) return v.error();
  if (skip_space(text, end) != text.size()) return Error{"text after the JSON value"};
  return v;
}

Result<JsonText> JsonText::value_at(std::string_view t, std::size_t at, std::size_t& end) {
  if (at < t.size() && t[at] == '{') return object_at(t, at, end);
  auto value_end = json_value_end(t, at);
  if (!value_end) return value_end.error();
  std::size_t last = *value_end;
  while (last > at &&
         (t[last - 1] == ' ' || t[last - 1] == '\t' || t[last - 1] == '\r' || t[last - 1] == '\n'))
    --last;
  if (last == at) return Error{"no JSON value"};
  end = last;
  JsonText v;
  v.text_ = t.substr(at, last - at);
  return v;
}

Result<JsonText> JsonText::object_at(std::string_view t, std::size_t at, std::size_t& end) {
  // One pass: each member's value is found (and checked) once; nested objects are indexed as they are met.
  JsonText v;
  std::size_t i = skip_space(t, at + 1);
  std::string name;
  while (i < t.size() && t[i] != '}') {
    if (t[i] != '"') return Error{"expected a member name"};
    auto name_end = json_value_end(t, i);
    if (!name_end) return name_end.error();
    if (!json_unescape(t.substr(i, *name_end - i), name)) return Error{"a member name is not a JSON string"};
    i = skip_space(t, *name_end);
    if (i >= t.size() || t[i] != ':') return Error{"expected ':' after \"" + name + "\""};
    i = skip_space(t, i + 1);
    std::size_t value_end = 0;
    auto member = value_at(t, i, value_end);
    if (!member) return Error{"\"" + name + "\": " + member.error().message};
    // A name given twice keeps its first place and takes the last value, as nlohmann reads it.
    auto same =
        std::find_if(v.members_.begin(), v.members_.end(), [&](const auto& m) { return m.first == name; });
    if (same == v.members_.end()) {
      v.members_.emplace_back(name, std::move(*member));
    } else {
      same->second = std::move(*member);
    }
    i = skip_space(t, value_end);
    if (i < t.size() && t[i] == ',') {
      i = skip_space(t, i + 1);
    } else if (i < t.size() && t[i] != '}') {
      return Error{"expected ',' or '}' after \"" + name + "\""};
    }
  }
  if (i >= t.size()) return Error{"an object does not end"};
  end = i + 1;
  v.text_ = t.substr(at, end - at);
  return v;
}

bool JsonText::is_number() const noexcept {
  const char c = first();
  return c == '-' || (c >= '0' && c <= '9');
}

bool JsonText::is_number_integer() const noexcept {
  return is_number() && text_.find_first_of(".eE") == std::string_view::npos;
}

const char* JsonText::type_name() const noexcept {
  // By the first character, as nlohmann names a value; a literal is checked only when read.
  switch (first()) {
    case '{':
      return "object";
    case '[':
      return "array";
    case '"':
      return "string";
    case 't':
    case 'f':
      return "boolean";
    case 'n':
      return "null";
    default:
      return "number";
  }
}

Error nul_error(std::size_t at) {
  return Error{"a NUL byte at offset " + std::to_string(at) + " (JSON text cannot hold one)"};
}

bool JsonText::contains(std::string_view name) const noexcept {
  return std::any_of(members_.begin(), members_.end(), [&](const auto& m) { return m.first == name; });
}

JsonText JsonText::operator[](std::string_view name) const {
  for (const auto& [k, v] : members_) {
    if (k == name) return v;
  }
  return {};
}

Result<std::vector<JsonText>> JsonText::elements() const {
  if (!is_array()) return Error{std::string("expected an array, got ") + type_name()};
  std::vector<JsonText> out;
  const std::string_view t = text_;
  std::size_t i = skip_space(t, 1);
  while (i < t.size() && t[i] != ']') {
    std::size_t end = 0;
    auto value = value_at(t, i, end);
    if (!value) return value.error();
    out.push_back(std::move(*value));
    i = skip_space(t, end);
    if (i < t.size() && t[i] == ',') i = skip_space(t, i + 1);
  }
  return out;
}

template <>
std::string JsonText::get<std::string>() const {
  std::string out;
  if (!json_unescape(text_, out)) throw std::invalid_argument("not a JSON string: " + std::string(text_));
  return out;
}

template <>
std::int64_t JsonText::get<std::int64_t>() const {
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(text_.data(), text_.data() + text_.size(), v);
  if (ec != std::errc() || end != text_.data() + text_.size())
    throw std::invalid_argument("not an integer: " + std::string(text_));
  return v;
}

template <>
bool JsonText::get<bool>() const {
  if (!is_boolean()) throw std::invalid_argument("not a boolean: " + std::string(text_));
  return text_ == "true";
}

}  // namespace nimbus::format
