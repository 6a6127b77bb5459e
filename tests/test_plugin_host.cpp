// The scheduler's side of the plugin protocol (triggers/plugin_host.hpp),
// with plugins written with the SDK (triggers/plugin.hpp) running in
// threads of this process: the same protocol over inproc:// and over tcp://
// with CurveZMQ, a call watched twice sent once, a client without the keys
// refused, and whatever a client sends (fuzzed) dropped and counted, never
// the end of the host. Plugins as child processes, restarted and
// heartbeaten, are tested through the real `tock` (tests/play/plugin_*).
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <atomic>
#include <random>
#include <thread>

#include "scheduler/curve.hpp"
#include "tests/helpers.hpp"
#include "triggers/plugin.hpp"
#include "triggers/plugin_host.hpp"

using namespace tock;
using namespace std::chrono_literals;
using triggers::PluginHost;
using triggers::PluginHostOptions;
using triggers::Results;

namespace {

// A plugin serving double(n): satisfied with twice n, counting its checks.
int serve_double(const std::string& name, const std::string& endpoint, zmq::context_t* ctx,
                 std::atomic<int>& checks) {
    return plugin::Plugin(name)
        .connect_to(endpoint, ctx)
        .serve("double",
               [&](const plugin::Watch& w) {
                   ++checks;
                   return plugin::Outcome::yes(
                       {{"twice", std::to_string(2 * std::stoi(w.arg("n", 0)))}});
               })
        .run();
}

PluginHostOptions external(const std::string& endpoint, std::vector<std::string>& log) {
    PluginHostOptions o;
    o.endpoints = {endpoint};
    o.external = {"inner"};
    o.heartbeat = 1s;
    o.log = [&log](const std::string& line) { log.push_back(line); };
    return o;
}

Task<void> watch_double(PluginHost& host, std::vector<Results>& got, std::string n) {
    std::vector<std::pair<std::string, std::string>> kwargs;
    kwargs.emplace_back("n", std::move(n));
    got.push_back(co_await host.watch("inner", "double", {}, std::move(kwargs)));
}

// Watches double(n) twice at once, then once more after it is satisfied.
Task<void> watch_thrice(Loop& loop, PluginHost& host, std::vector<Results>& got, std::string n) {
    Scope both(loop);
    for (int i = 0; i < 2; ++i) both.spawn(watch_double(host, got, n));
    co_await both.join();
    co_await watch_double(host, got, n);
    host.stop();
    co_await loop.clock().sleep_for(50ms);  // the stop goes out
}

}  // namespace

