#pragma once
// The dispatcher's table of a worker's events in flight (engine/src/workers/dispatcher.cpp).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <utility>
#include <vector>

namespace nimbus::engine::workers {

// A slot's events in flight by request id, in submission order. A worker answers in that order,
// so the answer is nearly always the first: a circular buffer with the map's interface, searched
// from the front, that allocates only when it grows (a std::map's node per event was one
// allocation and its rebalancing; a deque's blocks were one per eight events, and in bench/streams
// its pushes and pops were a tenth of the loop thread's time).
template <class T>
class InFlight {
 public:
  using Entry = std::pair<std::uint64_t, T>;
  class iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = Entry;
    using difference_type = std::ptrdiff_t;
    using pointer = Entry*;
    using reference = Entry&;
    iterator() = default;
    iterator(InFlight* q, std::size_t i) noexcept : q_(q), i_(i) {}
    Entry& operator*() const noexcept { return q_->at(i_); }
    Entry* operator->() const noexcept { return &q_->at(i_); }
    iterator& operator++() noexcept {
      ++i_;
      return *this;
    }
    iterator operator++(int) noexcept { return iterator(q_, i_++); }
    bool operator==(const iterator& o) const noexcept { return i_ == o.i_; }
    [[nodiscard]] std::size_t index() const noexcept { return i_; }

   private:
    InFlight* q_ = nullptr;
    std::size_t i_ = 0;
  };
  iterator begin() noexcept { return {this, 0}; }
  iterator end() noexcept { return {this, size_}; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  iterator find(std::uint64_t id) noexcept {
    const std::size_t i = lower_bound(id);
    return i < size_ && at(i).first == id ? iterator(this, i) : end();
  }
  [[nodiscard]] bool contains(std::uint64_t id) noexcept { return find(id) != end(); }
  // Ids come in increasing order but for a thread that took its id before another took the lock.
  void emplace(std::uint64_t id, T value) {
    if (size_ == slots_.size()) grow();
    std::size_t i = size_ == 0 || at(size_ - 1).first < id ? size_ : lower_bound(id);
    for (std::size_t j = size_; j > i; --j) at(j) = std::move(at(j - 1));
    at(i) = Entry(id, std::move(value));
    ++size_;
  }
  iterator erase(iterator it) {
    const std::size_t i = it.index();
    if (i == 0) {
      at(0) = Entry();  // what it held goes now, not when the slot is reused
      head_ = (head_ + 1) & (slots_.size() - 1);
    } else {
      for (std::size_t j = i; j + 1 < size_; ++j) at(j) = std::move(at(j + 1));
      at(size_ - 1) = Entry();
    }
    --size_;
    return {this, i};
  }

 private:
  Entry& at(std::size_t i) noexcept { return slots_[(head_ + i) & (slots_.size() - 1)]; }
  std::size_t lower_bound(std::uint64_t id) noexcept {
    if (size_ > 0 && at(0).first >= id) return 0;
    std::size_t lo = 0;
    std::size_t hi = size_;
    while (lo < hi) {
      const std::size_t mid = lo + (hi - lo) / 2;
      if (at(mid).first < id) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }
  void grow() {
    std::vector<Entry> bigger(std::max<std::size_t>(64, slots_.size() * 2));
    for (std::size_t i = 0; i < size_; ++i) bigger[i] = std::move(at(i));
    slots_ = std::move(bigger);
    head_ = 0;
  }

  std::vector<Entry> slots_;  // a power of two long
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

}  // namespace nimbus::engine::workers
