// Shared helpers for the runtime tests.
#pragma once

#include <unistd.h>

#include <string>

#include "scheduler/clock.hpp"
#include "scheduler/scope.hpp"

namespace tock::test {

// Suspend until the next loop turn.
struct Yield {
    Loop& loop;
    Ready ready;
    explicit Yield(Loop& l) : loop(l) {}
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) noexcept {
        ready.handle = h;
        loop.post(ready);
    }
    void await_resume() const noexcept {}
};

// A unique ipc:// endpoint for this process.
inline std::string ipc_endpoint(const std::string& name) {
    return "ipc:///tmp/tock-test-" + std::to_string(::getpid()) + "-" + name;
}

// run_until, but give up after `limit` on the loop's clock and throw, naming
// `what`: a guard against a hang, never a performance assertion. Under the
// virtual clock a hang shows at once: time jumps to the limit.
template <typename T>
T run_guarded(Loop& loop, Task<T> task, Duration limit, const char* what) {
    Scope guard(loop);
    bool fired = false;
    guard.spawn([](Loop& l, Duration d, bool& f) -> Task<void> {
        co_await l.clock().sleep_for(d);
        f = true;
        l.stop();
    }(loop, limit, fired));
    try {
        return run_until(loop, std::move(task));
    } catch (const std::logic_error&) {
        if (fired) throw std::runtime_error(std::string("timed out waiting for ") + what);
        throw;
    }
}

int run_rpc_peer(const std::string& endpoint);

}  // namespace tock::test
