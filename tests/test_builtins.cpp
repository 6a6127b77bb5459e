// The built-in xtriggers echo, xrandom, interval and workflow_state
// (triggers/builtins.hpp), run on a loop: the timer ones on the virtual
// clock, workflow_state on the real one against run databases written by
// the store's own writer (coroutines/run_db.hpp) and by the real `tock`
// binary, with the state reached while the trigger waits.
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <optional>

#include "config/cycling.hpp"
#include "coroutines/event.hpp"
#include "coroutines/run_db.hpp"
#include "scheduler/process.hpp"
#include "tests/helpers.hpp"
#include "triggers/builtins.hpp"

using namespace tock;
using namespace std::chrono_literals;
using triggers::Call;
using triggers::Results;
using triggers::TriggerError;

namespace {

struct TempDir {
    std::string path;
    TempDir() {
        char tmpl[] = "/tmp/tock-builtins-XXXXXX";
        path = ::mkdtemp(tmpl);
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
};

// HOME set to `dir` for as long as this lives: ~/tock-run is then dir/tock-run.
struct Home {
    std::optional<std::string> old;
    explicit Home(const std::string& dir) {
        if (const char* h = std::getenv("HOME")) old = h;
        ::setenv("HOME", dir.c_str(), 1);
    }
    ~Home() {
        if (old) {
            ::setenv("HOME", old->c_str(), 1);
        } else {
            ::unsetenv("HOME");
        }
    }
};

Call call(std::string function, std::vector<std::string> args,
          std::vector<std::pair<std::string, std::string>> kwargs = {},
          std::optional<Duration> interval = std::nullopt) {
    return Call{"x", std::move(function), std::move(args), std::move(kwargs), interval};
}

std::string result(const Results& r, const std::string& name) {
    for (const auto& [k, v] : r) {
        if (k == name) return v;
    }
    return "(none)";
}

struct Done {
    Results results;
    Duration took{};  // on the loop's clock
};

// Runs `c` on `loop` until it is satisfied.
Done run(Loop& loop, Call c, Duration limit = 1000h) {
    const TimePoint t0 = loop.clock().now();
    Results r =
        test::run_guarded(loop, triggers::run_builtin(loop, std::move(c)), limit, "the xtrigger");
    return {std::move(r), loop.clock().now() - t0};
}

// Starts `c`, lets the loop run for `d` on its clock, and reports what `c`
// did meanwhile; it is then cancelled where it waits.
struct Watched {
    bool satisfied = false;
    bool failed = false;
    std::size_t timers = 0;  // the loop's other pending timers at the end
};
Watched watch_for(Loop& loop, Call c, Duration d) {
    Watched w;
    Scope s(loop);
    s.spawn([](Loop& l, Call c, Watched& w) -> Task<void> {
        (void)co_await triggers::run_builtin(l, std::move(c));
        w.satisfied = true;
    }(loop, std::move(c), w));
    run_until(loop, [](Loop& l, Duration d, Watched& w) -> Task<void> {
        co_await l.clock().sleep_for(d);
        w.timers = l.clock().pending();
    }(loop, d, w));
    w.failed = s.failures() > 0;
    s.cancel();
    return w;
}

std::int64_t point_value(const std::string& cycle) {
    const config::Cycling dt(
        config::CyclingSettings{config::CyclingMode::datetime, config::Calendar::gregorian, 0, {}});
    return dt.parse_point(cycle).value;
}

// Records, as the store does in one committed batch, task `name` at
// `cycle` after `event`, in `state` with `outputs` completed.
void record(store::RunDb& db, std::int64_t point, const std::string& cycle, const std::string& name,
            const std::string& event, const std::string& state,
            std::vector<std::string_view> outputs) {
    const std::string topic = "task." + event;
    comp::BusEvent e;
    e.topic = topic;
    e.event = event;
    e.point = point;
    e.task = name;
    e.cycle = cycle;
    e.state = state;
    e.num = 1;
    e.has_row = true;
    e.outputs = std::move(outputs);
    db.begin();
    db.apply(
        e, std::chrono::duration_cast<std::chrono::microseconds>(SysClock::now().time_since_epoch())
               .count());
    db.commit();
}

// A run directory with a database that has `name` recorded.
std::string make_run(const std::string& dir, const std::string& name = "other") {
    std::filesystem::create_directories(dir);
    store::RunDb db(dir + "/db");
    db.set_param("name", name);
    return dir;
}

Call state_call(const std::string& run_dir, const std::string& task, const std::string& point,
                std::vector<std::pair<std::string, std::string>> more = {}) {
    std::vector<std::pair<std::string, std::string>> kw = {
        {"run_dir", run_dir}, {"task", task}, {"point", point}};
    kw.insert(kw.end(), more.begin(), more.end());
    return call("workflow_state", {}, std::move(kw));
}

std::string error_of(Loop& loop, Call c) {
    try {
        (void)run(loop, std::move(c), 10s);
    } catch (const TriggerError& e) {
        return e.what();
    }
    return "(no error)";
}

}  // namespace

TEST_SUITE("builtins") {
    TEST_CASE("the four are built in, and an argument is found by keyword, then position") {
        CHECK(triggers::is_builtin("echo"));
        CHECK(triggers::is_builtin("xrandom"));
        CHECK(triggers::is_builtin("interval"));
        CHECK(triggers::is_builtin("workflow_state"));
        CHECK_FALSE(triggers::is_builtin("wall_clock"));
        CHECK_FALSE(triggers::is_builtin("my_plugin"));
        const Call c = call("xrandom", {"10", "5"}, {{"secs", "7"}});
        CHECK(c.arg("percent", 0) == "10");
        CHECK(c.arg("secs", 1) == "7");
        CHECK(c.arg("_", 2, "none") == "none");
    }

    TEST_CASE("echo is satisfied at once with its keywords and arguments") {
        Loop loop(ClockMode::virtual_time);
        const Done d = run(loop, call("echo", {"Breakfast Time", "eggs"},
                                      {{"succeed", "True"}, {"egg", "poached"}}));
        CHECK(d.took == Duration::zero());
        CHECK(d.results ==
              Results{{"egg", "poached"}, {"arg1", "Breakfast Time"}, {"arg2", "eggs"}});
        CHECK(run(loop, call("echo", {})).results.empty());
    }

    TEST_CASE("echo with succeed=False waits, with no timer, until cancelled") {
        Loop loop(ClockMode::virtual_time);
        const Watched w = watch_for(loop, call("echo", {}, {{"succeed", "False"}}), 24h);
        CHECK_FALSE(w.satisfied);
        CHECK_FALSE(w.failed);
        CHECK(w.timers == 0);
        CHECK(error_of(loop, call("echo", {}, {{"succeed", "maybe"}})) ==
              "xtrigger 'x': echo succeed 'maybe' must be True or False");
    }

    TEST_CASE("xrandom at 100 percent is satisfied after secs, with a colour and a size") {
        Loop loop(ClockMode::virtual_time);
        const Done d = run(loop, call("xrandom", {"100", "30"}));
        CHECK(d.took == 30s);
        const std::vector<std::string> colors = {"red",  "orange", "yellow", "green",
                                                 "blue", "indigo", "violet"};
        const std::vector<std::string> sizes = {"tiny",  "small", "medium",
                                                "large", "huge",  "humongous"};
        CHECK(std::count(colors.begin(), colors.end(), result(d.results, "COLOR")) == 1);
        CHECK(std::count(sizes.begin(), sizes.end(), result(d.results, "SIZE")) == 1);
        CHECK(d.results.size() == 2);
    }

    TEST_CASE("xrandom tries again after the call's interval, each try waiting secs") {
        Loop loop(ClockMode::virtual_time);
        // Each try takes 5 s, each one that fails 60 s more: satisfied at
        // 5 + 65k seconds. Some of 20 runs at 20 percent fail a try first.
        int retried = 0;
        for (int i = 0; i < 20; ++i) {
            const Done d = run(loop, call("xrandom", {}, {{"percent", "20"}, {"secs", "5"}}, 60s));
            CHECK((d.took - 5s) % 65s == Duration::zero());
            if (d.took > 5s) ++retried;
        }
        CHECK(retried > 0);
        // Without an interval: PT10S, as Cylc's.
        const Done d = run(loop, call("xrandom", {"1"}));
        CHECK(d.took % 10s == Duration::zero());
    }

    TEST_CASE("xrandom at 0 percent never is, and makes no tries") {
        Loop loop(ClockMode::virtual_time);
        const Watched w = watch_for(loop, call("xrandom", {"0"}), 24h);
        CHECK_FALSE(w.satisfied);
        CHECK_FALSE(w.failed);
        CHECK(w.timers == 0);
    }

    TEST_CASE("xrandom refuses a percent outside 0 to 100") {
        Loop loop(ClockMode::virtual_time);
        CHECK(error_of(loop, call("xrandom", {"150"})) ==
              "xtrigger 'x': xrandom percent '150' is not a number from 0 to 100");
        CHECK(error_of(loop, call("xrandom", {"-1"})) ==
              "xtrigger 'x': xrandom percent '-1' is not a number from 0 to 100");
        CHECK(error_of(loop, call("xrandom", {"lots"})) ==
              "xtrigger 'x': xrandom percent 'lots' is not a number from 0 to 100");
        CHECK(error_of(loop, call("xrandom", {})).find("xrandom needs percent") !=
              std::string::npos);
        CHECK(error_of(loop, call("xrandom", {"50"}, {{"secs", "-3"}})) ==
              "xtrigger 'x': xrandom secs '-3' is not a number of seconds (0 or more)");
    }

    TEST_CASE("interval is satisfied that long after it is asked for") {
        Loop loop(ClockMode::virtual_time);
        Done d = run(loop, call("interval", {"PT1H"}));
        CHECK(d.took == 1h);
        CHECK(d.results == Results{{"elapsed", "PT1H"}});
        d = run(loop, call("interval", {}, {{"duration", "PT90M"}}));
        CHECK(d.took == 90min);
        CHECK(d.results == Results{{"elapsed", "PT1H30M"}});
        d = run(loop, call("interval", {"P1D"}));
        CHECK(d.took == 24h);
        CHECK(d.results == Results{{"elapsed", "P1D"}});
    }

    TEST_CASE("interval on the real clock") {
        Loop loop;
        const Done d = run(loop, call("interval", {"PT1S"}), 30s);
        CHECK(d.took >= 1s);
        CHECK(d.results == Results{{"elapsed", "PT1S"}});
    }

    TEST_CASE("interval refuses what is not a duration") {
        Loop loop(ClockMode::virtual_time);
        CHECK(error_of(loop, call("interval", {"soon"})).find("interval duration 'soon': ") !=
              std::string::npos);
        CHECK(error_of(loop, call("interval", {"-PT1H"})) ==
              "xtrigger 'x': interval duration '-PT1H' is negative: give how long to wait, e.g. "
              "PT1H");
        CHECK(error_of(loop, call("interval", {})) ==
              "xtrigger 'x': interval needs a duration, e.g. interval(PT1H)");
        CHECK(error_of(loop, call("interval", {"PT1H", "PT2H"})) ==
              "xtrigger 'x': interval takes at most 1 argument by position (duration): 'PT2H' is "
              "one too many");
    }

    TEST_CASE("workflow_state: a task that has succeeded is met at once") {
        TempDir t;
        const std::string run_dir = make_run(t.path + "/run1");
        {
            store::RunDb db(run_dir + "/db");
            record(db, point_value("20260101T0000Z"), "20260101T0000Z", "model", "succeeded",
                   "succeeded", {"submitted", "started", "succeeded", "finished"});
        }
        Loop loop;
        const Results want = {{"workflow", "other"},
                              {"task", "model"},
                              {"point", "20260101T0000Z"},
                              {"status", "succeeded"}};
        CHECK(run(loop, state_call(run_dir, "model", "20260101T0000Z"), 10s).results == want);
        // The point in any ISO 8601 form of the same instant.
        CHECK(run(loop, state_call(run_dir, "model", "2026-01-01T00Z"), 10s).results == want);
        CHECK(run(loop, state_call(run_dir, "model", "2026-01-01T01+01:00"), 10s).results == want);
        // status=running is reached by a task that has since succeeded.
        CHECK(
            result(run(loop,
                       state_call(run_dir, "model", "20260101T0000Z", {{"status", "running"}}), 10s)
                       .results,
                   "status") == "running");
        // Cylc 8.3's id form.
        CHECK(run(loop,
                  call("workflow_state", {"other//20260101T0000Z/model:succeeded"},
                       {{"run_dir", run_dir}}),
                  10s)
                  .results == want);
    }

    TEST_CASE("workflow_state waits while the task has not got there, and wakes as it does") {
        TempDir t;
        const std::string run_dir = make_run(t.path + "/run1");
        store::RunDb db(run_dir + "/db");
        record(db, 3, "3", "model", "started", "running", {"submitted", "started"});
        record(db, 3, "3", "post", "started", "running", {"submitted", "started"});
        Loop loop;
        // Not failed, since it succeeded; not succeeded while running.
        std::optional<Results> got;
        Duration latency{};
        std::uint64_t wakeups_idle = 0;
        test::run_guarded(
            loop,
            [](Loop& l, store::RunDb& db, std::string run_dir, std::optional<Results>& got,
               Duration& latency, std::uint64_t& wakeups_idle) -> Task<void> {
                Scope waiting(l);
                Event met(l);
                waiting.spawn(
                    [](Loop& l, Call c, std::optional<Results>& got, Event& met) -> Task<void> {
                        got = co_await triggers::run_builtin(l, std::move(c));
                        met.set();
                    }(l, state_call(run_dir, "model", "3"), got, met));
                std::optional<Results> failed;
                waiting.spawn([](Loop& l, Call c, std::optional<Results>& got) -> Task<void> {
                    got = co_await triggers::run_builtin(l, std::move(c));
                }(l, state_call(run_dir, "model", "3", {{"status", "failed"}}), failed));
                // Idle: other tasks' commits and other files of the run
                // wake nothing but the reads they call for.
                co_await l.clock().sleep_for(200ms);
                const std::uint64_t before = l.fired();
                for (int i = 0; i < 5; ++i) std::ofstream(run_dir + "/flow.yaml") << i;
                co_await l.clock().sleep_for(200ms);
                wakeups_idle = l.fired() - before;
                CHECK_FALSE(got);
                record(db, 3, "3", "post", "output", "running", {"submitted", "started", "x"});
                co_await l.clock().sleep_for(200ms);
                CHECK_FALSE(got);
                const TimePoint t0 = SysClock::now();
                record(db, 3, "3", "model", "succeeded", "succeeded",
                       {"submitted", "started", "succeeded", "finished"});
                co_await met.wait();
                latency = SysClock::now() - t0;
                co_await l.clock().sleep_for(200ms);
                CHECK_FALSE(failed);
                waiting.cancel();
            }(loop, db, run_dir, got, latency, wakeups_idle),
            30s, "the state");
        REQUIRE(got);
        CHECK(result(*got, "point") == "3");
        CHECK(result(*got, "status") == "succeeded");
        // The sleeper's own wake-up, and nothing for the five writes.
        CHECK(wakeups_idle <= 1);
        MESSAGE("commit to satisfied: "
                << std::chrono::duration_cast<std::chrono::microseconds>(latency).count() << " us");
    }

    TEST_CASE("workflow_state: an output, and a custom output") {
        TempDir t;
        const std::string run_dir = make_run(t.path + "/run1");
        {
            store::RunDb db(run_dir + "/db");
            record(db, 1, "1", "model", "output", "running",
                   {"submitted", "started", "restart_written"});
        }
        Loop loop;
        const Done d =
            run(loop, state_call(run_dir, "model", "1", {{"output", "restart_written"}}), 10s);
        CHECK(d.results == Results{{"workflow", "other"},
                                   {"task", "model"},
                                   {"point", "1"},
                                   {"output", "restart_written"}});
        CHECK_FALSE(
            watch_for(loop, state_call(run_dir, "model", "1", {{"output", "finished"}}), 300ms)
                .satisfied);
    }

    TEST_CASE("workflow_state waits for the run to appear under ~/tock-run, then for the task") {
        TempDir t;
        Home home(t.path);
        Loop loop;
        std::optional<Results> got;
        test::run_guarded(
            loop,
            [](Loop& l, std::string home, std::optional<Results>& got) -> Task<void> {
                Scope waiting(l);
                waiting.spawn([](Loop& l, Call c, std::optional<Results>& got) -> Task<void> {
                    got = co_await triggers::run_builtin(l, std::move(c));
                }(l, call("workflow_state", {"upstream", "get", "2"}), got));
                co_await l.clock().sleep_for(100ms);
                const std::string runs = home + "/tock-run/upstream";
                // A run of another workflow, and an old run with no database.
                make_run(home + "/tock-run/elsewhere/run1");
                std::filesystem::create_directories(runs + "/run1/log");
                co_await l.clock().sleep_for(100ms);
                CHECK_FALSE(got);
                // The run is installed, its scheduler makes the database.
                std::filesystem::create_directories(runs + "/run2/log/scheduler");
                co_await l.clock().sleep_for(100ms);
                store::RunDb db(make_run(runs + "/run2", "upstream") + "/db");
                record(db, 2, "2", "get", "started", "running", {"submitted", "started"});
                co_await l.clock().sleep_for(100ms);
                CHECK_FALSE(got);
                record(db, 2, "2", "get", "succeeded", "succeeded",
                       {"submitted", "started", "succeeded", "finished"});
                co_await waiting.join();
            }(loop, t.path, got),
            30s, "the run");
        REQUIRE(got);
        CHECK(*got == Results{{"workflow", "upstream"},
                              {"task", "get"},
                              {"point", "2"},
                              {"status", "succeeded"}});
    }

    TEST_CASE("workflow_state follows the latest run") {
        TempDir t;
        Home home(t.path);
        const std::string runs = t.path + "/tock-run/upstream";
        {
            store::RunDb old(make_run(runs + "/run1", "upstream") + "/db");
            record(old, 1, "1", "a", "failed", "failed", {"submitted", "started", "failed"});
        }
        Loop loop;
        std::optional<Results> got;
        test::run_guarded(
            loop,
            [](Loop& l, std::string runs, std::optional<Results>& got) -> Task<void> {
                Scope waiting(l);
                waiting.spawn([](Loop& l, Call c, std::optional<Results>& got)
                                  -> Task<void> {
                    got = co_await triggers::run_builtin(l, std::move(c));
                }(l,
                                  call("workflow_state", {},
                                       {{"workflow", "upstream"}, {"task", "a"}, {"point", "1"}}),
                                  got));
                co_await l.clock().sleep_for(100ms);
                CHECK_FALSE(got);
                store::RunDb db(make_run(runs + "/run2", "upstream") + "/db");
                record(db, 1, "1", "a", "succeeded", "succeeded",
                       {"submitted", "started", "succeeded"});
                co_await waiting.join();
            }(loop, runs, got),
            30s, "the new run");
        REQUIRE(got);
        CHECK(result(*got, "status") == "succeeded");
    }

    TEST_CASE("workflow_state refuses what can never be met") {
        Loop loop;
        CHECK(error_of(loop, state_call("/nowhere", "a", "1", {{"status", "succeded"}})) ==
              "xtrigger 'x': workflow_state status 'succeded' is not a task status (did you mean "
              "'succeeded'?): use submitted, submit-failed, running, succeeded, failed or expired");
        CHECK(error_of(loop, state_call("/nowhere", "a", "1", {{"status", "waiting"}}))
                  .find("workflow_state status 'waiting' is not one to wait for") !=
              std::string::npos);
        CHECK(error_of(loop,
                       state_call("/nowhere", "a", "1", {{"status", "failed"}, {"output", "x"}}))
                  .find("workflow_state takes status= or output=, not both") != std::string::npos);
        CHECK(error_of(loop, call("workflow_state", {}, {{"workflow", "w"}, {"point", "1"}}))
                  .find("workflow_state needs task=TASK") != std::string::npos);
        CHECK(error_of(loop, call("workflow_state", {}, {{"task", "a"}, {"point", "1"}}))
                  .find("workflow_state needs workflow=NAME (or run_dir=DIR)") !=
              std::string::npos);
        CHECK(error_of(loop, call("workflow_state", {"w//1"}))
                  .find("workflow_state id 'w//1' must be NAME//CYCLE/TASK") != std::string::npos);
        CHECK(error_of(loop, state_call("/nowhere", "a", "1", {{"offset", "PT1H"}}))
                  .find("workflow_state has no argument 'offset'") != std::string::npos);
        // A database of another schema.
        TempDir t;
        sqlite3* db = nullptr;
        REQUIRE(sqlite3_open((t.path + "/db").c_str(), &db) == SQLITE_OK);
        sqlite3_exec(db,
                     "CREATE TABLE task_states (point INTEGER, name TEXT, cycle TEXT, state TEXT);"
                     "INSERT INTO task_states VALUES (1, 'a', '1', 'succeeded')",
                     nullptr, nullptr, nullptr);
        sqlite3_close(db);
        CHECK(error_of(loop, state_call(t.path, "a", "1")) ==
              fmt::format("xtrigger 'x': workflow_state cannot read {}/db: no such column: outputs "
                          "(not a run database of this version of tock)",
                          t.path));
    }

    TEST_CASE("workflow_state against a run of the real tock") {
        REQUIRE_MESSAGE(std::filesystem::exists(TOCK_BINARY),
                        "build the tock target first: " TOCK_BINARY);
        TempDir t;
        const std::string flow = t.path + "/upstream.yaml";
        std::ofstream(flow) << "name: upstream\n"
                               "scheduling:\n"
                               "  cycling: integer\n"
                               "  final: 2\n"
                               "  graph:\n"
                               "    P1: a => b\n"
                               "runtime:\n"
                               "  a:\n"
                               "    script: sleep 1\n"
                               "  b:\n"
                               "    script: \"true\"\n";
        Home home(t.path);
        Loop loop;
        std::optional<Results> got;
        std::optional<TimePoint> met_at;
        long exit_code = -1;
        test::run_guarded(
            loop,
            [](Loop& l, std::string home, std::string flow, std::optional<Results>& got,
               std::optional<TimePoint>& met_at, long& exit_code) -> Task<void> {
                Scope waiting(l);
                // Asked for before the run exists.
                waiting.spawn([](Loop& l, Call c, std::optional<Results>& got,
                                 std::optional<TimePoint>& met_at)
                                  -> Task<void> {
                    got = co_await triggers::run_builtin(l, std::move(c));
                    met_at = SysClock::now();
                }(l,
                                  call("workflow_state", {},
                                       {{"workflow", "upstream"}, {"task", "b"}, {"point", "2"}}),
                                  got, met_at));
                Process play =
                    Process::spawn(l, {.argv = {TOCK_BINARY, "play", flow, "--no-detach"},
                                       .env = {{"HOME", home}},
                                       .stdout_path = home + "/play.out",
                                       .stderr_path = home + "/play.out"});
                exit_code = (co_await play.wait()).exit_code;
                co_await waiting.join();
            }(loop, t.path, flow, got, met_at, exit_code),
            60s, "the run of the real tock");
        CHECK(exit_code == 0);
        REQUIRE(got);
        CHECK(*got == Results{{"workflow", "upstream"},
                              {"task", "b"},
                              {"point", "2"},
                              {"status", "succeeded"}});
        // When the run recorded b's success, and when the trigger was met.
        sqlite3* db = nullptr;
        REQUIRE(sqlite3_open((t.path + "/tock-run/upstream/run1/db").c_str(), &db) == SQLITE_OK);
        sqlite3_stmt* s = nullptr;
        sqlite3_prepare_v2(db,
                           "SELECT time FROM task_events WHERE name = 'b' AND cycle = '2' AND "
                           "event = 'succeeded'",
                           -1, &s, nullptr);
        REQUIRE(sqlite3_step(s) == SQLITE_ROW);
        const std::string recorded = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
        sqlite3_finalize(s);
        sqlite3_close(db);
        // The store's time for the batch, in ms, taken just before its commit.
        std::tm tm{};
        int ms = 0;
        REQUIRE(std::sscanf(recorded.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon,
                            &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) == 7);
        tm.tm_year -= 1900;
        tm.tm_mon -= 1;
        const TimePoint at = SysClock::from_time_t(::timegm(&tm)) + std::chrono::milliseconds(ms);
        MESSAGE("b's success recorded at "
                << recorded << ", the trigger met "
                << std::chrono::duration_cast<std::chrono::microseconds>(*met_at - at).count()
                << " us later");
    }
}
