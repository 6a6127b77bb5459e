#include "triggers/builtins.hpp"

#include <fmt/format.h>

#include <array>
#include <chrono>
#include <random>

#include "config/xtrigger_args.hpp"
#include "scheduler/scope.hpp"
#include "triggers/workflow_state.hpp"

namespace tock::triggers {

namespace {

using namespace std::chrono_literals;

// What xrandom picks from, as Cylc's does.
constexpr std::array<const char*, 7> kColors = {"red",  "orange", "yellow", "green",
                                                "blue", "indigo", "violet"};
constexpr std::array<const char*, 6> kSizes = {"tiny",  "small", "medium",
                                               "large", "huge",  "humongous"};

// Suspends until the frame is destroyed: an Event nobody sets costs no
// timer and no wake-up.
Task<void> forever(Loop& loop) {
    Event never(loop);
    co_await never.wait();
}

double number(const Call& call, const std::string& key, std::size_t pos, double fallback) {
    const std::string text = call.arg(key, pos);
    if (text.empty()) return fallback;
    const auto v = config::parse_number(text);
    if (!v)
        throw TriggerError(
            fmt::format("xtrigger '{}': {} '{}' is not a number", call.label, key, text));
    return *v;
}

Task<Results> echo(Loop& loop, Call call) {
    Results r;
    bool succeed = true;
    for (auto& [k, v] : call.kwargs) {
        if (k == "succeed") {
            const auto b = config::parse_bool(v);
            if (!b)
                throw TriggerError(fmt::format(
                    "xtrigger '{}': echo succeed '{}' must be True or False", call.label, v));
            succeed = *b;
        } else {
            r.emplace_back(std::move(k), std::move(v));
        }
    }
    for (std::size_t i = 0; i < call.args.size(); ++i)
        r.emplace_back(fmt::format("arg{}", i + 1), std::move(call.args[i]));
    if (!succeed) co_await forever(loop);
    co_return r;
}

Task<Results> xrandom(Loop& loop, Call call) {
    const double percent = number(call, "percent", 0, 0);
    const auto secs = std::chrono::duration_cast<Duration>(
        std::chrono::duration<double>(number(call, "secs", 1, 0)));
    // A try at least every second, whatever the interval says: a try that
    // costs no time is made on a timer, never in a loop.
    const Duration every = std::max<Duration>(call.interval.value_or(10s), 1s);
    if (percent <= 0) co_await forever(loop);
    thread_local std::mt19937_64 random{std::random_device{}()};
    for (;;) {
        co_await loop.clock().sleep_for(secs);
        if (std::uniform_real_distribution<double>(0, 100)(random) < percent) {
            std::uniform_int_distribution<std::size_t> color(0, kColors.size() - 1);
            std::uniform_int_distribution<std::size_t> size(0, kSizes.size() - 1);
            co_return Results{{"COLOR", kColors[color(random)]}, {"SIZE", kSizes[size(random)]}};
        }
        co_await loop.clock().sleep_for(every);
    }
}

Task<Results> interval(Loop& loop, Call call) {
    const std::string text = call.arg("duration", 0);
    config::Interval i;
    try {
        i = config::parse_duration(text);
    } catch (const config::ParseError& e) {
        throw TriggerError(
            fmt::format("xtrigger '{}': interval duration '{}': {}", call.label, text, e.what()));
    }
    // Nominal months count as 30 days, as for every other delay of tock's.
    co_await loop.clock().sleep_for(std::chrono::seconds(i.seconds + i.months * 30 * 86400));
    const config::Cycling dt(
        config::CyclingSettings{config::CyclingMode::datetime, config::Calendar::gregorian, 0, {}});
    co_return Results{{"elapsed", dt.format(i)}};
}

}  // namespace

std::string Call::arg(const std::string& key, std::size_t pos, std::string fallback) const {
    for (const auto& [k, v] : kwargs) {
        if (k == key) return v;
    }
    return pos < args.size() ? args[pos] : fallback;
}

bool is_builtin(const std::string& function) {
    return config::is_builtin_xtrigger(function);
}

Task<Results> run_builtin(Loop& loop, Call call) {
    if (!is_builtin(call.function))
        throw TriggerError(
            fmt::format("xtrigger '{}': '{}' is not a built-in function (echo, xrandom, interval, "
                        "workflow_state)",
                        call.label, call.function));
    const auto problems = config::builtin_xtrigger_problems(call.function, call.args, call.kwargs);
    if (!problems.empty()) {
        std::string all;
        for (const auto& p : problems) all += (all.empty() ? "" : "; ") + p;
        throw TriggerError(fmt::format("xtrigger '{}': {}", call.label, all));
    }
    if (call.function == "echo") co_return co_await echo(loop, std::move(call));
    if (call.function == "xrandom") co_return co_await xrandom(loop, std::move(call));
    if (call.function == "interval") co_return co_await interval(loop, std::move(call));
    std::vector<std::string> ignored;  // the same as `problems`: none
    config::WorkflowStateQuery q = config::workflow_state_query(call.args, call.kwargs, ignored);
    if (q.output.empty())
        throw TriggerError(
            fmt::format("xtrigger '{}': workflow_state status '{}' is not a task "
                        "status",
                        call.label, q.status));
    try {
        co_return co_await wait_workflow_state(loop, std::move(q));
    } catch (const TriggerError& e) {
        throw TriggerError(fmt::format("xtrigger '{}': {}", call.label, e.what()));
    }
}

}  // namespace tock::triggers
