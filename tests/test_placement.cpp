#include <doctest/doctest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "config/placement.hpp"
#include "coroutines/topology.hpp"
#include "scheduler/bus.hpp"
#include "scheduler/clock.hpp"
#include "scheduler/scope.hpp"
#include "scheduler/timesync.hpp"

using namespace tock;
using nlohmann::json;
using namespace std::chrono_literals;

TEST_SUITE("placement") {
    TEST_CASE("placements are checked, with the reason") {
        comp::Placement p;
        std::string why;
        CHECK(p.set("job_submit=process", why));
        CHECK(p.where("job_submit") == comp::Where::process);
        CHECK(p.set("*=thread", why));
        CHECK(p.where("store") == comp::Where::thread);
        CHECK_FALSE(p.set("nope=thread", why));
        CHECK(why.find("'nope' is not a component") != std::string::npos);
        CHECK_FALSE(p.set("store=fibre", why));
        CHECK(why.find("not a placement") != std::string::npos);
        CHECK_FALSE(p.set("commands=tcp://h:7000", why));
        CHECK(why.find("stays on the scheduler's host") != std::string::npos);
        CHECK_FALSE(p.set("store=tcp://h", why));
        CHECK_FALSE(p.set("*=tcp://h:7000", why));
        CHECK(p.set("store=tcp://10.0.0.2:7100", why));
        CHECK(p.where("store") == comp::Where::remote);
        CHECK(config::place_problem("store", "inproc").empty());
    }

    TEST_CASE("one topology: inproc within the process, ipc across, tcp for all with a remote") {
        comp::Placement p;
        std::string why;
        comp::Endpoints ep = comp::topology(p, "/s", "");
        CHECK(ep.store == "inproc://tock/store");
        CHECK(ep.store_subscribers == 7);
        CHECK(ep.health_subscribers == 2);
        REQUIRE(p.set("store=process", why));
        ep = comp::topology(p, "/s", "");
        CHECK(ep.store == "ipc:///s/bus-store.sock");
        // task_pool's one subscriber, the store, is in another process now.
        CHECK(ep.task_pool == "ipc:///s/bus-task_pool.sock");
        // job_submit's subscriber (job_messages) is in the scheduler.
        CHECK(ep.job_submit == "inproc://tock/job_submit");
        REQUIRE(p.set("*=thread", why));
        CHECK(comp::topology(p, "/s", "").store == "inproc://tock/store");
        REQUIRE(p.set("events=tcp://127.0.0.1:7100", why));
        ep = comp::topology(p, "/s", "127.0.0.1");
        CHECK(ep.events == "tcp://127.0.0.1:7100");
        CHECK(ep.store.rfind("tcp://127.0.0.1:", 0) == 0);
        CHECK(comp::endpoints_from(comp::endpoints_json(ep)).store == ep.store);
    }

    TEST_CASE("bus_quiet: a message sent and not yet taken is in flight") {
        const json pub = {{"pubs", {{"a", {{"job.x", 5}, {"other", 9}}}}}, {"subs", json::array()}};
        json sub = {{"pubs", json::object()},
                    {"subs",
                     {{{"id", "b"},
                       {"topics", {"job."}},
                       {"chains", {{"a", {{"welcome", 0}, {"last", {{"job.x", 4}}}}}}}}}}};
        std::string why;
        CHECK_FALSE(bus_quiet({&pub, &sub}, why));
        CHECK(why.find("a job.x -> b") != std::string::npos);
        sub["subs"][0]["chains"]["a"]["last"]["job.x"] = 5;
        CHECK(bus_quiet({&pub, &sub}, why));  // "other" is not a topic b takes
        // What came before b's welcome was never b's to take.
        sub["subs"][0]["chains"]["a"] = {{"welcome", 5}, {"last", json::object()}};
        CHECK(bus_quiet({&pub, &sub}, why));
    }

    TEST_CASE("virtual time across two threads waits for a message in flight") {
        zmq::context_t ctx;
        Loop a(ClockMode::virtual_time, &ctx);
        const TimePoint t0 = a.clock().now();
        TimeMaster master(a, {"inproc://test-clock"}, 1);
        TimePoint got_at{}, b_woke_at{};
        std::thread other([&] {
            Loop b(ClockMode::virtual_time, &ctx);
            static_cast<VirtualClock&>(b.clock()).set(t0);
            TimeFollower follower(b, "b", "inproc://test-clock");
            run_until(b, [](Loop& l, TimePoint& got, TimePoint& woke) -> Task<void> {
                Subscriber sub(l, "b");
                sub.subscribe("tick");
                sub.connect("inproc://test-a");
                co_await sub.ready();
                (void)co_await sub.recv();
                got = l.clock().now();
                // A sleeper of its own, after the message: it must see the
                // time the message came at, then its own deadline.
                co_await l.clock().sleep_for(2h);
                woke = l.clock().now();
            }(b, got_at, b_woke_at));
        });
        run_until(a, [](Loop& l) -> Task<void> {
            Publisher pub(l, "a", "inproc://test-a");
            co_await pub.wait_for_subscribers(1);
            co_await l.clock().sleep_for(1h);
            co_await pub.publish("tick", "x");
            // Keep the publisher until b has taken it and slept.
            co_await l.clock().sleep_for(5h);
        }(a));
        other.join();
        CHECK(got_at - t0 == std::chrono::duration_cast<Duration>(1h));
        CHECK(b_woke_at - t0 == std::chrono::duration_cast<Duration>(3h));
        CHECK(master.advances() >= 3);
    }
}
