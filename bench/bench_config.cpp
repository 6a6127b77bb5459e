// Workflow-definition benchmarks: load and validate a large workflow, and
// expand many cycle points. Prints a table; asserts nothing.
//
//   tock_bench_config [--quick]
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "config/workflow.hpp"

using namespace tock::config;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

// `tasks` tasks in 50 families; each task after the first five waits for five
// earlier ones: 5 * (tasks - 5) edges.
std::string big_workflow(int tasks) {
    std::mt19937 rng(7);
    std::string g;
    g.reserve(tasks * 40);
    for (int i = 5; i < tasks; ++i) {
        std::vector<int> up;
        while (up.size() < 5) {
            const int u = static_cast<int>(rng() % i);
            if (std::find(up.begin(), up.end(), u) == up.end()) up.push_back(u);
        }
        g += fmt::format("      t{} & t{} & t{} & t{} & t{} => t{}\n", up[0], up[1], up[2], up[3],
                         up[4], i);
    }
    std::string rt;
    for (int f = 0; f < 50; ++f) rt += fmt::format("  F{}:\n    script: run-{}\n", f, f);
    for (int i = 0; i < tasks; ++i) rt += fmt::format("  t{}: {{inherit: F{}}}\n", i, i % 50);
    return "scheduling:\n  cycling: integer\n  final: 1\n  graph:\n    R1: |\n" + g + "runtime:\n" +
           rt;
}

// A 6-hourly date-time workflow of 20 tasks with inter-cycle dependencies.
std::string six_hourly() {
    std::string g;
    for (int i = 1; i < 20; ++i) g += fmt::format("      s{} => s{}\n", i - 1, i);
    g += "      s0[-PT6H] => s0\n      s19[-P1D] => s10\n";
    return "scheduling:\n  cycling: datetime\n  initial: 2026-01-01T00Z\n  graph:\n"
           "    R1: install => s0\n    T00,T06,T12,T18: |\n" +
           g;
}

}  // namespace

int main(int argc, char** argv) {
    const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
    const int tasks = quick ? 1000 : 10000;
    const int cycles = quick ? 100 : 1000;
    const int rounds = quick ? 1 : 5;

    std::vector<double> load_s, expand_s;
    std::size_t edges = 0, instances = 0;
    const std::string big = big_workflow(tasks);
    const std::string cyc = six_hourly();
    for (int r = 0; r < rounds; ++r) {
        auto t0 = Clock::now();
        Workflow w = Workflow::parse(big, "big.yaml");
        load_s.push_back(seconds_since(t0));
        edges = 0;
        for (const auto& gs : w.graph) {
            for (const auto& d : gs.deps) edges += d.left ? d.left->children.size() : 0;
        }

        Workflow c = Workflow::parse(cyc, "six_hourly.yaml");
        t0 = Clock::now();
        instances = 0;
        auto p = c.first_point();
        for (int i = 0; p && i < cycles; ++i, p = c.next_point(*p))
            instances += c.tasks_at(*p).size();
        expand_s.push_back(seconds_since(t0));
    }
    std::sort(load_s.begin(), load_s.end());
    std::sort(expand_s.begin(), expand_s.end());
    fmt::print("Workflow definitions, median of {} runs\n\n", rounds);
    fmt::print("| what | size | seconds | target |\n|---|---|---:|---:|\n");
    fmt::print("| load and validate | {} tasks, {} edges | {:.3f} | < 1 |\n", tasks, edges,
               load_s[load_s.size() / 2]);
    fmt::print(
        "| expand a 6-hourly workflow | {} cycle points, {} task instances | {:.3f} | < 1 |\n",
        cycles, instances, expand_s[expand_s.size() / 2]);
    return 0;
}
