// Happens-before annotations for ThreadSanitizer builds; no-ops otherwise. gRPC (from Debian, not
// instrumented) runs a reactor's callbacks one after another, possibly on different threads, and
// TSan cannot see that ordering: a reactor releases its own address before it hands work to gRPC
// (StartRead, StartWrite, Finish) and acquires it at the top of each callback.
#ifndef CLINSIM_COMMON_TSAN_H_
#define CLINSIM_COMMON_TSAN_H_

#if defined(__SANITIZE_THREAD__)
#define CLINSIM_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define CLINSIM_TSAN 1
#endif
#endif

#ifdef CLINSIM_TSAN
#include <sanitizer/tsan_interface.h>
#endif

namespace clinsim {

inline void TsanRelease(const void* addr) {
#ifdef CLINSIM_TSAN
  __tsan_release(const_cast<void*>(addr));
#else
  (void)addr;
#endif
}

inline void TsanAcquire(const void* addr) {
#ifdef CLINSIM_TSAN
  __tsan_acquire(const_cast<void*>(addr));
#else
  (void)addr;
#endif
}

}  // namespace clinsim

#endif  // CLINSIM_COMMON_TSAN_H_
