#include <doctest/doctest.h>
#include <fmt/format.h>

#include <cstdlib>
#include <future>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "scheduler/bus.hpp"
#include "tests/helpers.hpp"

using namespace tock;
using namespace std::chrono_literals;

TEST_SUITE("bus") {
    TEST_CASE("a subscriber that joins late receives everything published after the handshake") {
        Loop loop(ClockMode::virtual_time);
        Publisher pub(loop, "pool", "inproc://late-join");
        Subscriber sub(loop, "watcher");
        constexpr std::uint64_t total = 20000;
        std::vector<std::uint64_t> seqs;
        auto publisher = [](Loop& l, Publisher& p) -> Task<void> {
            for (std::uint64_t i = 1; i <= total; ++i) {
                co_await p.publish(i % 2 ? "task.odd" : "task.even", std::to_string(i));
                if (i % 100 == 0) co_await test::Yield(l);
            }
            co_await p.publish("end", "");
        };
        auto subscriber = [](Loop& l, Subscriber& s,
                             std::vector<std::uint64_t>& seqs) -> Task<void> {
            for (int i = 0; i < 30; ++i) co_await test::Yield(l);  // join mid-stream
            s.subscribe("task.");
            s.subscribe("end");
            s.connect("inproc://late-join");
            co_await s.ready();
            for (;;) {
                BusMessage m = co_await s.recv();
                if (m.topic == "end") break;
                CHECK(std::to_string(m.seq) == m.body);
                seqs.push_back(m.seq);
            }
        };
        test::run_guarded(
            loop,
            [&]() -> Task<void> {
                Scope sc(loop);
                sc.spawn(publisher(loop, pub));
                sc.spawn(subscriber(loop, sub, seqs));
                co_await sc.join();
            }(),
            1h, "the end marker");
        REQUIRE_FALSE(seqs.empty());
        CHECK(seqs.front() > 1);  // it really did join late
        CHECK(seqs.back() == total);
        // contiguous from the first delivered message to the last
        CHECK(seqs.size() == total - seqs.front() + 1);
    }

    TEST_CASE("a publisher can wait until its subscribers are connected") {
        Loop loop(ClockMode::virtual_time);
        Publisher pub(loop, "pub", "inproc://wait-subs");
        Subscriber s1(loop, "s1"), s2(loop, "s2");
        std::map<std::string, int> got;
        auto sub = [](Subscriber& s, std::map<std::string, int>& got) -> Task<void> {
            s.subscribe("");
            s.connect("inproc://wait-subs");
            co_await s.ready();
            for (int i = 0; i < 3; ++i) {
                BusMessage m = co_await s.recv();
                got[s.id()] += (m.seq == std::uint64_t(i + 1));
            }
        };
        test::run_guarded(
            loop,
            [&]() -> Task<void> {
                Scope sc(loop);
                sc.spawn(sub(s1, got));
                sc.spawn(sub(s2, got));
                co_await pub.wait_for_subscribers(2);
                for (int i = 0; i < 3; ++i) co_await pub.publish("x", "");
                co_await sc.join();
            }(),
            1h, "both subscribers");
        CHECK(got["s1"] == 3);
        CHECK(got["s2"] == 3);
    }

    TEST_CASE("under the drop policy a full subscriber's lost messages are reported, not skipped") {
        Loop loop(ClockMode::virtual_time);
        Publisher pub(loop, "fast", "inproc://gap", {.policy = HwmPolicy::drop, .hwm = 10});
        Subscriber sub(loop, "slow", 10);
        sub.subscribe("");
        sub.connect("inproc://gap");
        int gaps = 0, delivered = 0;
        std::uint64_t last = 0;
        test::run_guarded(
            loop,
            [&]() -> Task<void> {
                co_await sub.ready();
                Scope sc(loop);
                // Bursts of 100 into queues that hold 20: most of each burst is
                // dropped, and the next burst's first message reveals the hole.
                sc.spawn([](Loop& l, Publisher& p) -> Task<void> {
                    for (int burst = 0; burst < 50; ++burst) {
                        for (int i = 0; i < 100; ++i) co_await p.publish("tick", "");
                        co_await l.clock().sleep_for(1s);
                    }
                    co_await p.publish("tick", "end");
                }(loop, pub));
                for (;;) {
                    try {
                        BusMessage m = co_await sub.recv();
                        ++delivered;
                        last = m.seq;
                        if (m.body == "end") break;
                    } catch (const BusGap& g) {
                        ++gaps;
                        ++delivered;
                        last = g.message.seq;
                        CHECK(std::string(g.what()).find("missed messages from 'fast'") !=
                              std::string::npos);
                        if (g.message.body == "end") break;
                    }
                }
                co_await sc.join();
            }(),
            1h, "the end marker");
        CHECK(gaps == 50);  // one per burst after the first, and the end marker
        CHECK(delivered < 5001);
        CHECK(last == 5001);
    }

    TEST_CASE("a topic's first message after the handshake, if lost, is reported as a gap") {
        // The subscriber has seen nothing on "t" when the next message on it
        // arrives: only the message's predecessor seq, later than the
        // welcome, shows that one was lost.
        Loop loop(ClockMode::virtual_time);
        Publisher pub(loop, "fast", "inproc://first-gap", {.policy = HwmPolicy::drop, .hwm = 5});
        Subscriber sub(loop, "slow", 5);
        sub.subscribe("");
        sub.connect("inproc://first-gap");
        std::vector<std::string> gaps_on_t;
        std::vector<std::string> delivered_on_t;
        test::run_guarded(
            loop,
            [&]() -> Task<void> {
                co_await sub.ready();
                Scope sc(loop);
                sc.spawn([](Loop& l, Publisher& p) -> Task<void> {
                    // Fill the queues, so that the first message on "t" is dropped.
                    for (int i = 0; i < 100; ++i) co_await p.publish("fill", "");
                    co_await p.publish("t", "lost");
                    co_await l.clock().sleep_for(1s);  // the subscriber drains
                    co_await p.publish("t", "second");
                    co_await p.publish("end", "");
                }(loop, pub));
                for (;;) {
                    try {
                        BusMessage m = co_await sub.recv();
                        if (m.topic == "t") delivered_on_t.push_back(m.body);
                        if (m.topic == "end") break;
                    } catch (const BusGap& g) {
                        if (g.message.topic == "t") gaps_on_t.push_back(g.message.body);
                        if (g.message.topic == "end") break;
                    }
                }
                co_await sc.join();
            }(),
            1h, "the end marker");
        CHECK(delivered_on_t.empty());                           // "lost" really was dropped...
        CHECK(gaps_on_t == std::vector<std::string>{"second"});  // ... and "second" says so
    }

    TEST_CASE("the block policy applies back-pressure: a slow subscriber loses nothing") {
        Loop loop(ClockMode::virtual_time);
        Publisher pub(loop, "fast", "inproc://block", {.policy = HwmPolicy::block, .hwm = 10});
        Subscriber sub(loop, "slow", 10);
        sub.subscribe("");
        sub.connect("inproc://block");
        constexpr int n = 5000;
        int got = 0;
        test::run_guarded(
            loop,
            [&]() -> Task<void> {
                co_await sub.ready();
                Scope sc(loop);
                sc.spawn([](Publisher& p) -> Task<void> {
                    for (int i = 0; i < n; ++i) co_await p.publish("tick", std::to_string(i));
                }(pub));
                while (got < n) {
                    BusMessage m = co_await sub.recv();
                    CHECK(m.body == std::to_string(got));
                    ++got;
                    if (got % 7 == 0) co_await loop.clock().sleep_for(1s);  // slow consumer
                }
                co_await sc.join();
            }(),
            24h * 30, "every message");
        CHECK(got == n);
    }

    TEST_CASE("a publish cancelled while it waits for room leaves no gap") {
        Loop loop(ClockMode::virtual_time);
        Publisher pub(loop, "pub", "inproc://cancel-publish",
                      {.policy = HwmPolicy::block, .hwm = 10});
        Subscriber sub(loop, "sub", 10);
        sub.subscribe("");
        sub.connect("inproc://cancel-publish");
        std::vector<std::uint64_t> seqs;
        std::string error;
        test::run_guarded(
            loop,
            [&]() -> Task<void> {
                co_await sub.ready();
                {
                    Scope doomed(loop);
                    doomed.spawn([](Publisher& p) -> Task<void> {
                        for (int i = 0; i < 100; ++i) co_await p.publish("t", "early");
                    }(pub));
                    for (int i = 0; i < 10; ++i) co_await test::Yield(loop);
                    REQUIRE(doomed.live() == 1);  // blocked at the high-water mark
                }
                Scope late(loop);
                late.spawn(
                    [](Publisher& p) -> Task<void> { co_await p.publish("t", "late"); }(pub));
                try {
                    for (;;) {
                        BusMessage m = co_await sub.recv();
                        seqs.push_back(m.seq);
                        if (m.body == "late") break;
                    }
                } catch (const BusGap& g) {
                    error = g.what();
                }
            }(),
            1h, "the late message");
        CHECK(error == "");
        REQUIRE(seqs.size() >= 2);
        CHECK(seqs.back() == seqs.size());  // 1, 2, ... n: nothing numbered and lost
    }

    TEST_CASE("a publisher restarted under the same id is detected") {
        // Real clock and ipc: the subscriber reconnects to the new publisher
        // on ZeroMQ's own reconnect timer.
        Loop loop(ClockMode::real);
        const std::string ep = test::ipc_endpoint("restart");
        Subscriber sub(loop, "s");
        sub.subscribe("");
        std::string error;
        test::run_guarded(
            loop,
            [&]() -> Task<void> {
                {
                    Publisher p(loop, "job_submit", ep);
                    sub.connect(ep);
                    co_await sub.ready();
                    for (int i = 0; i < 5; ++i) co_await p.publish("t", "");
                    for (int i = 0; i < 5; ++i) co_await sub.recv();
                }
                Publisher p(loop, "job_submit", ep);
                co_await sub.ready();
                co_await p.publish("t", "");
                try {
                    co_await sub.recv();
                } catch (const BusGap& g) {
                    error = g.what();
                }
            }(),
            20s, "the restarted publisher");
        CHECK(error.find("went back from seq 5 to 1") != std::string::npos);
    }

    // Several publishers on one thread, several subscribers on another: every
    // subscriber must see every message of every publisher, in order, once.
    void many_to_many(const std::string& transport) {
        const char* env = std::getenv("TOCK_BUS_MESSAGES");
        const std::uint64_t total = env ? std::strtoull(env, nullptr, 10) : 1'000'000;
        constexpr int publishers = 4, subscribers = 3;
        const std::uint64_t per_pub = total / publishers;
        zmq::context_t ctx;
        std::promise<std::vector<std::string>> endpoints;
        auto endpoints_ready = endpoints.get_future();

        std::thread pub_thread([&] {
            Loop loop(ClockMode::real, &ctx);
            std::vector<std::unique_ptr<Publisher>> pubs;
            std::vector<std::string> eps;
            for (int p = 0; p < publishers; ++p) {
                std::string ep = transport == "inproc" ? "inproc://m2m-" + std::to_string(p)
                                 : transport == "ipc"
                                     ? test::ipc_endpoint("m2m-" + std::to_string(p))
                                     : "tcp://127.0.0.1:*";
                pubs.push_back(std::make_unique<Publisher>(loop, fmt::format("p{}", p), ep));
                eps.push_back(pubs.back()->endpoint());
            }
            endpoints.set_value(eps);
            run_until(loop, [](Loop& l, auto& pubs, std::uint64_t n) -> Task<void> {
                Scope s(l);
                for (auto& p : pubs) {
                    s.spawn([](Publisher& p, std::uint64_t n) -> Task<void> {
                        co_await p.wait_for_subscribers(subscribers);
                        for (std::uint64_t i = 0; i < n; ++i) {
                            co_await p.publish(i % 3 == 0 ? "job.started" : "job.done", "payload");
                        }
                    }(*p, n));
                }
                co_await s.join();
            }(loop, pubs, per_pub));
            // Keep the sockets open until every subscriber has read everything:
            // linger is 0, so closing would drop what is still queued.
            run_until(loop, [](Publisher& p) -> Task<void> {
                co_await p.wait_for_subscribers(subscribers + 1);
            }(*pubs[0]));
        });

        std::vector<std::string> eps = endpoints_ready.get();
        std::vector<std::map<std::string, std::uint64_t>> counts(subscribers);
        std::uint64_t disorder = 0;
        {
            Loop loop(ClockMode::real, &ctx);
            std::vector<std::unique_ptr<Subscriber>> subs;
            for (int s = 0; s < subscribers; ++s) {
                subs.push_back(std::make_unique<Subscriber>(loop, fmt::format("s{}", s)));
                subs.back()->subscribe("job.");
                for (auto& ep : eps) subs.back()->connect(ep);
            }
            run_until(loop, [&]() -> Task<void> {
                Scope sc(loop);
                for (int s = 0; s < subscribers; ++s) {
                    sc.spawn([](Subscriber& sub, std::map<std::string, std::uint64_t>& c,
                                std::uint64_t expect, std::uint64_t& disorder) -> Task<void> {
                        co_await sub.ready();
                        std::uint64_t seen = 0;
                        while (seen < expect) {
                            BusMessage m = co_await sub.recv();
                            auto& last = c[m.sender];
                            if (m.seq != last + 1) ++disorder;
                            last = m.seq;
                            ++seen;
                        }
                    }(*subs[s], counts[s], per_pub * publishers, disorder));
                }
                co_await sc.join();
            }());
            // Tell the publishers' thread that everything arrived.
            Subscriber done(loop, "done");
            done.connect(eps[0]);
            run_until(loop, done.ready());
            pub_thread.join();
        }
        CHECK(disorder == 0);
        for (int s = 0; s < subscribers; ++s) {
            CHECK(counts[s].size() == publishers);
            for (auto& [sender, last] : counts[s]) CHECK(last == per_pub);
        }
    }

    TEST_CASE("a million messages, many to many, none lost, in order: inproc") {
        many_to_many("inproc");
    }
    TEST_CASE("a million messages, many to many, none lost, in order: ipc") {
        many_to_many("ipc");
    }
    TEST_CASE("a million messages, many to many, none lost, in order: tcp") {
        many_to_many("tcp");
    }
}
