#include <doctest/doctest.h>

#include <csignal>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "scheduler/process.hpp"
#include "scheduler/rpc.hpp"
#include "tests/helpers.hpp"

using namespace tock;
using namespace std::chrono_literals;

namespace tock::test {

// The peer process for the kill tests: echo answers at once, block never does.
int run_rpc_peer(const std::string& endpoint) {
    Loop loop;
    Server server(loop, endpoint);
    Event never(loop);
    server.handle("echo", [](Json a) -> Task<Json> { co_return a; });
    server.handle("block", [&never](Json) -> Task<Json> {
        co_await never.wait();
        co_return nullptr;
    });
    run_until(loop, [](Event& e) -> Task<void> { co_await e.wait(); }(never));
    return 0;
}

}  // namespace tock::test

TEST_SUITE("rpc") {
    void add_handlers(Server & s, std::vector<std::string> & log) {
        s.handle("add",
                 [](Json a) -> Task<Json> { co_return a["x"].get<int>() + a["y"].get<int>(); });
        s.handle("fail", [](Json a) -> Task<Json> {
            throw std::runtime_error("cannot " + a.value("what", std::string("?")));
            co_return nullptr;
        });
        s.handle("note", [&log](Json a) -> Task<Json> {
            log.push_back(a.get<std::string>());
            co_return nullptr;
        });
        s.handle("log", [&log](Json) -> Task<Json> { co_return log; });
    }

    TEST_CASE("a call returns the handler's value; a handler's error is rethrown") {
        Loop loop;
        std::vector<std::string> log;
        Server server(loop, "inproc://rpc-basic");
        add_handlers(server, log);
        Channel peer(loop, "inproc://rpc-basic");
        CHECK(run_until(loop, peer.call("add", {{"x", 2}, {"y", 40}})) == 42);
        CHECK_THROWS_AS(run_until(loop, peer.call("fail", {{"what", "fly"}})), RemoteError);
        CHECK_THROWS_WITH(run_until(loop, peer.call("fail", {{"what", "fly"}})), "cannot fly");
        CHECK_THROWS_WITH(run_until(loop, peer.call("nope")), "unknown operation 'nope'");
        CHECK(peer.pending() == 0);
    }

    TEST_CASE("calls and one-way messages keep their send order") {
        Loop loop;
        std::vector<std::string> log;
        Server server(loop, "inproc://rpc-order");
        add_handlers(server, log);
        Channel peer(loop, "inproc://rpc-order");
        auto result = run_until(loop, [](Channel& p) -> Task<Json> {
            for (int i = 0; i < 100; ++i) {
                if (i % 3 == 0) {
                    co_await p.call("note", "call" + std::to_string(i));
                } else {
                    p.send("note", "send" + std::to_string(i));
                }
            }
            co_return co_await p.call("log");
        }(peer));
        REQUIRE(result.size() == 100);
        for (int i = 0; i < 100; ++i) {
            CHECK(result[i] == (i % 3 == 0 ? "call" : "send") + std::to_string(i));
        }
    }

    TEST_CASE("everything queued in one loop turn leaves as one batch") {
        Loop loop;
        std::vector<std::string> log;
        Server server(loop, "inproc://rpc-batch");
        add_handlers(server, log);
        Channel peer(loop, "inproc://rpc-batch");
        int sum = run_until(loop, [](Loop& l, Channel& p) -> Task<int> {
            std::vector<int> results(200);
            Scope s(l);
            // All 200 start in the same turn, so their calls share one frame.
            for (int i = 0; i < 200; ++i) {
                s.spawn([](Channel& p, int i, int& out) -> Task<void> {
                    // (gcc 12 cannot keep a braced list inside co_await.)
                    Json args{{"x", i}, {"y", 1}};
                    out = (co_await p.call("add", std::move(args))).get<int>();
                }(p, i, results[i]));
            }
            co_await s.join();
            int total = 0;
            for (int r : results) total += r;
            co_return total;
        }(loop, peer));
        CHECK(sum == 200 * 201 / 2);
        CHECK(peer.batches_sent() == 1);
    }

    TEST_CASE("with no server, pending calls fail with PeerLost after the heartbeat timeout") {
        Loop loop(ClockMode::virtual_time);
        const TimePoint t0 = loop.clock().now();
        Channel peer(loop, "inproc://rpc-nobody",
                     {.heartbeat_interval = 1s, .heartbeat_timeout = 5s});
        std::string error;
        run_until(loop, [](Channel& p, std::string& err) -> Task<void> {
            try {
                Json args{{"x", 1}, {"y", 1}};
                co_await p.call("add", std::move(args));
            } catch (const PeerLost& e) {
                err = e.what();
            }
        }(peer, error));
        CHECK(error.find("peer lost: no reply or heartbeat") != std::string::npos);
        const auto waited = loop.clock().now() - t0;
        CHECK(waited >= 5s);
        CHECK(waited <= 6s);
        CHECK(peer.pending() == 0);
    }

    TEST_CASE("a slow handler is not a lost peer: heartbeats keep the call alive") {
        Loop loop(ClockMode::virtual_time);
        Server server(loop, "inproc://rpc-slow");
        server.handle("slow", [&loop](Json) -> Task<Json> {
            co_await loop.clock().sleep_for(1h);
            co_return "done";
        });
        Channel peer(loop, "inproc://rpc-slow",
                     {.heartbeat_interval = 1s, .heartbeat_timeout = 3s});
        CHECK(run_until(loop, peer.call("slow")) == "done");
    }

    struct PeerProcess {
        Process proc;
        std::string endpoint;
    };

    PeerProcess start_peer(Loop & loop, const std::string& name) {
        std::string ep = test::ipc_endpoint(name);
        return {Process::spawn(loop, {.argv = {"/proc/self/exe", "--rpc-peer", ep}}), ep};
    }

    // Wait until the peer process answers, then leave `block` pending in it.
    Task<void> connect_and_block(Loop & loop, Channel & ch, Scope & scope, std::string & error) {
        for (int attempt = 0;; ++attempt) {
            try {
                co_await ch.call("echo", 1);
                break;
            } catch (const PeerLost&) {
                if (attempt == 20) throw;
            }
        }
        scope.spawn([](Channel& c, std::string& err) -> Task<void> {
            try {
                co_await c.call("block");
                err = "block returned";
            } catch (const PeerLost& e) {
                err = e.what();
            }
        }(ch, error));
        // Handlers start in send order: once this echo returns, block is running.
        co_await test::Yield(loop);
        co_await ch.call("echo", 2);
        CHECK(ch.pending() == 1);
    }

    TEST_CASE("killing the peer process mid-call fails the call with PeerLost") {
        Loop loop;
        PeerProcess peer = start_peer(loop, "rpc-kill");
        Channel ch(loop, peer.endpoint, {.heartbeat_interval = 200ms, .heartbeat_timeout = 1s});
        std::string error;
        const auto t0 = SysClock::now();
        test::run_guarded(
            loop,
            [&]() -> Task<void> {
                Scope s(loop);
                co_await connect_and_block(loop, ch, s, error);
                CHECK(peer.proc.kill(SIGKILL));
                co_await s.join();
                co_await peer.proc.wait();
            }(),
            30s, "PeerLost");
        CHECK(error == "peer lost: connection dropped");
        CHECK(SysClock::now() - t0 < 30s);
    }

    TEST_CASE("a frozen peer process misses heartbeats and the call fails with PeerLost") {
        Loop loop;
        PeerProcess peer = start_peer(loop, "rpc-stop");
        Channel ch(loop, peer.endpoint, {.heartbeat_interval = 100ms, .heartbeat_timeout = 500ms});
        std::string error;
        test::run_guarded(
            loop,
            [&]() -> Task<void> {
                Scope s(loop);
                co_await connect_and_block(loop, ch, s, error);
                CHECK(peer.proc.kill(SIGSTOP));  // alive and connected, but silent
                co_await s.join();
                peer.proc.kill(SIGKILL);
                co_await peer.proc.wait();
            }(),
            30s, "PeerLost");
        CHECK(error.find("peer lost: no reply or heartbeat") != std::string::npos);
    }

    TEST_CASE("malformed frames are dropped and counted, and the server carries on") {
        Loop loop;
        std::vector<std::string> log;
        Server server(loop, "inproc://rpc-bad");
        add_handlers(server, log);
        zmq::socket_t raw(loop.zmq(), zmq::socket_type::dealer);
        raw.connect("inproc://rpc-bad");
        raw.send(zmq::buffer(std::string_view("not json")));
        raw.send(zmq::buffer(std::string_view("{\"op\": \"add\"}")));  // not a batch
        raw.send(zmq::buffer(std::string_view("[42, {\"id\": 1}]")));
        Channel peer(loop, "inproc://rpc-bad");
        CHECK(run_until(loop, peer.call("add", {{"x", 1}, {"y", 2}})) == 3);
        CHECK(server.malformed() == 4);
    }

    TEST_CASE("a call awaited later still goes before a send made after it") {
        Loop loop;
        std::vector<std::string> log;
        Server server(loop, "inproc://rpc-late-await");
        add_handlers(server, log);
        Channel peer(loop, "inproc://rpc-late-await");
        run_until(loop, [](Channel& p) -> Task<void> {
            Task<Json> first = p.call("note", "A");
            p.send("note", "B");
            co_await std::move(first);
        }(peer));
        CHECK(run_until(loop, peer.call("log")) == Json{"A", "B"});
    }

    TEST_CASE("invalid UTF-8 is replaced, and the channel carries on") {
        Loop loop;
        Server server(loop, "inproc://rpc-utf8");
        server.handle("echo", [](Json a) -> Task<Json> { co_return a; });
        Channel peer(loop, "inproc://rpc-utf8");
        CHECK(run_until(loop, peer.call("echo", std::string("ok \xff"))) == "ok \xef\xbf\xbd");
        CHECK(run_until(loop, peer.call("echo", 7)) == 7);
    }

    TEST_CASE("a handler that throws something other than std::exception still answers") {
        Loop loop;
        Server server(loop, "inproc://rpc-odd-throw");
        server.handle("weird", [](Json) -> Task<Json> {
            throw 42;
            co_return nullptr;
        });
        Channel peer(loop, "inproc://rpc-odd-throw");
        CHECK_THROWS_WITH_AS(test::run_guarded(loop, peer.call("weird"), 30s, "the reply"),
                             "'weird' failed", RemoteError);
    }

    TEST_CASE("destroying a channel fails its pending calls, awaited or cancelled") {
        Loop loop;
        Server server(loop, "inproc://rpc-close");
        Event never(loop);
        server.handle("block", [&never](Json) -> Task<Json> {
            co_await never.wait();
            co_return nullptr;
        });
        auto ch = std::make_unique<Channel>(loop, "inproc://rpc-close");
        std::string error;
        Scope waiting(loop), doomed(loop);
        auto caller = [](Channel& c, std::string& err) -> Task<void> {
            try {
                co_await c.call("block");
            } catch (const PeerLost& e) {
                err = e.what();
            }
        };
        waiting.spawn(caller(*ch, error));
        std::string unused;
        doomed.spawn(caller(*ch, unused));
        run_until(loop, [](Loop& l) -> Task<void> {
            for (int i = 0; i < 5; ++i) co_await test::Yield(l);
        }(loop));
        REQUIRE(ch->pending() == 2);
        ch.reset();
        doomed.cancel();  // its call outlived the channel: must not touch it
        run_until(loop, waiting.join());
        CHECK(error == "peer lost: channel closed");
    }

    TEST_CASE("after PeerLost, a new call gets a whole heartbeat timeout") {
        Loop loop(ClockMode::virtual_time);
        Channel peer(loop, "inproc://rpc-nobody-2",
                     {.heartbeat_interval = 1s, .heartbeat_timeout = 5s});
        std::vector<Duration> retry_waits;
        run_until(loop, [](Loop& l, Channel& p, std::vector<Duration>& waits) -> Task<void> {
            Scope sc(l);
            for (int i = 0; i < 2; ++i) {
                sc.spawn([](Loop& l, Channel& p, std::vector<Duration>& waits) -> Task<void> {
                    try {
                        co_await p.call("x");
                    } catch (const PeerLost&) {
                    }
                    const TimePoint t0 = l.clock().now();
                    try {
                        co_await p.call("x");  // at once, beside the other failed call
                    } catch (const PeerLost&) {
                        waits.push_back(l.clock().now() - t0);
                    }
                }(l, p, waits));
            }
            co_await sc.join();
        }(loop, peer, retry_waits));
        REQUIRE(retry_waits.size() == 2);
        for (auto w : retry_waits) CHECK(w >= 5s);
    }

    TEST_CASE("a call over ipc under the virtual clock waits for its reply") {
        // The server runs in another thread on the real clock and takes 200 ms
        // of real time. Virtual time must not jump through the heartbeat
        // timeout while the reply is on its way.
        zmq::context_t ctx;
        const std::string ep = test::ipc_endpoint("rpc-virtual");
        std::promise<void> bound;
        std::thread server_thread([&] {
            Loop loop(ClockMode::real, &ctx);
            Server server(loop, ep);
            Event done(loop);
            server.handle("slow", [&loop, &done](Json) -> Task<Json> {
                co_await loop.clock().sleep_for(200ms);
                done.set();
                co_return "slow reply";
            });
            bound.set_value();
            run_until(loop, [](Loop& l, Event& e) -> Task<void> {
                co_await e.wait();
                co_await l.clock().sleep_for(100ms);  // let the reply leave
            }(loop, done));
        });
        bound.get_future().wait();
        Json reply;
        std::string error;
        {
            Loop loop(ClockMode::virtual_time, &ctx);
            Channel ch(loop, ep, {.heartbeat_interval = 1s, .heartbeat_timeout = 3s});
            try {
                reply = run_until(loop, ch.call("slow"));
            } catch (const std::exception& e) {
                error = e.what();
            }
        }
        server_thread.join();
        CHECK(error == "");
        CHECK(reply == "slow reply");
    }
}
