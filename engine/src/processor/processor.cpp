// The processor: one thread runs an edge-triggered epoll loop for every
// trigger and the admin port. Each trigger hands its events to its own pool
// of workers (a Dispatcher in event-loop mode), so a loop iteration's events
// reach each worker with one wake-up and the workers' answers wake the same
// loop through one eventfd. docs/architecture.md ("The processor") explains
// the choices.

#include "nimbus/engine/processor.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cerrno>
#include <cstring>

#include "../util/allocator.hpp"
#include "../util/spin.hpp"
#include "admin.hpp"
#include "metrics.hpp"

namespace nimbus::engine {
namespace {

// A pool's request ids start at (index << 48) + 1: unique across the processor's pools.
constexpr unsigned kRequestIdShift = 48;

// The eventfd the workers write when they answer while the loop sleeps.
struct Notify final : EventLoop::Watcher {
  int fd = -1;
  void on_ready(std::uint32_t /*events*/) override {
    eventfd_t value = 0;
    eventfd_read(fd, &value);  // the workers are polled after the wait
  }
};

}  // namespace

struct Processor::Impl {
  // One trigger and the workers that run its events; it is the trigger's submitter.
  struct Pool final : Submitter {
    Impl* processor = nullptr;
    std::unique_ptr<Trigger> trigger;
    DispatcherOptions options;
    std::unique_ptr<Dispatcher> dispatcher;

    void submit(const Event& event, std::string_view /*origin*/, Done done) override {
      dispatcher->submit(event, std::move(done));
    }
    void submit_in_lane(std::uint64_t lane, const Event& event, std::string_view /*origin*/,
                        Done done) override {
      dispatcher->submit_in_lane(lane, event, std::move(done));
    }
    void reject(std::string_view /*origin*/, std::string_view why) override {
      processor->say(LogLevel::kWarn, trigger->spec().name, std::string(why));  // `why` names where
    }
    void notice(std::string_view message, bool warning) override {
      processor->say(warning ? LogLevel::kWarn : LogLevel::kInfo, trigger->spec().name, std::string(message));
    }
  };

  ProcessorOptions o;
  std::unique_ptr<EventLoop> loop;
  Notify notify;
  std::vector<std::unique_ptr<Pool>> pools;
  std::unique_ptr<detail::AdminPort> admin;
  std::vector<std::unique_ptr<LogEntrySink>> sinks;
  std::atomic<bool> stop_requested{false};
  bool draining = false;

  ~Impl() {
    for (auto& p : pools) p->dispatcher.reset();  // waits for what is in flight
    flush_logs();                                 // what the last answers logged
    pools.clear();
    admin.reset();
    if (notify.fd >= 0) close(notify.fd);
  }

  // A line of the processor's own about a trigger, among the function's log lines.
  void say(LogLevel level, std::string_view trigger, const std::string& message) {
    note(level, "nimbus.triggers." + std::string(trigger), message);
  }
  // A line of the processor's own from `logger`.
  void note(LogLevel level, const std::string& logger, const std::string& message) {
    LogEntry e;
    e.worker = -1;
    e.level = level;
    e.time = std::chrono::system_clock::now();
    e.message = message;
    e.logger = logger;
    log(e);
  }

  // The function's log level in every worker: what PUT /loglevel set last, else the start's.
  [[nodiscard]] LogLevel log_level() const noexcept {
    for (const auto& p : pools) {
      if (p->dispatcher) return p->dispatcher->log_level();
    }
    return pools.empty() ? LogLevel::kInfo : pools.front()->options.worker.log_level;
  }
  void set_log_level(LogLevel level) {
    for (auto& p : pools) {
      if (p->dispatcher) p->dispatcher->set_log_level(level);
    }
    note(LogLevel::kInfo, "nimbus.admin", "log level set to " + std::string(to_string(level)));
  }
  // Writes `e`, named with the function and version, to every sink.
  void log(LogEntry e) {
    e.function = o.function_name;
    e.version = o.function_version;
    for (auto& sink : sinks) sink->write(e);
  }
  void flush_logs() noexcept {
    for (auto& sink : sinks) sink->flush();
  }

  [[nodiscard]] std::size_t in_flight() const noexcept {
    std::size_t n = 0;
    for (const auto& p : pools) n += p->dispatcher->in_flight();
    return n;
  }
  [[nodiscard]] std::size_t records_due() const noexcept {
    std::size_t n = 0;
    for (const auto& p : pools) n += p->dispatcher->records_due();
    return n;
  }
  [[nodiscard]] bool answers_waiting() const noexcept {
    return std::any_of(pools.begin(), pools.end(),
                       [](const auto& p) { return p->dispatcher->answers_waiting(); });
  }
  // Before the loop's wait: true when every pool may sleep (its workers will write the eventfd).
  bool prepare_sleep() noexcept {
    for (std::size_t i = 0; i < pools.size(); ++i) {
      if (!pools[i]->dispatcher->prepare_sleep()) {
        for (std::size_t j = 0; j < i; ++j) pools[j]->dispatcher->end_sleep();
        return false;
      }
    }
    return true;
  }
  void end_sleep() noexcept {
    for (auto& p : pools) p->dispatcher->end_sleep();
  }
  void flush_pools() noexcept {
    for (auto& p : pools) p->dispatcher->flush();  // one wake-up per worker that was given events
  }

