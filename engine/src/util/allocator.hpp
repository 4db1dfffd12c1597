#pragma once
// How the engine's processes use glibc's allocator. Stream clients allocate
// and free on different threads (librdkafka's fetcher allocates a message,
// the processor's loop frees it): with glibc's defaults every free that
// leaves more than 128 KiB at the top of a thread's arena gives the pages back
// (madvise), and the next allocations fault them in again, zeroed: about a
// tenth of the engine's CPU per Kafka message (bench/streams,
// docs/performance.md). Kept instead: up to 64 MiB of free memory per arena,
// so a process stays at the peak it reached rather than shrinking after it
// (bench/replay's largest resident size did not change). Large blocks (up to 4 MiB, a fetch's buffer) come
// from the heap rather than from an mmap of their own for the same reason.

#include <malloc.h>

namespace nimbus::engine::util {

inline void keep_freed_memory() noexcept {
  mallopt(M_TRIM_THRESHOLD, 64 << 20);
  mallopt(M_MMAP_THRESHOLD, 4 << 20);
}

}  // namespace nimbus::engine::util
