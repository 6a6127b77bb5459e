#include "scheduler/clock.hpp"

namespace tock {

Clock::Sleep::~Sleep() {
    if (queued_) {
        clock_.sleepers_.erase(pos_);
        clock_.rearm();
    }
}

void Clock::Sleep::await_suspend(std::coroutine_handle<> h) {
    ready_.handle = h;
    const bool earliest = clock_.sleepers_.empty() || when_ < clock_.sleepers_.begin()->first;
    pos_ = clock_.sleepers_.emplace(when_, this);
    queued_ = true;
    if (earliest) clock_.rearm();
}

void Clock::fire_due(TimePoint t) {
    while (!sleepers_.empty() && sleepers_.begin()->first <= t) {
        Sleep* s = sleepers_.begin()->second;
        sleepers_.erase(sleepers_.begin());
        s->queued_ = false;
        loop_.post(s->ready_);
    }
    rearm();
}

RealClock::RealClock(Loop& loop) : Clock(loop), timer_(new uv_timer_t) {
    uv_timer_init(loop.uv(), timer_);
    timer_->data = this;
}

RealClock::~RealClock() {
    uv_close(reinterpret_cast<uv_handle_t*>(timer_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
}

void RealClock::rearm() {
    if (pending() == 0) {
        uv_timer_stop(timer_);
        return;
    }
    const auto wait = next_deadline() - now();
    // Round up: firing a millisecond late is harmless, firing early costs a
    // spurious wake-up and a re-arm.
    auto ms = std::chrono::ceil<std::chrono::milliseconds>(wait).count();
    if (ms < 0) ms = 0;
    uv_timer_start(timer_, &RealClock::on_timer, static_cast<std::uint64_t>(ms), 0);
}

void RealClock::on_timer(uv_timer_t* t) {
    auto* self = static_cast<RealClock*>(t->data);
    self->fire_due(self->now());
}

bool VirtualClock::advance() {
    if (pending() == 0) return false;
    if (next_deadline() > now_) now_ = next_deadline();
    fire_due(now_);
    return true;
}

void VirtualClock::advance_to(TimePoint t) {
    if (t > now_) now_ = t;
    fire_due(now_);
}

}  // namespace tock
