#pragma once
// Adaptive spinning before sleeping: a waiter that was woken soon after it
// went to sleep would have done better to spin a little; one that spun in
// vain burned a core that its peer (or the load generator) may have needed.
// The budget follows what the last waits saw, within [0, max].

#include <sched.h>

#include <algorithm>
#include <chrono>

namespace nimbus::detail {

inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

class AdaptiveSpin {
 public:
  using clock = std::chrono::steady_clock;
  explicit AdaptiveSpin(std::chrono::nanoseconds max) noexcept : max_(max), budget_(max / 4) {}

  /// Spins until `ready()` or the budget runs out; true when ready. A
  /// spin that succeeds keeps the budget; one that fails shrinks it fast.
  template <class Ready>
  bool spin(Ready&& ready) noexcept {
    if (ready()) return true;
    if (budget_.count() == 0) return false;
    const auto until = clock::now() + budget_;
    do {
      for (int i = 0; i < 16; ++i) cpu_relax();
      if (ready()) return true;
      // Give the core away if anyone else wants it: with more runnable
      // threads than cores (the load generator, the loop, other workers),
      // the peer we wait for may be the one waiting for this core.
      sched_yield();
      if (ready()) return true;
    } while (clock::now() < until);
    budget_ /= 4;
    return false;
  }

  /// After sleeping `slept` (from the end of a failed spin to the wake-up):
  /// a short sleep means spinning that long would have caught it, so the
  /// budget grows towards it; a long one changes nothing.
  void slept(std::chrono::nanoseconds slept) noexcept {
    if (slept < max_) budget_ = std::min(max_, std::max(budget_ * 2, slept + slept / 2));
  }

  [[nodiscard]] std::chrono::nanoseconds budget() const noexcept { return budget_; }

 private:
  std::chrono::nanoseconds max_;
  std::chrono::nanoseconds budget_;
};

}  // namespace nimbus::detail
