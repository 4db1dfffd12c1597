#include "nimbus/engine/function_config.hpp"

#include <yaml-cpp/yaml.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>

namespace nimbus::engine {
namespace {

// Tells the embedded Python runtime which handler to load, and from where.
void add_python_env(FunctionConfig& c) {
  c.env.emplace_back(kPythonHandlerEnv, c.handler);
  c.env.emplace_back(kFunctionDirEnv, c.dir.string());
}

namespace fs = std::filesystem;

// Thrown inside the parser only; turned into an Error at its boundary.
struct ConfigError {
  std::string message;
};

// A YAML node as JSON: mappings, sequences, scalars as text (YAML does not type them; readers of
// attributes parse numbers from text), nulls.
Json yaml_to_json(const YAML::Node& n) {
  if (n.IsMap()) {
    Json o = Json::object();
    for (const auto& kv : n) o[kv.first.as<std::string>()] = yaml_to_json(kv.second);
    return o;
  }
  if (n.IsSequence()) {
    Json a = Json::array();
    for (const auto& item : n) a.push_back(yaml_to_json(item));
    return a;
  }
  if (n.IsScalar()) return n.as<std::string>();
  return nullptr;
}

class Parser {
 public:
  Parser(fs::path file, std::string display) : file_(std::move(file)), display_(std::move(display)) {}

  [[noreturn]] void fail(const YAML::Node& at, const std::string& field, const std::string& what) const {
    std::string where = display_;
    if (at.IsDefined() && at.Mark().line >= 0) where += ":" + std::to_string(at.Mark().line + 1);
    throw ConfigError{where + ": " + field + ": " + what};
  }

  std::string scalar(const YAML::Node& n, const std::string& field) const {
    if (!n.IsScalar()) fail(n, field, "expected a string");
    return n.as<std::string>();
  }

  int integer(const YAML::Node& n, const std::string& field) const {
    std::string s = scalar(n, field);
    try {
      std::size_t used = 0;
      int v = std::stoi(s, &used);
      if (used == s.size()) return v;
    } catch (const std::exception&) {
    }
    fail(n, field, "expected an integer, got '" + s + "'");
  }

  FunctionConfig parse(const YAML::Node& root) const {
    if (!root.IsMap()) fail(root, "(top level)", "expected a mapping with 'metadata' and 'spec'");
    FunctionConfig c;
    c.file = file_;
    c.dir = file_.parent_path();

    const YAML::Node metadata = root["metadata"];
    if (!metadata) fail(root, "metadata", "missing (it holds the function's name)");
    if (!metadata.IsMap()) fail(metadata, "metadata", "expected a mapping");
    if (!metadata["name"]) fail(metadata, "metadata.name", "missing");
    c.name = scalar(metadata["name"], "metadata.name");
    if (c.name.empty()) fail(metadata["name"], "metadata.name", "must not be empty");
    if (metadata["version"]) c.version = scalar(metadata["version"], "metadata.version");

    const YAML::Node spec = root["spec"];
    if (!spec) fail(root, "spec", "missing (it holds the handler)");
    if (!spec.IsMap()) fail(spec, "spec", "expected a mapping");

    if (spec["runtime"]) c.runtime = scalar(spec["runtime"], "spec.runtime");
    if (c.runtime == "c++") c.runtime = "cpp";
    if (c.runtime.starts_with("python")) c.runtime = "python";  // nuclio writes "python:3.9"
    if (c.runtime != "cpp" && c.runtime != "python") {
      fail(spec["runtime"], "spec.runtime", "'" + c.runtime + "' is not supported (supported: cpp, python)");
    }

    if (!spec["handler"]) fail(spec, "spec.handler", "missing (expected 'module:function')");
    c.handler = scalar(spec["handler"], "spec.handler");
    auto colon = c.handler.find(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == c.handler.size() ||
        c.handler.find(':', colon + 1) != std::string::npos) {
      fail(spec["handler"], "spec.handler",
           "'" + c.handler + "' is not of the form 'module:function' (e.g. 'hello:greet')");
    }
    c.module = c.handler.substr(0, colon);
    c.function = c.handler.substr(colon + 1);

    if (spec["build"]) c.build = parse_build(spec["build"], c.dir);
    if (c.runtime == "python" && c.build) fail(spec["build"], "spec.build", "Python functions are not built");
    if (spec["env"]) c.env = parse_env(spec["env"]);
    if (c.runtime == "python") add_python_env(c);
    if (spec["dataBindings"]) c.bindings = parse_bindings(spec["dataBindings"], c.dir);
    if (spec["triggers"]) c.triggers = parse_triggers(spec["triggers"]);
    if (spec["logger"]) c.logger = parse_logger(spec["logger"], c.dir);
    if (spec["eventTimeout"]) {
      auto d = parse_duration(scalar(spec["eventTimeout"], "spec.eventTimeout"));
      if (!d) fail(spec["eventTimeout"], "spec.eventTimeout", d.error().message);
      c.event_timeout = *d;
    }
    return c;
  }

