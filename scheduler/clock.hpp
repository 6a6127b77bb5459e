// Clock: wall time and timers for coroutines.
//
// `co_await clock.sleep_until(t)` suspends until the clock reads t or later;
// `sleep_for(d)` is sleep_until(now() + d). A sleep that is already due does
// not suspend. All pending sleeps of a clock sit in one ordered map, so a
// thousand sleeping coroutines cost one uv timer armed for the earliest.
//
// Two implementations share that map:
// - RealClock reads the system clock and arms one uv timer (millisecond
//   resolution, rounded up, re-armed if it fires early), so nothing wakes the
//   process before the earliest deadline.
// - VirtualClock starts at a given time and moves only when the Loop, finding
//   every coroutine blocked, calls advance(): time jumps to the earliest
//   deadline and the sleepers due then are resumed. Hours of timers run in
//   milliseconds, always in the same order.
//
// Cancellation: destroying the frame of a sleeping coroutine destroys its Sleep
// awaiter, which takes itself out of the map.
#pragma once

#include <uv.h>

#include <chrono>
#include <map>

#include "scheduler/loop.hpp"

namespace tock {

using SysClock = std::chrono::system_clock;
using TimePoint = SysClock::time_point;
using Duration = SysClock::duration;

class Clock {
  public:
    explicit Clock(Loop& loop) : loop_(loop) {}
    virtual ~Clock() = default;
    Clock(const Clock&) = delete;
    Clock& operator=(const Clock&) = delete;

    virtual TimePoint now() const = 0;

    class Sleep {
      public:
        Sleep(Clock& c, TimePoint when) : clock_(c), when_(when) {}
        Sleep(const Sleep&) = delete;
        Sleep& operator=(const Sleep&) = delete;
        ~Sleep();
        bool await_ready() const { return when_ <= clock_.now(); }
        void await_suspend(std::coroutine_handle<> h);
        void await_resume() const noexcept {}

      private:
        friend class Clock;
        Clock& clock_;
        TimePoint when_;
        Ready ready_;
        std::multimap<TimePoint, Sleep*>::iterator pos_;
        bool queued_ = false;
    };

    Sleep sleep_until(TimePoint t) { return Sleep(*this, t); }
    Sleep sleep_for(Duration d) { return Sleep(*this, now() + d); }

    std::size_t pending() const noexcept { return sleepers_.size(); }
    // The earliest deadline; only meaningful when pending() > 0.
    TimePoint next_deadline() const { return sleepers_.begin()->first; }

  protected:
    // Resume every sleeper due at `t` or earlier.
    void fire_due(TimePoint t);
    // Called whenever the earliest deadline may have changed.
    virtual void rearm() = 0;
    Loop& loop_;

  private:
    std::multimap<TimePoint, Sleep*> sleepers_;
};

class RealClock final : public Clock {
  public:
    explicit RealClock(Loop& loop);
    ~RealClock() override;
    TimePoint now() const override { return SysClock::now(); }

  private:
    void rearm() override;
    static void on_timer(uv_timer_t* t);
    uv_timer_t* timer_;  // heap: libuv closes it asynchronously
};

class VirtualClock final : public Clock {
  public:
    explicit VirtualClock(Loop& loop, TimePoint start = SysClock::now())
        : Clock(loop), now_(start) {}
    TimePoint now() const override { return now_; }
    // Jump to the earliest deadline and resume its sleepers; false if none.
    bool advance();
    // Jump to t (never back) and resume the sleepers due by then: the time
    // another loop's TimeSync decided.
    void advance_to(TimePoint t);
    // Start at t (before anything sleeps): loops that share time share it
    // from the first instant.
    void set(TimePoint t) { now_ = t; }

  private:
    void rearm() override {}
    TimePoint now_;
};

}  // namespace tock
