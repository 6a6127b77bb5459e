#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <vector>

#include "scheduler/clock.hpp"
#include "scheduler/scope.hpp"
#include "tests/helpers.hpp"

using namespace tock;
using namespace std::chrono_literals;

TEST_SUITE("clock") {
    // A component written once: it knows only its Clock.
    Task<void> ticker(Clock & clock, std::string name, Duration period, int n,
                      std::vector<std::string>& log) {
        for (int i = 1; i <= n; ++i) {
            co_await clock.sleep_for(period);
            log.push_back(name + std::to_string(i));
        }
    }

    Task<void> two_tickers(Loop & loop, Duration unit, std::vector<std::string> & log) {
        Scope s(loop);
        s.spawn(ticker(loop.clock(), "a", 2 * unit, 3, log));
        s.spawn(ticker(loop.clock(), "b", 3 * unit, 2, log));
        co_await s.join();
    }

    TEST_CASE("virtual time jumps to the next deadline when every coroutine is blocked") {
        Loop loop(ClockMode::virtual_time);
        const TimePoint t0 = loop.clock().now();
        std::vector<TimePoint> woke;
        run_until(loop, [](Loop& l, std::vector<TimePoint>& w) -> Task<void> {
            Scope s(l);
            for (auto h : {5h, 1h, 3h}) {
                s.spawn([](Clock& c, Duration d, std::vector<TimePoint>& ww) -> Task<void> {
                    co_await c.sleep_for(d);
                    ww.push_back(c.now());
                }(l.clock(), h, w));
            }
            co_await s.join();
        }(loop, woke));
        REQUIRE(woke.size() == 3);
        CHECK(woke[0] - t0 == Duration(1h));
        CHECK(woke[1] - t0 == Duration(3h));
        CHECK(woke[2] - t0 == Duration(5h));
    }

    TEST_CASE("a year of hourly timers runs on the virtual clock, in order") {
        Loop loop(ClockMode::virtual_time);
        const TimePoint t0 = loop.clock().now();
        std::vector<std::string> log;
        run_until(loop, ticker(loop.clock(), "t", 1h, 24 * 365, log));
        CHECK(log.size() == 24u * 365u);
        CHECK(log.back() == "t8760");
        CHECK(loop.clock().now() - t0 == Duration(24h * 365));
    }

    TEST_CASE("the same component code runs under the real and the virtual clock") {
        std::vector<std::string> real_log, virtual_log;
        {
            Loop loop(ClockMode::real);
            run_until(loop, two_tickers(loop, 5ms, real_log));
        }
        {
            Loop loop(ClockMode::virtual_time);
            run_until(loop, two_tickers(loop, 1h, virtual_log));
        }
        // a at 2,4,6 units; b at 3,6: at 6 both are due, b's deadline was set first.
        const std::vector<std::string> expected{"a1", "b1", "a2", "b2", "a3"};
        CHECK(virtual_log == expected);
        CHECK(real_log.size() == expected.size());
        CHECK(real_log[0] == "a1");
        CHECK(real_log[1] == "b1");
        CHECK(real_log[2] == "a2");
    }

    TEST_CASE("a real sleep does not return before its deadline") {
        Loop loop(ClockMode::real);
        const auto t0 = SysClock::now();
        run_until(loop, [](Clock& c) -> Task<void> { co_await c.sleep_for(30ms); }(loop.clock()));
        CHECK(SysClock::now() - t0 >= 30ms);
    }

    TEST_CASE("a sleep already due does not suspend") {
        Loop loop(ClockMode::virtual_time);
        const auto fired = loop.fired();
        run_until(loop, [](Clock& c) -> Task<void> {
            co_await c.sleep_until(c.now() - 1h);
            co_await c.sleep_for(0s);
        }(loop.clock()));
        CHECK(loop.fired() - fired == 1);  // only the root's start
    }

    TEST_CASE("cancelling a sleeping coroutine removes its timer") {
        for (auto mode : {ClockMode::real, ClockMode::virtual_time}) {
            Loop loop(mode);
            {
                Scope s(loop);
                for (int i = 0; i < 100; ++i) {
                    s.spawn([](Clock& c) -> Task<void> { co_await c.sleep_for(1h); }(loop.clock()));
                }
                run_until(loop, [](Loop& l) -> Task<void> { co_await test::Yield(l); }(loop));
                CHECK(loop.clock().pending() == 100);
            }
            CHECK(loop.clock().pending() == 0);
        }
    }
}
