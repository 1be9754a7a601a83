// ThreadSanitizer builds only (CLINSIM_SANITIZE=thread; see the root CMakeLists.txt). Debian's
// Abseil is not built with TSan, so TSan cannot see that absl::Mutex, CondVar, Notification and
// BlockingCounter order memory, and reports every access they guard as a race. The linker wraps
// each of their out-of-line entry points (-Wl,--wrap=SYMBOL sends our calls to __wrap_SYMBOL,
// which calls the library's __real_SYMBOL) and these wrappers tell TSan what the call means:
// taking a lock or being woken is an acquire, releasing or notifying is a release, on the
// object's address. Calls made inside gRPC's own shared libraries are not wrapped; they are not
// ours to check. The symbol names carry Debian's inline namespace, "debian3".
#include <sanitizer/tsan_interface.h>

#include "absl/synchronization/blocking_counter.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"

using absl::BlockingCounter;
using absl::Condition;
using absl::CondVar;
using absl::Duration;
using absl::Mutex;
using absl::Notification;

// Member functions take `this` as their first argument in the Itanium C++ ABI.
#define CLINSIM_WRAP(ret, sym, params, args, before, after) \
  ret __real_##sym params;                                  \
  ret __wrap_##sym params {                                 \
    before;                                                 \
    ret r = __real_##sym args;                              \
    after;                                                  \
    return r;                                               \
  }
#define CLINSIM_WRAP_VOID(sym, params, args, before, after) \
  void __real_##sym params;                                 \
  void __wrap_##sym params {                                \
    before;                                                 \
    __real_##sym args;                                      \
    after;                                                  \
  }

extern "C" {

CLINSIM_WRAP_VOID(_ZN4absl7debian35Mutex4LockEv, (Mutex * mu), (mu), , __tsan_acquire(mu))
CLINSIM_WRAP_VOID(_ZN4absl7debian35Mutex6UnlockEv, (Mutex * mu), (mu), __tsan_release(mu), )
CLINSIM_WRAP_VOID(_ZN4absl7debian35Mutex10ReaderLockEv, (Mutex * mu), (mu), , __tsan_acquire(mu))
CLINSIM_WRAP_VOID(_ZN4absl7debian35Mutex12ReaderUnlockEv, (Mutex * mu), (mu), __tsan_release(mu), )
CLINSIM_WRAP(bool, _ZN4absl7debian35Mutex7TryLockEv, (Mutex * mu), (mu), ,
             if (r) __tsan_acquire(mu))
CLINSIM_WRAP_VOID(_ZN4absl7debian35Mutex8LockWhenERKNS0_9ConditionE, (Mutex * mu, const Condition* c),
                  (mu, c), , __tsan_acquire(mu))
// Await releases the lock while it waits and holds it again on return.
CLINSIM_WRAP_VOID(_ZN4absl7debian35Mutex5AwaitERKNS0_9ConditionE, (Mutex * mu, const Condition* c),
                  (mu, c), __tsan_release(mu), __tsan_acquire(mu))
CLINSIM_WRAP(bool, _ZN4absl7debian35Mutex16AwaitWithTimeoutERKNS0_9ConditionENS0_8DurationE,
             (Mutex * mu, const Condition* c, Duration d), (mu, c, d), __tsan_release(mu),
             __tsan_acquire(mu))
CLINSIM_WRAP_VOID(_ZN4absl7debian37CondVar4WaitEPNS0_5MutexE, (CondVar * cv, Mutex* mu), (cv, mu),
                  __tsan_release(mu), __tsan_acquire(mu))
CLINSIM_WRAP(bool, _ZN4absl7debian37CondVar15WaitWithTimeoutEPNS0_5MutexENS0_8DurationE,
             (CondVar * cv, Mutex* mu, Duration d), (cv, mu, d), __tsan_release(mu), __tsan_acquire(mu))
CLINSIM_WRAP_VOID(_ZN4absl7debian312Notification6NotifyEv, (Notification * n), (n), __tsan_release(n), )
CLINSIM_WRAP_VOID(_ZNK4absl7debian312Notification19WaitForNotificationEv, (const Notification* n), (n), ,
                  __tsan_acquire(const_cast<Notification*>(n)))
CLINSIM_WRAP(bool, _ZNK4absl7debian312Notification30WaitForNotificationWithTimeoutENS0_8DurationE,
             (const Notification* n, Duration d), (n, d), ,
             if (r) __tsan_acquire(const_cast<Notification*>(n)))
CLINSIM_WRAP(bool, _ZN4absl7debian315BlockingCounter14DecrementCountEv, (BlockingCounter * b), (b),
             __tsan_release(b), )
CLINSIM_WRAP_VOID(_ZN4absl7debian315BlockingCounter4WaitEv, (BlockingCounter * b), (b), ,
                  __tsan_acquire(b))

}  // extern "C"

namespace {
// Abseil's own deadlock detector (on in Debian's build) keeps a shared graph that the library
// updates without TSan seeing its locks; TSan finds lock-order inversions itself.
const bool kDeadlockDetectionOff = [] {
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  return true;
}();
}  // namespace