 private:
  BuildSpec parse_build(const YAML::Node& n, const fs::path& dir) const {
    if (!n.IsMap()) fail(n, "spec.build", "expected a mapping with 'path' or 'sources'");
    BuildSpec b;
    b.path = dir;
    if (n["path"]) b.path = (dir / scalar(n["path"], "spec.build.path")).lexically_normal();
    if (n["sources"]) {
      const YAML::Node s = n["sources"];
      if (!s.IsSequence() || s.size() == 0) fail(s, "spec.build.sources", "expected a list of source files");
      for (std::size_t i = 0; i < s.size(); ++i) {
        b.sources.push_back(
            (b.path / scalar(s[i], "spec.build.sources[" + std::to_string(i) + "]")).lexically_normal());
      }
    }
    return b;
  }

  std::vector<std::pair<std::string, std::string>> parse_env(const YAML::Node& n) const {
    std::vector<std::pair<std::string, std::string>> env;
    if (n.IsMap()) {
      for (const auto& kv : n) {
        auto key = kv.first.as<std::string>();
        env.emplace_back(key, scalar(kv.second, "spec.env." + key));
      }
    } else if (n.IsSequence()) {  // nuclio's form: [{name: K, value: V}]
      for (std::size_t i = 0; i < n.size(); ++i) {
        std::string field = "spec.env[" + std::to_string(i) + "]";
        const YAML::Node e = n[i];
        if (!e.IsMap() || !e["name"]) fail(e, field, "expected {name: ..., value: ...}");
        env.emplace_back(scalar(e["name"], field + ".name"),
                         e["value"] ? scalar(e["value"], field + ".value") : std::string());
      }
    } else {
      fail(n, "spec.env", "expected a mapping or a list of {name, value}");
    }
    return env;
  }

  std::vector<BindingSpec> parse_bindings(const YAML::Node& n, const fs::path& dir) const {
    if (!n.IsMap()) fail(n, "spec.dataBindings", "expected a mapping of binding names");
    std::vector<BindingSpec> out;
    for (const auto& kv : n) {
      BindingSpec b;
      b.name = kv.first.as<std::string>();
      std::string field = "spec.dataBindings." + b.name;
      const YAML::Node v = kv.second;
      if (!v.IsMap()) fail(v, field, "expected a mapping with 'kind'");
      if (!v["kind"]) fail(v, field + ".kind", "missing");
      b.kind = scalar(v["kind"], field + ".kind");
      if (v["path"]) b.path = scalar(v["path"], field + ".path");
      if (v["url"]) {
        b.url = scalar(v["url"], field + ".url");
        const auto scheme = b.url.find("://");
        if (b.url.find('@', scheme == std::string::npos ? 0 : scheme) != std::string::npos) {
          fail(v["url"], field + ".url",
               "credentials never go in function.yaml: name them in secret as {env: NAME} or {file: path}");
        }
      }
      if (v["attributes"]) {
        if (!v["attributes"].IsMap()) fail(v["attributes"], field + ".attributes", "expected a mapping");
        b.attributes = yaml_to_json(v["attributes"]);
        if (v["attributes"]["path"]) b.path = scalar(v["attributes"]["path"], field + ".attributes.path");
      }
      if (v["secret"]) {
        b.secret = yaml_to_json(v["secret"]);
        const bool reference = b.secret.is_object() && b.secret.size() == 1 &&
                               ((b.secret.contains("env") && b.secret["env"].is_string()) ||
                                (b.secret.contains("file") && b.secret["file"].is_string()));
        if (!reference) {
          fail(v["secret"], field + ".secret",
               "expected {env: NAME} or {file: path} (secrets never go in function.yaml itself)");
        }
        if (b.secret.contains("file")) {  // relative to the function's folder, as `path` is
          const fs::path f = b.secret["file"].get<std::string>();
          if (f.is_relative()) b.secret["file"] = (dir / f).lexically_normal().string();
        }
      }
      b.base_dir = dir;
      b.origin = display_ + ":" + std::to_string(v["kind"].Mark().line + 1) + ": " + field + ".kind";
      out.push_back(std::move(b));
    }
    return out;
  }

