#include <doctest/doctest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "scheduler/scope.hpp"
#include "tests/helpers.hpp"

using namespace tock;
using tock::test::Yield;

TEST_SUITE("task") {
    Task<int> answer() {
        co_return 42;
    }
    Task<int> twice(Task<int> t) {
        co_return 2 * co_await std::move(t);
    }
    Task<int> fails() {
        throw std::runtime_error("boom");
        co_return 0;
    }
    Task<void> nothing() {
        co_return;
    }

    TEST_CASE("a task is lazy and returns its value to the awaiter") {
        Loop loop;
        bool started = false;
        auto t = [](bool& s) -> Task<int> {
            s = true;
            co_return 7;
        }(started);
        CHECK_FALSE(started);
        CHECK(run_until(loop, std::move(t)) == 7);
        CHECK(started);
        CHECK(run_until(loop, twice(answer())) == 84);
    }

    TEST_CASE("an exception propagates to the awaiter") {
        Loop loop;
        auto caught = [](Task<int> t) -> Task<std::string> {
            try {
                co_await std::move(t);
            } catch (const std::runtime_error& e) {
                co_return e.what();
            }
            co_return "no exception";
        };
        CHECK(run_until(loop, caught(fails())) == "boom");
        CHECK_THROWS_WITH(run_until(loop, twice(fails())), "boom");
    }

    TEST_CASE("a million synchronous awaits do not grow the stack") {
        Loop loop;
        auto many = []() -> Task<long> {
            long sum = 0;
            for (int i = 0; i < 1'000'000; ++i) sum += co_await answer();
            co_return sum;
        };
        CHECK(run_until(loop, many()) == 42'000'000L);
    }

    TEST_CASE("run_until reports a task that can never finish") {
        Loop loop;
        Event never(loop);
        auto wait = [](Event& e) -> Task<void> { co_await e.wait(); };
        CHECK_THROWS_AS(run_until(loop, wait(never)), std::logic_error);
    }

    struct Guard {
        int& live;
        explicit Guard(int& l) : live(l) { ++live; }
        ~Guard() { --live; }
    };

    TEST_CASE("a scope starts children on the next turn, in spawn order") {
        Loop loop;
        std::vector<int> order;
        auto child = [](std::vector<int>& o, int i) -> Task<void> {
            o.push_back(i);
            co_return;
        };
        run_until(loop, [](Loop& l, std::vector<int>& o, auto child) -> Task<void> {
            Scope s(l);
            for (int i = 0; i < 5; ++i) s.spawn(child(o, i));
            CHECK(o.empty());  // not started yet: spawn only schedules
            co_await s.join();
        }(loop, order, child));
        CHECK(order == std::vector<int>{0, 1, 2, 3, 4});
    }

    TEST_CASE("cancelling a scope destroys suspended chains and runs their destructors") {
        Loop loop;
        int live = 0;
        Event never(loop);
        auto leaf = [](Event& e, int& lv) -> Task<void> {
            Guard g(lv);
            co_await e.wait();
        };
        auto mid = [leaf](Event& e, int& lv) -> Task<void> {
            Guard g(lv);
            co_await leaf(e, lv);
        };
        {
            Scope s(loop);
            for (int i = 0; i < 10; ++i) s.spawn(mid(never, live));
            run_until(loop, [](Loop& l) -> Task<void> {
                co_await Yield(l);
                co_await Yield(l);
            }(loop));
            CHECK(live == 20);
            CHECK(s.live() == 10);
            s.cancel();
            CHECK(live == 0);
            CHECK(s.live() == 0);
            never.set();  // nobody left to resume
        }
        CHECK(live == 0);
    }

    TEST_CASE("a scope keeps the first error and join rethrows it") {
        Loop loop;
        auto body = [](Loop& l) -> Task<void> {
            Scope s(l);
            s.spawn(nothing());
            s.spawn([]() -> Task<void> {
                throw std::runtime_error("child failed");
                co_return;
            }());
            s.spawn(nothing());
            co_await s.join();
        };
        CHECK_THROWS_WITH(run_until(loop, body(loop)), "child failed");
    }

    TEST_CASE("an error nobody joins reaches the loop's error sink as it happens") {
        Loop loop;
        std::vector<std::string> sunk;
        loop.set_error_sink([&](std::exception_ptr e) {
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& x) {
                sunk.push_back(x.what());
            }
        });
        bool saw_it_before_the_end = false;
        auto body = [](Loop& l, std::vector<std::string>& sunk, bool& saw) -> Task<void> {
            Scope s(l);  // never joined, as a component's timers and jobs are not
            s.spawn([](Loop& l) -> Task<void> {
                co_await l.clock().sleep_for(std::chrono::milliseconds(1));
                throw std::runtime_error("a job's coroutine failed");
            }(l));
            co_await l.clock().sleep_for(std::chrono::milliseconds(50));
            saw = sunk.size() == 1;
        };
        run_until(loop, body(loop, sunk, saw_it_before_the_end));
        CHECK(saw_it_before_the_end);
        REQUIRE(sunk.size() == 1);
        CHECK(sunk[0] == "a job's coroutine failed");
    }

    TEST_CASE("stop() from inside a child cancels its siblings on the next turn") {
        Loop loop;
        int live = 0;
        Event never(loop);
        run_until(loop, [](Loop& l, Event& e, int& lv) -> Task<void> {
            Scope s(l);
            for (int i = 0; i < 3; ++i) {
                s.spawn([](Event& ev, int& x) -> Task<void> {
                    Guard g(x);
                    co_await ev.wait();
                }(e, lv));
            }
            s.spawn([](Scope& sc) -> Task<void> {
                sc.stop();
                co_return;
            }(s));
            co_await s.join();
            CHECK(lv == 0);
        }(loop, never, live));
    }

    TEST_CASE("join waits for a child spawned after the others finished but before it resumed") {
        Loop loop;
        bool late_done = false;
        run_until(loop, [](Loop& l, bool& late_done) -> Task<void> {
            Scope sc(l), other(l);
            sc.spawn([](Loop& l) -> Task<void> { co_await test::Yield(l); }(l));
            other.spawn([](Loop& l, Scope& sc, bool& done) -> Task<void> {
                co_await test::Yield(l);  // runs just after the child above ends
                sc.spawn([](Loop& l, bool& d) -> Task<void> {
                    co_await test::Yield(l);
                    d = true;
                }(l, done));
            }(l, sc, late_done));
            co_await sc.join();
            CHECK(sc.live() == 0);
        }(loop, late_done));
        CHECK(late_done);
    }
}
