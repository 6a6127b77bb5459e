// Operator commands against a running scheduler (bench/commands.sh drives it).
//
//   tock_bench_commands RUN_DIR roundtrip N OP [ARGS_JSON]
//       N calls one after another over one persistent connection; prints
//       "roundtrip OP n=N p50_us=.. p99_us=.. max_us=.."
//   tock_bench_commands RUN_DIR load CLIENTS REQUESTS OP [ARGS_JSON]
//       CLIENTS connections at once, each REQUESTS calls with up to 64 in
//       flight; checks that every call is answered exactly once (no call
//       lost or failed for want of an answer, no reply twice) and prints
//       "load clients=.. requests=.. answered=.. errors=.. lost=.. unmatched=..
//       seconds=.. per_second=..". Exit status 1 if any was lost or answered
//       twice.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <memory>
#include <vector>

#include "scheduler/rpc.hpp"

using namespace tock;

namespace {

std::string endpoint_of(const std::string& run_dir) {
    std::ifstream in(run_dir + "/.service/contact");
    const Json c = Json::parse(in, nullptr, false);
    if (!c.is_object() || !c.contains("commands"))
        throw std::runtime_error("no contact file in " + run_dir + "/.service");
    return c["commands"].get<std::string>();
}

ChannelOptions options() {
    ChannelOptions o;
    o.heartbeat_interval = std::chrono::seconds(2);
    o.heartbeat_timeout = std::chrono::seconds(30);
    return o;
}

Task<void> roundtrip(Loop& loop, const std::string& ep, int n, std::string op, Json args,
                     std::vector<double>& us) {
    Channel ch(loop, ep, options());
    co_await ch.call("ping");  // connected before the clock starts
    for (int i = 0; i < n; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        try {
            co_await ch.call(op, args);
        } catch (const RemoteError&) {
            break;  // the workflow ended: what was measured stands
        } catch (const PeerLost&) {
            break;
        }
        us.push_back(
            std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0)
                .count());
    }
}

struct Tally {
    std::uint64_t answered = 0, errors = 0, lost = 0, unmatched = 0;
};

Task<void> one(Channel& ch, std::string op, Json args, Tally& t) {
    try {
        co_await ch.call(std::move(op), std::move(args));
        ++t.answered;
    } catch (const RemoteError&) {
        ++t.answered;
        ++t.errors;
    } catch (const PeerLost&) {
        ++t.lost;
    }
}

Task<void> client(Loop& loop, const std::string& ep, int n, std::string op, Json args, Tally& t) {
    Channel ch(loop, ep, options());
    constexpr int kWindow = 64;
    for (int sent = 0; sent < n && t.lost == 0;) {
        Scope batch(loop);
        for (int k = 0; k < kWindow && sent < n; ++k, ++sent) batch.spawn(one(ch, op, args, t));
        co_await batch.join();
    }
    t.unmatched += ch.unmatched();
}

Task<void> load(Loop& loop, const std::string& ep, int clients, int n, std::string op, Json args,
                Tally& t) {
    Scope all(loop);
    for (int c = 0; c < clients; ++c) all.spawn(client(loop, ep, n, op, args, t));
    co_await all.join();
}

double pct(std::vector<double> v, double p) {
    std::sort(v.begin(), v.end());
    const auto i =
        static_cast<std::size_t>(std::max(0.0, p / 100.0 * static_cast<double>(v.size()) - 1e-9));
    return v[std::min(i, v.size() - 1)];
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 5) {
        fmt::print(stderr,
                   "usage: tock_bench_commands RUN_DIR roundtrip N OP [ARGS]\n"
                   "       tock_bench_commands RUN_DIR load CLIENTS REQUESTS OP [ARGS]\n");
        return 2;
    }
    try {
        const std::string ep = endpoint_of(argv[1]);
        const std::string mode = argv[2];
        Loop loop;
        if (mode == "roundtrip") {
            const int n = std::stoi(argv[3]);
            const Json args = argc > 5 ? Json::parse(argv[5]) : Json::object();
            std::vector<double> us;
            run_until(loop, roundtrip(loop, ep, n, argv[4], args, us));
            if (us.empty()) throw std::runtime_error("no call was answered");
            fmt::print("roundtrip {} n={} p50_us={:.0f} p99_us={:.0f} max_us={:.0f}\n", argv[4],
                       us.size(), pct(us, 50), pct(us, 99), pct(us, 100));
            return 0;
        }
        if (mode == "load" && argc >= 6) {
            const int clients = std::stoi(argv[3]);
            const int n = std::stoi(argv[4]);
            const Json args = argc > 6 ? Json::parse(argv[6]) : Json::object();
            Tally t;
            const auto t0 = std::chrono::steady_clock::now();
            run_until(loop, load(loop, ep, clients, n, argv[5], args, t));
            const double s =
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            fmt::print(
                "load clients={} requests={} answered={} errors={} lost={} unmatched={} "
                "seconds={:.2f} per_second={:.0f}\n",
                clients, clients * n, t.answered, t.errors, t.lost, t.unmatched, s,
                static_cast<double>(t.answered) / s);
            return t.answered == static_cast<std::uint64_t>(clients) *
                                     static_cast<std::uint64_t>(n) &&
                           t.unmatched == 0
                       ? 0
                       : 1;
        }
    } catch (const std::exception& e) {
        fmt::print(stderr, "tock_bench_commands: {}\n", e.what());
        return 1;
    }
    fmt::print(stderr, "tock_bench_commands: unknown mode '{}'\n", argv[2]);
    return 2;
}