  // spec.logger: {level, sinks: [{kind: console, format: text}, {kind: file, path: f.log}]}: a
  // sink's members besides `kind` are its attributes.
  LoggerSpec parse_logger(const YAML::Node& n, const fs::path& dir) const {
    if (!n.IsMap()) fail(n, "spec.logger", "expected a mapping with 'level' and/or 'sinks'");
    LoggerSpec logger;
    if (n["level"]) {
      logger.level = scalar(n["level"], "spec.logger.level");
      if (*logger.level != "debug" && *logger.level != "info" && *logger.level != "warn" &&
          *logger.level != "error") {
        fail(n["level"], "spec.logger.level",
             "expected debug, info, warn or error, got '" + *logger.level + "'");
      }
    }
    if (const YAML::Node sinks = n["sinks"]) {
      if (!sinks.IsSequence()) fail(sinks, "spec.logger.sinks", "expected a list of {kind, ...}");
      for (std::size_t i = 0; i < sinks.size(); ++i) {
        const std::string field = "spec.logger.sinks[" + std::to_string(i) + "]";
        const YAML::Node v = sinks[i];
        if (!v.IsMap() || !v["kind"]) fail(v, field, "expected a mapping with 'kind' (console, file)");
        LogSinkSpec sink;
        sink.kind = scalar(v["kind"], field + ".kind");
        sink.attributes = yaml_to_json(v);
        sink.attributes.erase("kind");
        sink.origin = display_ + ":" + std::to_string(v.Mark().line + 1) + ": " + field;
        sink.base_dir = dir;
        logger.sinks.push_back(std::move(sink));
      }
    }
    return logger;
  }

  std::vector<TriggerSpec> parse_triggers(const YAML::Node& n) const {
    if (!n.IsMap()) fail(n, "spec.triggers", "expected a mapping of trigger names");
    std::vector<TriggerSpec> out;
    for (const auto& kv : n) {
      TriggerSpec t;
      t.name = kv.first.as<std::string>();
      std::string field = "spec.triggers." + t.name;
      const YAML::Node v = kv.second;
      if (!v.IsMap()) fail(v, field, "expected a mapping with 'kind'");
      if (!v["kind"]) fail(v, field + ".kind", "missing");
      t.kind = scalar(v["kind"], field + ".kind");
      if (v["url"]) t.url = scalar(v["url"], field + ".url");
      for (const char* secret : {"password", "username", "token"}) {
        if (v[secret]) {
          fail(v[secret], field + "." + secret,
               "credentials never go in function.yaml: name them in attributes as {env: NAME} or {file: "
               "path}");
        }
      }
      if (v["numWorkers"]) {
        t.num_workers = integer(v["numWorkers"], field + ".numWorkers");
        if (t.num_workers < 1) fail(v["numWorkers"], field + ".numWorkers", "must be at least 1");
      }
      if (v["attributes"]) {
        if (!v["attributes"].IsMap()) fail(v["attributes"], field + ".attributes", "expected a mapping");
        t.attributes = yaml_to_json(v["attributes"]);  // each trigger kind reads its own
      }
      out.push_back(std::move(t));
    }
    return out;
  }