TEST_SUITE("plugin_host") {
    TEST_CASE("a plugin in a thread, over inproc://: one watch for a call asked for thrice") {
        Loop loop;
        std::vector<std::string> log;
        PluginHost host(loop, external("inproc://plugin-host-inner", log));
        Scope receiving(loop);
        receiving.spawn(host.run());
        std::atomic<int> checks{0};
        int rc = -1;
        std::thread plugin(
            [&] { rc = serve_double("inner", "inproc://plugin-host-inner", &loop.zmq(), checks); });
        std::vector<Results> got;
        test::run_guarded(loop, watch_thrice(loop, host, got, "21"), 10s, "the inproc plugin");
        plugin.join();
        REQUIRE(got.size() == 3);
        for (const auto& r : got) CHECK(r == Results{{"twice", "42"}});
        CHECK(host.watches_sent() == 1);
        CHECK(checks == 1);
        CHECK(rc == 0);
        CHECK(host.dropped() == 0);
    }

    TEST_CASE("tcp:// with CurveZMQ: the scheduler's client key is let in, others never reach it") {
        const CurveKeys server = make_curve_keys(), client = make_curve_keys(),
                        stranger = make_curve_keys();
        Loop loop;
        ZapHandler zap(loop, {client.public_key});
        Scope zapping(loop);
        zapping.spawn(zap.run());
        std::vector<std::string> log;
        PluginHostOptions o = external("tcp://127.0.0.1:*", log);
        o.curve_secret = server.secret_key;
        PluginHost host(loop, o);
        const std::string ep = host.last_endpoint();
        Scope receiving(loop);
        receiving.spawn(host.run());

        // A stranger's key, and no key at all: each sends a register that
        // must never arrive.
        zmq::context_t ctx;
        zmq::socket_t with_key(ctx, zmq::socket_type::dealer),
            without(ctx, zmq::socket_type::dealer);
        with_key.set(zmq::sockopt::curve_serverkey, server.public_key);
        with_key.set(zmq::sockopt::curve_publickey, stranger.public_key);
        with_key.set(zmq::sockopt::curve_secretkey, stranger.secret_key);
        for (zmq::socket_t* s : {&with_key, &without}) {
            s->set(zmq::sockopt::linger, 0);
            s->connect(ep);
            const std::string reg =
                R"({"type":"register","name":"inner","protocol":1,"functions":["double"]})";
            s->send(zmq::buffer(reg), zmq::send_flags::dontwait);
        }
        test::run_guarded(
            loop,
            [](Loop& l, ZapHandler& z) -> Task<void> {
                while (z.refused() == 0) co_await l.clock().sleep_for(10ms);
                co_await l.clock().sleep_for(200ms);
            }(loop, zap),
            10s, "the stranger's refusal");
        CHECK(zap.refused() >= 1);
        for (const auto& line : log) CHECK(line.find("registered") == std::string::npos);

        // The plugin with the keys the scheduler gave it.
        ::setenv("TOCK_PLUGIN_SERVER_KEY", server.public_key.c_str(), 1);
        ::setenv("TOCK_PLUGIN_PUBLIC_KEY", client.public_key.c_str(), 1);
        ::setenv("TOCK_PLUGIN_SECRET_KEY", client.secret_key.c_str(), 1);
        std::atomic<int> checks{0};
        int rc = -1;
        std::thread plugin([&] { rc = serve_double("inner", ep, nullptr, checks); });
        std::vector<Results> got;
        test::run_guarded(loop, watch_thrice(loop, host, got, "4"), 10s, "the tcp plugin");
        plugin.join();
        for (const char* k :
             {"TOCK_PLUGIN_SERVER_KEY", "TOCK_PLUGIN_PUBLIC_KEY", "TOCK_PLUGIN_SECRET_KEY"})
            ::unsetenv(k);
        REQUIRE(got.size() == 3);
        CHECK(got[0] == Results{{"twice", "8"}});
        CHECK(rc == 0);
        CHECK(zap.accepted() >= 1);
    }

    TEST_CASE("fuzz: whatever a client sends is dropped and counted, and the host goes on") {
        Loop loop;
        std::vector<std::string> log;
        PluginHost host(loop, external("inproc://plugin-host-fuzz", log));
        Scope receiving(loop);
        receiving.spawn(host.run());
        zmq::socket_t fuzz(loop.zmq(), zmq::socket_type::dealer);
        fuzz.set(zmq::sockopt::linger, 0);
        fuzz.set(zmq::sockopt::sndhwm, 0);
        fuzz.connect("inproc://plugin-host-fuzz");
        std::mt19937 rng(20261206);
        auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
        const std::vector<std::string> valid = {
            // A plugin nobody asked for: the fuzz must not pass for the
            // real one, which would take its watches.
            R"({"type":"register","name":"fuzzer","protocol":1,"functions":["double"]})",
            R"({"type":"satisfied","id":"w1","results":{"a":"b"}})",
            R"({"type":"failed","id":"w1","reason":"no"})", R"({"type":"pong","seq":1})",
            R"({"type":"log","text":"hello"})"};
        int sent = 0;
        for (int i = 0; i < 3000; ++i) {
            std::string m = valid[pick(valid.size())];
            switch (pick(5)) {
                case 0:  // random bytes
                    m.assign(pick(64), '\0');
                    for (char& c : m) c = static_cast<char>(rng());
                    break;
                case 1:  // a byte flipped, dropped or doubled
                    for (int k = 0; k < 3; ++k) {
                        const std::size_t at = pick(m.size());
                        if (pick(3) == 0)
                            m.erase(at, 1);
                        else if (pick(2) == 0)
                            m.insert(at, 1, m[at]);
                        else
                            m[at] = static_cast<char>(rng());
                    }
                    break;
                case 2: {  // a value of the wrong type
                    auto j = nlohmann::json::parse(m);
                    const std::vector<nlohmann::json> odd = {nullptr,
                                                             7,
                                                             -1.5,
                                                             true,
                                                             "x",
                                                             nlohmann::json::array({1}),
                                                             nlohmann::json::object()};
                    auto it = j.begin();
                    std::advance(it, static_cast<long>(pick(j.size())));
                    *it = odd[pick(odd.size())];
                    m = j.dump();
                    break;
                }
                case 3:  // long
                    m = R"({"type":"log","text":")" + std::string(pick(20000), 'x') + R"("})";
                    break;
                default:  // two frames
                    fuzz.send(zmq::buffer(m), zmq::send_flags::sndmore);
                    break;
            }
            fuzz.send(zmq::buffer(m), zmq::send_flags::dontwait);
            ++sent;
        }
        // Over the host's limit: ZeroMQ ends the connection (the socket
        // connects again by itself).
        fuzz.send(zmq::buffer(std::string(2 << 20, '{')), zmq::send_flags::dontwait);
        test::run_guarded(
            loop, [](Loop& l) -> Task<void> { co_await l.clock().sleep_for(500ms); }(loop), 10s,
            "the fuzz");
        CHECK(host.dropped() > 1000);
        // The fuzz's registers and logs that did parse are still the host's to
        // take; and a real plugin is served as before.
        std::atomic<int> checks{0};
        int rc = -1;
        std::thread plugin(
            [&] { rc = serve_double("inner", "inproc://plugin-host-fuzz", &loop.zmq(), checks); });
        std::vector<Results> got;
        try {
            test::run_guarded(loop, watch_thrice(loop, host, got, "5"), 10s,
                              "a plugin after the fuzz");
        } catch (...) {
            for (std::size_t i = log.size() > 20 ? log.size() - 20 : 0; i < log.size(); ++i)
                MESSAGE(log[i]);
            plugin.detach();
            throw;
        }
        plugin.join();
        REQUIRE(got.size() == 3);
        CHECK(got[0] == Results{{"twice", "10"}});
        CHECK(sent == 3000);
        CHECK(checks == 1);
    }
}
