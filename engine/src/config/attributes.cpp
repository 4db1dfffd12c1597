// The readers of a kind's `attributes`, shared by triggers and data bindings.
#include "nimbus/engine/attributes.hpp"

#include <charconv>
#include <fstream>
#include <iterator>

#include "nimbus/engine/function_config.hpp"
#include "nimbus/format/text.hpp"

namespace nimbus::engine {

Result<long long> integer_attribute(const Attributes& a, std::string_view key, long long fallback,
                                    long long low, long long high) noexcept {
  try {
    auto it = a.json.find(std::string(key));
    if (it == a.json.end() || it->is_null()) return fallback;
    long long v = 0;
    bool ok = false;
    if (it->is_number_integer()) {
      v = it->get<long long>();
      ok = true;
    } else if (it->is_string()) {
      const auto& text = it->get_ref<const std::string&>();
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      ok = ec == std::errc() && end == text.data() + text.size() && !text.empty();
    }
    if (!ok || v < low || v > high) {
      return Error{a.where + "." + std::string(key) + ": expected a whole number from " +
                   std::to_string(low) + " to " + std::to_string(high) + ", got " +
                   (it->is_string() ? "'" + it->get<std::string>() + "'" : it->dump())};
    }
    return v;
  } catch (const std::exception& e) {
    return Error{a.where + "." + std::string(key) + ": " + e.what()};
  }
}

Result<bool> flag_in(const Json& object, const char* key, bool fallback, const std::string& where) noexcept {
  try {
    if (!object.contains(key) || object[key].is_null()) return fallback;
    const Json& v = object[key];
    if (v.is_boolean()) return v.get<bool>();
    if (v.is_string() && (v == "true" || v == "false")) return v == "true";
    return Error{where + "." + key + ": expected true or false, got " + v.dump()};
  } catch (const std::exception& e) {
    return Error{where + "." + key + ": " + e.what()};
  }
}

Result<bool> boolean_attribute(const Attributes& a, std::string_view key, bool fallback) noexcept {
  try {
    return flag_in(a.json, std::string(key).c_str(), fallback, a.where);
  } catch (const std::exception& e) {
    return Error{a.where + "." + std::string(key) + ": " + e.what()};
  }
}

Result<std::chrono::milliseconds> duration_attribute(const Attributes& a, std::string_view key,
                                                     std::chrono::milliseconds fallback) noexcept {
  auto text = string_attribute(a, key, "");
  if (!text) return text.error();
  if (text->empty()) return fallback;
  auto d = parse_duration(*text);
  if (!d) return Error{a.where + "." + std::string(key) + ": " + d.error().message};
  if (d->count() <= 0)
    return Error{a.where + "." + std::string(key) + ": must be longer than 0, got '" + *text + "'"};
  return *d;
}

Result<std::string> string_attribute(const Attributes& a, std::string_view key,
                                     std::string fallback) noexcept {
  try {
    auto it = a.json.find(std::string(key));
    if (it == a.json.end() || it->is_null()) return fallback;
    if (it->is_string()) return it->get<std::string>();
    if (it->is_number() || it->is_boolean()) return it->dump();
    return Error{a.where + "." + std::string(key) + ": expected a string, got " + it->type_name()};
  } catch (const std::exception& e) {
    return Error{a.where + "." + std::string(key) + ": " + e.what()};
  }
}

Result<std::vector<std::string>> string_list_attribute(const Attributes& a, std::string_view key) noexcept {
  const std::string where = a.where + "." + std::string(key);
  try {
    std::vector<std::string> out;
    auto it = a.json.find(std::string(key));
    if (it == a.json.end() || it->is_null()) return out;
    if (it->is_string()) {
      std::string_view rest = it->get_ref<const std::string&>();
      while (!rest.empty()) {
        const auto comma = rest.find(',');
        std::string_view item = format::trim(rest.substr(0, comma));
        if (!item.empty()) out.emplace_back(item);
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      }
      return out;
    }
    if (!it->is_array()) return Error{where + ": expected a list of strings, got " + it->type_name()};
    for (const auto& item : *it) {
      if (!item.is_string()) return Error{where + ": expected strings, got " + std::string(item.type_name())};
      out.push_back(item.get<std::string>());
    }
    return out;
  } catch (const std::exception& e) {
    return Error{where + ": " + e.what()};
  }
}

Result<std::string> secret_attribute(const Attributes& a, std::string_view key) noexcept {
  const std::string where = a.where + "." + std::string(key);
  try {
    auto it = a.json.find(std::string(key));
    if (it == a.json.end()) return std::string();
    return secret_value(*it, where);
  } catch (const std::exception& e) {
    return Error{where + ": " + e.what()};
  }
}

namespace {

// A certificate: PEM text, or {file: path} read now.
Result<std::string> certificate(const Json& value, const std::string& where) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_object() && value.size() == 1 && value.contains("file") && value["file"].is_string()) {
    std::ifstream in(value["file"].get<std::string>(), std::ios::binary);
    if (!in) return Error{where + ": cannot read " + value["file"].get<std::string>()};
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }
  return Error{where + ": expected PEM text or {file: path}"};
}

}  // namespace

Result<TlsAttributes> tls_attributes(const Attributes& a) noexcept {
  const std::string& where = a.where;
  const Json& j = a.json;
  try {
    TlsAttributes t;
    if (j.contains("tls") && !j["tls"].is_null()) {
      const Json& tls = j["tls"];
      if (!tls.is_object()) return Error{where + ".tls: expected {enable, insecureSkipVerify}"};
      auto enable = flag_in(tls, "enable", true, where + ".tls");
      if (!enable) return enable.error();
      auto skip = flag_in(tls, "insecureSkipVerify", false, where + ".tls");
      if (!skip) return skip.error();
      t.enable = *enable;
      t.verify = !*skip;
    }
    if (j.contains("caCert") && !j["caCert"].is_null()) {
      const Json& ca = j["caCert"];
      if (ca.is_object() && ca.contains("file") && ca["file"].is_string()) {
        t.ca_file = ca["file"].get<std::string>();
      } else {
        auto pem = certificate(ca, where + ".caCert");
        if (!pem) return pem.error();
        t.ca_pem = std::move(*pem);
      }
    }
    if (j.contains("accessCertificate") && !j["accessCertificate"].is_null()) {
      auto pem = certificate(j["accessCertificate"], where + ".accessCertificate");
      if (!pem) return pem.error();
      t.cert_pem = std::move(*pem);
    }
    auto key = secret_attribute(a, "accessKey");
    if (!key) return key.error();
    t.key_pem = std::move(*key);
    return t;
  } catch (const std::exception& e) {
    return Error{where + ": " + e.what()};
  }
}

}  // namespace nimbus::engine