  fs::path file_;
  std::string display_;
};

}  // namespace

Result<std::chrono::milliseconds> parse_duration(std::string_view text) noexcept {
  try {
    if (text.empty()) return Error{"empty duration"};
    double total_ms = 0;
    std::size_t i = 0;
    while (i < text.size()) {
      std::size_t start = i;
      while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) != 0 || text[i] == '.'))
        ++i;
      if (start == i) return Error{"'" + std::string(text) + "' is not a duration (e.g. 500ms, 30s, 1m30s)"};
      double value = std::stod(std::string(text.substr(start, i - start)));
      std::size_t unit_start = i;
      while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i])) != 0) ++i;
      std::string_view unit = text.substr(unit_start, i - unit_start);
      double scale = 0;
      if (unit == "ms")
        scale = 1;
      else if (unit == "s")
        scale = 1000;
      else if (unit == "m")
        scale = 60'000;
      else if (unit == "h")
        scale = 3'600'000;
      else
        return Error{"'" + std::string(text) + "' is not a duration (units: ms, s, m, h)"};
      total_ms += value * scale;
    }
    return std::chrono::milliseconds(static_cast<std::int64_t>(total_ms));
  } catch (const std::exception&) {
    return Error{"'" + std::string(text) + "' is not a duration"};
  }
}

Result<FunctionConfig> parse_function_config(std::string_view yaml, const fs::path& file) noexcept {
  const std::string display = file.string();
  try {
    YAML::Node root = YAML::Load(std::string(yaml));
    return Parser(fs::absolute(file).lexically_normal(), display).parse(root);
  } catch (const ConfigError& e) {
    return Error{e.message};
  } catch (const YAML::Exception& e) {
    return Error{display + ":" + std::to_string(e.mark.line + 1) + ": invalid YAML: " + e.msg};
  } catch (const std::exception& e) {
    return Error{display + ": " + e.what()};
  }
}

Result<FunctionConfig> load_function_config(const fs::path& file) noexcept {
  try {
    std::error_code ec;
    if (fs::is_directory(file, ec)) {
      return Error{file.string() + ": is a directory (expected a function.yaml)"};
    }
    std::ifstream in(file, std::ios::binary);
    if (!in) return Error{file.string() + ": cannot read (" + std::strerror(errno) + ")"};
    std::stringstream text;
    text << in.rdbuf();
    return parse_function_config(text.str(), file);
  } catch (const std::exception& e) {
    return Error{file.string() + ": " + e.what()};
  }
}

Result<FunctionConfig> python_function_config(const fs::path& module_file,
                                              const std::string& function) noexcept {
  try {
    std::error_code ec;
    if (!fs::is_regular_file(module_file, ec)) return Error{module_file.string() + ": no such file"};
    if (function.empty()) {
      return Error{module_file.string() + ": name the handler, e.g. " + module_file.string() + ":handler"};
    }
    FunctionConfig c;
    c.file = fs::absolute(module_file).lexically_normal();
    c.dir = c.file.parent_path();
    c.runtime = "python";
    c.module = module_file.stem().string();
    c.function = function;
    c.handler = c.module + ":" + function;
    c.name = c.module;
    add_python_env(c);
    return c;
  } catch (const std::exception& e) {
    return Error{module_file.string() + ": " + e.what()};
  }
}

Result<std::string> secret_value(const Json& value, const std::string& where) noexcept {
  try {
    if (value.is_null()) return std::string();
    if (value.is_object() && value.size() == 1 && value.contains("env") && value["env"].is_string()) {
      const std::string name = value["env"].get<std::string>();
      const char* text = std::getenv(name.c_str());
      if (text == nullptr) return Error{where + ": the environment variable " + name + " is not set"};
      return std::string(text);
    }
    if (value.is_object() && value.size() == 1 && value.contains("file") && value["file"].is_string()) {
      const std::string path = value["file"].get<std::string>();
      std::ifstream in(path, std::ios::binary);
      if (!in) return Error{where + ": cannot read the secret file " + path};
      std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      if (!text.empty() && text.back() == '\n') text.pop_back();
      return text;
    }
    return Error{where + ": expected {env: NAME} or {file: path} (secrets never go in function.yaml itself)"};
  } catch (const std::exception& e) {
    return Error{where + ": " + e.what()};
  }
}

}  // namespace nimbus::engine
