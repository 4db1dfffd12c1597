#pragma once
// Conversions between Python values and the C++ SDK's: text (bytes that are
// not UTF-8 survive as surrogate escapes, both ways), JSON values, bodies and
// log records. Shared by the extension module and the embedded runtime.
#include <pybind11/pybind11.h>

#include <chrono>
#include <nimbus/json.hpp>
#include <nimbus/logger.hpp>
#include <string>
#include <string_view>

namespace nimbus::python {

namespace py = pybind11;

/// `s` as a Python str; bytes that are not UTF-8 become surrogate escapes.
inline py::str to_str(std::string_view s) {
  PyObject* o = PyUnicode_DecodeUTF8(s.data(), static_cast<Py_ssize_t>(s.size()), "surrogateescape");
  if (o == nullptr) throw py::error_already_set();
  return py::reinterpret_steal<py::str>(o);
}

/// A Python str as UTF-8 bytes (surrogate escapes back to their bytes).
inline std::string from_str(const py::handle& s) {
  PyObject* b = PyUnicode_AsEncodedString(s.ptr(), "utf-8", "surrogateescape");
  if (b == nullptr) throw py::error_already_set();
  auto bytes = py::reinterpret_steal<py::bytes>(b);
  return std::string(bytes);
}

/// A body given as bytes, bytearray, memoryview or str, as bytes.
inline std::string body_bytes(const py::handle& v) {
  if (PyBytes_Check(v.ptr())) {
    char* data = nullptr;
    Py_ssize_t size = 0;
    PyBytes_AsStringAndSize(v.ptr(), &data, &size);
    return {data, static_cast<std::size_t>(size)};
  }
  if (PyUnicode_Check(v.ptr())) return from_str(v);
  if (PyByteArray_Check(v.ptr()) || PyMemoryView_Check(v.ptr())) {
    return std::string(py::bytes(py::reinterpret_borrow<py::object>(v)));
  }
  throw py::type_error(std::string("expected bytes or str, got ") + Py_TYPE(v.ptr())->tp_name);
}

/// A Python value as JSON: dicts, lists, tuples, str, int, float, bool and
/// None as themselves; anything else as its str().
inline Json to_json(const py::handle& v) {
  if (v.is_none()) return nullptr;
  if (PyBool_Check(v.ptr())) return v.cast<bool>();
  if (PyLong_Check(v.ptr())) {
    int overflow = 0;
    const long long i = PyLong_AsLongLongAndOverflow(v.ptr(), &overflow);
    if (overflow == 0) return static_cast<std::int64_t>(i);
    return from_str(py::str(v));
  }
  if (PyFloat_Check(v.ptr())) return v.cast<double>();
  if (PyUnicode_Check(v.ptr())) return from_str(v);
  if (PyDict_Check(v.ptr())) {
    Json o = Json::object();
    for (const auto& [k, item] : py::reinterpret_borrow<py::dict>(v)) o[from_str(py::str(k))] = to_json(item);
    return o;
  }
  if (PyList_Check(v.ptr()) || PyTuple_Check(v.ptr())) {
    Json a = Json::array();
    for (const auto& item : v) a.push_back(to_json(item));
    return a;
  }
  if (PyBytes_Check(v.ptr())) return body_bytes(v);
  return from_str(py::str(v));
}

/// A JSON value as Python.
inline py::object from_json(const Json& j) {
  switch (j.type()) {
    case Json::value_t::null:
      return py::none();
    case Json::value_t::boolean:
      return py::bool_(j.get<bool>());
    case Json::value_t::number_integer:
      return py::int_(j.get<std::int64_t>());
    case Json::value_t::number_unsigned:
      return py::int_(j.get<std::uint64_t>());
    case Json::value_t::number_float:
      return py::float_(j.get<double>());
    case Json::value_t::string:
      return to_str(j.get_ref<const std::string&>());
    case Json::value_t::array: {
      py::list l;
      for (const auto& item : j) l.append(from_json(item));
      return l;
    }
    case Json::value_t::object: {
      py::dict d;
      for (const auto& [k, item] : j.items()) d[to_str(k)] = from_json(item);
      return d;
    }
    default:
      return py::none();
  }
}

/// A log record as a dict: level, message, fields, logger, time (seconds).
inline py::dict record_dict(const LogRecord& r) {
  py::dict d;
  d["level"] = std::string(to_string(r.level));
  d["message"] = to_str(r.message);
  d["fields"] = from_json(r.fields);
  d["logger"] = to_str(r.logger);
  d["time"] = std::chrono::duration<double>(r.time.time_since_epoch()).count();
  return d;
}

}  // namespace nimbus::python