  std::string metrics() const {
    std::vector<detail::TriggerFigures> figures;
    figures.reserve(pools.size());
    for (const auto& p : pools) {
      figures.push_back({p->trigger->spec().name, &p->trigger->stats(), p->dispatcher->restarts(),
                         p->dispatcher->in_flight(), p->options.num_workers});
    }
    std::vector<detail::SinkFigures> sink_figures;
    for (std::size_t i = 0; i < sinks.size(); ++i) {
      sink_figures.push_back({o.log_sinks[i].kind, i, sinks[i]->dropped()});
    }
    engine::MetricTotals function_metrics;
    for (const auto& p : pools) function_metrics.add(p->dispatcher->metrics());
    return detail::render_metrics(figures, sink_figures, ready(), {o.function_name, &function_metrics});
  }

  // Ready: not draining, and every trigger can take events (its broker is reachable).
  [[nodiscard]] bool ready() const {
    return !draining &&
           std::all_of(pools.begin(), pools.end(), [](const auto& p) { return p->trigger->ready(); });
  }

  Result<void> open(ProcessorOptions options);
  void begin_drain();
  bool finished() const;
  void run();
  Result<void> open_sinks();  // the log sinks o.log_sinks names
};

Result<void> Processor::Impl::open_sinks() {
  LogSinkRegistry builtin_sinks;
  if (o.log_sink_registry == nullptr) register_builtin_log_sinks(builtin_sinks);
  const LogSinkRegistry& sink_kinds = o.log_sink_registry != nullptr ? *o.log_sink_registry : builtin_sinks;
  for (const auto& spec : o.log_sinks) {
    auto sink = sink_kinds.make(spec);
    if (!sink) return sink.error();
    sinks.push_back(std::move(*sink));
  }
  return {};
}

Result<void> Processor::Impl::open(ProcessorOptions options) {
  o = std::move(options);
  if (o.triggers.empty()) return Error{"no triggers to serve"};
  auto made = EventLoop::create();
  if (!made) return made.error();
  loop = std::move(*made);
  loop->on_error([this](const std::string& what) { say(LogLevel::kError, "loop", what); });
  notify.fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (notify.fd < 0) return Error{std::string("eventfd: ") + std::strerror(errno)};
  if (auto ok = loop->watch(notify.fd, EPOLLIN, &notify); !ok) return ok.error();
  if (auto ok = open_sinks(); !ok) return ok.error();

  // Every trigger takes its resources (ports, files) before any worker starts.
  TriggerRegistry builtin;
  if (o.registry == nullptr) register_builtin_triggers(builtin);
  const TriggerRegistry& registry = o.registry != nullptr ? *o.registry : builtin;
  TriggerEnvironment environment;
  environment.host = o.host;
  environment.standard_input = o.standard_input;
  for (const ServedTrigger& served : o.triggers) {
    auto pool = std::make_unique<Pool>();
    pool->processor = this;
    auto trigger = registry.make(served.spec, environment);
    if (!trigger) {
      const std::string& origin = served.origin;
      return Error{origin.empty() ? trigger.error().message : origin + ": " + trigger.error().message};
    }
    pool->trigger = std::move(*trigger);
    if (auto ok = pool->trigger->open(*loop); !ok) return ok.error();
    pool->options = served.pool;
    pools.push_back(std::move(pool));
  }
  auto admin_port = detail::AdminPort::listen(
      o.host, o.admin_port, *loop,
      {[this] { return ready(); }, [this] { return metrics(); }, [this] { return log_level(); },
       [this](LogLevel level) { set_log_level(level); }, o.admin_token});
  if (!admin_port) return admin_port.error();
  admin = std::move(*admin_port);

  // The pools: rings with room for the trigger's largest event several times over.
  std::uint64_t index = 0;
  for (auto& pool : pools) {
    Pool& p = *pool;
    DispatcherOptions& d = p.options;
    d.notify_fd = notify.fd;
    d.clock = [loop = loop.get()] { return loop->now(); };
    d.tap = o.tap;
    d.first_request_id = (index++ << kRequestIdShift) + 1;
    d.worker.request_ring_bytes =
        std::bit_ceil(std::max<std::size_t>(std::size_t{4} << 20, 4 * p.trigger->max_event_bytes()));
    if (!sinks.empty()) {
      d.on_log = [this, trigger = &p.trigger->spec()](const LogEntry& e) {
        LogEntry named = e;
        named.trigger = trigger->name;
        named.trigger_kind = trigger->kind;
        log(named);
      };
    }
    d.on_stream_ack = [this, &p](const QualifiedOffset& q) {
      if (!p.trigger->explicit_ack(q)) {
        say(LogLevel::kWarn, p.trigger->spec().name,
            "explicit_ack of " + q.topic + "[" + std::to_string(q.partition) + "] offset " +
                std::to_string(q.offset) +
                ": not a topic of this trigger, or its explicitAckMode is disable");
      }
    };
    auto dispatcher = Dispatcher::start(d);
    if (!dispatcher) {
      return Error{"trigger '" + p.trigger->spec().name + "': " + dispatcher.error().message};
    }
    p.dispatcher = std::move(*dispatcher);
  }
  flush_logs();  // the init hooks' logs
  for (auto& p : pools) p->trigger->start(*p);
  if (auto ok = admin->start(); !ok) return ok.error();
  return {};
}

void Processor::Impl::begin_drain() {
  draining = true;
  for (auto& p : pools) p->trigger->drain();  // new connections are refused; idle ones close
}

// Done: drained after a stop; or every trigger a finite source that ran out and was answered.
bool Processor::Impl::finished() const {
  const bool quiet = in_flight() == 0 && records_due() == 0;
  if (!quiet) return false;
  if (draining) {
    return std::all_of(pools.begin(), pools.end(), [](const auto& p) { return p->trigger->idle(); });
  }
  return std::all_of(pools.begin(), pools.end(),
                     [](const auto& p) { return p->trigger->exhausted() && p->trigger->idle(); });
}

void Processor::Impl::run() {
  auto drain_deadline = std::chrono::steady_clock::time_point::max();
  auto next_tick = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  std::chrono::milliseconds longest_timeout{0};
  for (const auto& p : pools) longest_timeout = std::max(longest_timeout, p->options.event_timeout);
  // While events are in flight, spin briefly for their answers before sleeping.
  detail::AdaptiveSpin spin(std::chrono::microseconds(50));
  for (auto& p : pools) p->trigger->after_poll();  // a finite source hands over its first events
  flush_pools();
  for (;;) {
    if (stop_requested.load(std::memory_order_relaxed) && !draining) {
      begin_drain();
      drain_deadline = std::chrono::steady_clock::now() + longest_timeout + std::chrono::seconds(2);
    }
    if (finished() || std::chrono::steady_clock::now() > drain_deadline) break;
    bool spun = false;
    if (in_flight() > 0) spun = spin.spin([&] { return answers_waiting(); });
    // Sleep only when no answer is waiting; while events are in flight,
    // wake every few milliseconds to notice timeouts and crashes.
    int wait_ms = 0;
    if (!spun && o.tap != nullptr) o.tap->idle();
    const bool sleeping = !spun && prepare_sleep();
    if (sleeping) wait_ms = in_flight() > 0 || draining ? 5 : 1000;
    const auto slept_at = detail::AdaptiveSpin::clock::now();
    loop->wait(wait_ms);  // the triggers parse and hand over what arrived
    if (sleeping) {
      end_sleep();
      if (answers_waiting()) spin.slept(detail::AdaptiveSpin::clock::now() - slept_at);
    }
    flush_pools();        // one wake-up per worker for this iteration's events
    loop->update_time();  // the answers' time
    for (auto& p : pools) p->dispatcher->poll();
    loop->update_time();                             // the time of the events the triggers take now
    for (auto& p : pools) p->trigger->after_poll();  // one write per connection for this iteration's answers
    admin->after_poll();
    flush_pools();  // what the triggers handed over after the answers (the next event of a file)
    flush_logs();
    if (auto now = loop->now(); now > next_tick) {
      for (auto& p : pools) p->trigger->tick(now);
      admin->tick(now);
      next_tick = now + std::chrono::seconds(1);
    }
  }
  flush_logs();
  if (o.tap != nullptr) o.tap->idle();
}

Processor::Processor(std::unique_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}
Processor::~Processor() = default;

int Processor::admin_port() const noexcept { return impl_->admin->port(); }

int Processor::port() const noexcept {
  for (const auto& p : impl_->pools) {
    if (p->trigger->spec().kind == "http") return p->trigger->describe().value("port", -1);
  }
  return -1;
}

Json Processor::describe_triggers() const {
  Json out = Json::array();
  for (const auto& p : impl_->pools) {
    Json t{{"name", p->trigger->spec().name},
           {"kind", p->trigger->spec().kind},
           {"workers", p->options.num_workers},
           {"workerMode", p->options.worker.mode == WorkerMode::kThread ? "thread" : "process"}};
    const Json said = p->trigger->describe();  // kept: items() views it
    for (const auto& [k, v] : said.items()) t[k] = v;
    out.push_back(std::move(t));
  }
  return out;
}

void Processor::run() { impl_->run(); }

void Processor::request_stop() noexcept {
  impl_->stop_requested.store(true);
  eventfd_write(impl_->notify.fd, 1);
}

Result<std::unique_ptr<Processor>> Processor::start(ProcessorOptions options) noexcept {
  try {
    util::keep_freed_memory();  // before any trigger's client allocates
    auto impl = std::make_unique<Impl>();
    if (auto ok = impl->open(std::move(options)); !ok) return ok.error();
    return std::unique_ptr<Processor>(new Processor(std::move(impl)));
  } catch (const std::exception& e) {
    return Error{std::string("starting the processor: ") + e.what()};
  }
}

}  // namespace nimbus::engine
