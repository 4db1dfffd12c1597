// The embedded Python runtime: a function library like any C++ function's,
// whose one entry, `python`, runs a Python handler. The emulator loads it
// into its own process and the engine into each worker process, so a Python
// function gets the same Context, Event, logger, bindings, recording and
// replay as a C++ one. One interpreter per process; the thread that runs a
// worker keeps its Python thread state across events and holds the GIL only
// while Python runs (docs/architecture.md, "Python functions").
#include <Python.h>
#include <dlfcn.h>

#include <array>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <mutex>
#include <nimbus/nimbus.hpp>
#include <stdexcept>
#include <string>

namespace nimbus::python_host {
namespace {

// Python objects this library keeps are never released: the interpreter is
// not finalized (the process ends with its worker), so nothing runs Python
// code from static destructors.
struct Interpreter {
  PyInterpreterState* state = nullptr;
  std::map<const Context*, PyObject*> workers;  // nimbus._host.Worker.invoke of each context; under the GIL
};
Interpreter* interpreter = nullptr;
std::mutex start_mutex;

thread_local PyThreadState* thread_state = nullptr;

std::string env(const char* name, const char* fallback = "") {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? v : fallback;
}

// The current Python exception as "Type: message" (or its message alone for
// nimbus's own errors, which name what was wrong); clears it.
std::string python_error() {
  PyObject* type = nullptr;
  PyObject* value = nullptr;
  PyObject* traceback = nullptr;
  PyErr_Fetch(&type, &value, &traceback);
  PyErr_NormalizeException(&type, &value, &traceback);
  std::string text = "unknown Python error";
  if (value != nullptr) {
    PyObject* s = PyObject_Str(value);
    const char* name = type != nullptr ? reinterpret_cast<PyTypeObject*>(type)->tp_name : "";
    const std::string message = s != nullptr ? PyUnicode_AsUTF8(s) : "";
    text = std::string(name) == "HandlerError" ? message : std::string(name) + ": " + message;
    Py_XDECREF(s);
  }
  Py_XDECREF(type);
  Py_XDECREF(value);
  Py_XDECREF(traceback);
  return text;
}

// Starts the interpreter of this process (once): the Python the nimbus
// package was installed for, with that package first on sys.path.
void start_interpreter() {
  std::lock_guard lock(start_mutex);
  if (interpreter != nullptr) return;
  // This library was loaded privately (RTLD_LOCAL); extension modules need
  // libpython's symbols global, as in the python executable.
  Dl_info info{};
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): the address of a libpython function
  if (dladdr(reinterpret_cast<void*>(&Py_InitializeFromConfig), &info) == 0 ||
      dlopen(info.dli_fname, RTLD_NOW | RTLD_GLOBAL | RTLD_NOLOAD) == nullptr) {
    throw std::runtime_error("cannot make libpython's symbols global for extension modules");
  }
  PyConfig config;
  PyConfig_InitPythonConfig(&config);
  config.install_signal_handlers = 0;  // the host owns SIGTERM and SIGINT
  config.parse_argv = 0;
  const std::string program = env("NIMBUS_PYTHON", NIMBUS_PYTHON_EXECUTABLE);
  PyStatus status = PyConfig_SetBytesString(&config, &config.program_name, program.c_str());
  if (!PyStatus_Exception(status)) status = Py_InitializeFromConfig(&config);
  PyConfig_Clear(&config);
  if (PyStatus_Exception(status)) {
    throw std::runtime_error("cannot start Python (" + program +
                             "): " + (status.err_msg != nullptr ? status.err_msg : "unknown error"));
  }
  // The package beside this runtime first; a handler's prints go to stderr, never into nimbus's output.
  const std::string package = env("NIMBUS_PYTHON_PATH", NIMBUS_PYTHON_PACKAGE_DIR);
  const std::string setup =
      "import sys\nsys.path.insert(0, " + std::string("'") + package + "')\nsys.stdout = sys.stderr\n";
  if (PyRun_SimpleString(setup.c_str()) != 0) throw std::runtime_error("cannot set up Python's sys.path");
  interpreter = new Interpreter{PyInterpreterState_Get(), {}};  // NOLINT(cppcoreguidelines-owning-memory)
  thread_state = PyEval_SaveThread();
}

// Holds the GIL on this thread, with the thread's own state kept across events.
class Gil {
 public:
  Gil() {
    if (thread_state == nullptr) thread_state = PyThreadState_New(interpreter->state);
    PyEval_RestoreThread(thread_state);
  }
  ~Gil() { PyEval_SaveThread(); }
  Gil(const Gil&) = delete;
  Gil& operator=(const Gil&) = delete;
  Gil(Gil&&) = delete;
  Gil& operator=(Gil&&) = delete;
};

void init(Context& ctx) {
  const std::string handler = env("NIMBUS_PYTHON_HANDLER");
  if (handler.empty()) {
    throw std::runtime_error("NIMBUS_PYTHON_HANDLER is not set: run Python functions from a function.yaml");
  }
  start_interpreter();
  Gil gil;
  PyObject* host = PyImport_ImportModule("nimbus._host");
  if (host == nullptr) throw std::runtime_error("cannot import the nimbus package: " + python_error());
  const long port = std::strtol(env("NIMBUS_DEBUG_PORT", "0").c_str(), nullptr, 10);
  const std::string python = env("NIMBUS_PYTHON", NIMBUS_PYTHON_EXECUTABLE);
  PyObject* worker = PyObject_CallMethod(
      host, "start", "Kssls", static_cast<unsigned long long>(reinterpret_cast<std::uintptr_t>(&ctx)),
      handler.c_str(), env("NIMBUS_FUNCTION_DIR").c_str(), port, python.c_str());
  Py_DECREF(host);
  if (worker == nullptr) throw std::runtime_error(python_error());
  PyObject* invoke = PyObject_GetAttrString(worker, "invoke");  // bound once, called per event
  PyObject* signal = PyObject_GetAttrString(worker, "signal");  // context.platform's drain and termination
  Py_DECREF(worker);
  if (invoke == nullptr || signal == nullptr) throw std::runtime_error(python_error());
  interpreter->workers[&ctx] = invoke;
  for (const char* kind : {"drain", "termination"}) {
    auto callback = [signal, kind] {
      Gil held;
      PyObject* done = PyObject_CallFunction(signal, "s", kind);
      if (done == nullptr) throw std::runtime_error(python_error());
      Py_DECREF(done);
    };
    if (std::string_view(kind) == "drain") {
      ctx.platform().set_drain_callback(callback);
    } else {
      ctx.platform().set_termination_callback(callback);
    }
  }
}

Response to_response(PyObject* answer) {
  // (status, content_type, headers: [(name, value)], body: bytes), from nimbus._response.to_response.
  if (!PyTuple_Check(answer) || PyTuple_Size(answer) != 4)
    throw std::runtime_error("bad answer from nimbus._host");
  const long status = PyLong_AsLong(PyTuple_GetItem(answer, 0));
  Py_ssize_t size = 0;
  const char* type = PyUnicode_AsUTF8AndSize(PyTuple_GetItem(answer, 1), &size);
  char* body = nullptr;
  Py_ssize_t body_size = 0;
  if (type == nullptr || PyBytes_AsStringAndSize(PyTuple_GetItem(answer, 3), &body, &body_size) != 0) {
    throw std::runtime_error("bad answer from nimbus._host: " + python_error());
  }
  Response r = Response::bytes(std::string(body, static_cast<std::size_t>(body_size)),
                               std::string(type, static_cast<std::size_t>(size)), static_cast<int>(status));
  PyObject* headers = PyTuple_GetItem(answer, 2);
  for (Py_ssize_t i = 0; i < PyList_Size(headers); ++i) {
    PyObject* pair = PyList_GetItem(headers, i);
    const char* name = PyUnicode_AsUTF8(PyTuple_GetItem(pair, 0));
    const char* value = PyUnicode_AsUTF8(PyTuple_GetItem(pair, 1));
    if (name == nullptr || value == nullptr) throw std::runtime_error("bad header: " + python_error());
    r.with_header(name, value);
  }
  return r;
}

Response handle(Context& ctx, const Event& event) {
  Gil gil;
  auto it = interpreter->workers.find(&ctx);
  if (it == interpreter->workers.end()) throw std::runtime_error("the Python function was not initialized");
  const auto bytes = event.bytes();
  // The event's address and size: Python reads it in place, for this call only.
  std::array<PyObject*, 2> args{PyLong_FromUnsignedLongLong(static_cast<unsigned long long>(
                                    reinterpret_cast<std::uintptr_t>(bytes.data()))),
                                PyLong_FromSsize_t(static_cast<Py_ssize_t>(bytes.size()))};
  PyObject* answer = args[0] != nullptr && args[1] != nullptr
                         ? PyObject_Vectorcall(it->second, args.data(), args.size(), nullptr)
                         : nullptr;
  Py_XDECREF(args[0]);
  Py_XDECREF(args[1]);
  if (answer == nullptr) throw std::runtime_error(python_error());
  try {
    Response r = to_response(answer);
    Py_DECREF(answer);
    return r;
  } catch (...) {
    Py_DECREF(answer);
    throw;
  }
}

}  // namespace
}  // namespace nimbus::python_host

extern "C" __attribute__((visibility("default"))) const ::nimbus::detail::FunctionEntry*
nimbus_function_python() noexcept {
  static const ::nimbus::detail::FunctionEntry entry{::nimbus::detail::kAbiVersion,
                                                     sizeof(::nimbus::detail::FunctionEntry),
                                                     "python",
                                                     NIMBUS_SDK_VERSION,
                                                     &::nimbus::python_host::handle,
                                                     &::nimbus::python_host::init};
  return &entry;
}
