#include <doctest/doctest.h>

#include <algorithm>
#include <set>

#include "coroutines/task_pool.hpp"

using namespace tock;
using namespace tock::pool;

namespace {

config::Workflow wf(const std::string& text) {
    return config::Workflow::parse(text, "flow.yaml");
}

std::vector<std::string> names(const std::vector<TaskId>& ids) {
    std::vector<std::string> out;
    for (const auto& id : ids) out.push_back(std::to_string(id.point.value) + "/" + id.name);
    return out;
}

std::vector<std::string> in_pool(const TaskPool& p) {
    std::vector<std::string> out;
    for (const auto& [id, t] : p.tasks())
        out.push_back(std::to_string(id.point.value) + "/" + id.name);
    return out;
}

// Run each released task to success, in release order, until nothing is released.
std::vector<std::string> run_all(TaskPool& p, const std::set<std::string>& fail = {}) {
    std::vector<std::string> ran;
    for (int guard = 0; guard < 10000; ++guard) {
        auto ids = p.release();
        if (ids.empty()) break;
        for (const auto& id : ids) {
            const std::string n = std::to_string(id.point.value) + "/" + id.name;
            ran.push_back(n);
            p.submitted(id);
            p.started(id);
            p.finished(id, !fail.count(n));
        }
    }
    return ran;
}

}  // namespace

TEST_SUITE("task_pool") {
    TEST_CASE("tasks spawn on demand: only parentless tasks exist at the start") {
        auto w = wf("scheduling:\n  cycling: integer\n  final: 1\n  graph:\n    R1: a => b => c\n");
        TaskPool p(w);
        p.start();
        CHECK(in_pool(p) == std::vector<std::string>{"1/a"});
        auto ids = p.release();
        REQUIRE(names(ids) == std::vector<std::string>{"1/a"});
        p.submitted(ids[0]);
        p.started(ids[0]);
        CHECK(in_pool(p) == std::vector<std::string>{"1/a"});
        p.finished(ids[0], true);
        CHECK(in_pool(p) == std::vector<std::string>{"1/b"});  // a is gone, b spawned
        CHECK(run_all(p) == std::vector<std::string>{"1/b", "1/c"});
        CHECK(p.complete());
    }

    TEST_CASE("the runahead limit holds parentless tasks back") {
        auto w = wf(
            "scheduling:\n  cycling: integer\n  final: 10\n  runahead: P2\n  graph:\n    P1: a\n");
        TaskPool p(w);
        p.start();
        CHECK(in_pool(p) == std::vector<std::string>{"1/a", "2/a", "3/a"});
        auto ids = p.release();
        REQUIRE(ids.size() == 3);
        p.finished(ids[0], true);  // 1/a done: the window moves on by one
        CHECK(in_pool(p) == std::vector<std::string>{"2/a", "3/a", "4/a"});
        p.finished(ids[2], true);  // 3/a done, but 2/a still holds the base
        CHECK(in_pool(p) == std::vector<std::string>{"2/a", "4/a"});
    }

    TEST_CASE("inter-cycle dependencies wait for the previous cycle") {
        auto w =
            wf("scheduling:\n  cycling: integer\n  final: 3\n  graph:\n    P1: foo[-P1] => foo\n");
        TaskPool p(w);
        p.start();
        CHECK(in_pool(p) == std::vector<std::string>{"1/foo"});  // 0/foo is pre-initial
        CHECK(run_all(p) == std::vector<std::string>{"1/foo", "2/foo", "3/foo"});
        CHECK(p.complete());
    }

    TEST_CASE("a queue limits how many of its tasks are active") {
        auto w = wf(R"(
scheduling:
  cycling: integer
  final: 1
  queues:
    q: {limit: 2, members: [FAM]}
  graph:
    R1: FAM
runtime:
  FAM: {}
  m1: {inherit: FAM}
  m2: {inherit: FAM}
  m3: {inherit: FAM}
)");
        TaskPool p(w);
        p.start();
        auto first = p.release();
        CHECK(first.size() == 2);
        CHECK(p.release().empty());
        CHECK(p.find({config::Point{1}, "m3"})->queued);
        p.finished(first[0], true);
        CHECK(names(p.release()) == std::vector<std::string>{"1/m3"});
    }

    TEST_CASE("an optional failure runs the recovery task and completes") {
        auto w =
            wf("scheduling:\n  cycling: integer\n  final: 1\n  graph:\n    R1: |\n      a? => b\n"
               "      a:fail? => recover\n");
        TaskPool p(w);
        p.start();
        CHECK(run_all(p, {"1/a"}) == std::vector<std::string>{"1/a", "1/recover"});
        CHECK(p.complete());
    }

    TEST_CASE("a task that fails a required output is incomplete and the workflow stalls") {
        auto w = wf("scheduling:\n  cycling: integer\n  final: 1\n  graph:\n    R1: a => b\n");
        TaskPool p(w);
        p.start();
        CHECK(run_all(p, {"1/a"}) == std::vector<std::string>{"1/a"});
        CHECK_FALSE(p.complete());
        CHECK(p.stalled());
        CHECK(p.stall_reason() ==
              "1/a failed and is incomplete: it did not complete the required output "
              "a:succeeded");
    }

    TEST_CASE("the stall reason names every required output a task did not complete") {
        auto w = wf(R"(
scheduling:
  cycling: integer
  final: 1
  graph:
    R1: |
      a:x => b
      a:y => c
runtime:
  a:
    outputs: {x: x done, y: y done}
)");
        TaskPool p(w);
        p.start();
        auto ids = p.release();
        REQUIRE(ids.size() == 1);
        p.submitted(ids[0]);
        p.started(ids[0]);
        p.output(ids[0], "x");
        p.finished(ids[0], true);
        CHECK(p.release().size() == 1);  // b
        CHECK(p.stall_reason().find(
                  "1/a succeeded and is incomplete: it did not complete the required output "
                  "a:y") != std::string::npos);
    }

    TEST_CASE("an inter-cycle trigger does not make an output required") {
        auto w = wf(R"(
scheduling:
  cycling: integer
  final: 2
  graph:
    P1: |
      a
      a[-P1]:fail => d
)");
        const auto& rt = w.runtime.at("a");
        CHECK(rt.output_required("succeeded"));
        CHECK_FALSE(rt.output_required("failed"));
        TaskPool p(w);
        p.start();
        CHECK(run_all(p) == std::vector<std::string>{"1/a", "1/d", "2/a"});
        CHECK(p.complete());
    }

    TEST_CASE("an absolute trigger inside an OR spawns its task when the output completes") {
        auto w = wf(R"(
scheduling:
  cycling: integer
  final: 2
  graph:
    R1: foo
    R1/2: foo[^] | bar? => baz
)");
        TaskPool p(w);
        p.start();
        CHECK(run_all(p, {"2/bar"}) == std::vector<std::string>{"1/foo", "2/bar", "2/baz"});
        CHECK(p.complete());
    }

    TEST_CASE("execution retries put a failed task back to waiting") {
        auto w = wf(R"(
scheduling:
  cycling: integer
  final: 1
  graph:
    R1: a
runtime:
  a:
    retries: {execution: [PT1M]}
)");
        TaskPool p(w);
        p.start();
        auto ids = p.release();
        REQUIRE(ids.size() == 1);
        p.finished(ids[0], false);
        const Task* a = p.find(ids[0]);
        REQUIRE(a);
        CHECK(a->state == State::waiting);
        CHECK(a->retry_pending);
        CHECK(a->retry_delay->seconds == 60);
        CHECK(p.release().empty());
        CHECK_FALSE(p.stalled());  // a retry is pending
        p.retry_due(ids[0]);
        ids = p.release();
        REQUIRE(ids.size() == 1);
        CHECK(p.find(ids[0])->submit_num == 2);
        p.finished(ids[0], true);
        CHECK(p.complete());
    }

    TEST_CASE("family triggers wait for every member") {
        auto w = wf(R"(
scheduling:
  cycling: integer
  final: 1
  graph:
    R1: |
      FAM:succeed-all => done
runtime:
  FAM: {}
  m1: {inherit: FAM}
  m2: {inherit: FAM}
)");
        TaskPool p(w);
        p.start();
        auto ids = p.release();
        REQUIRE(names(ids) == std::vector<std::string>{"1/m1", "1/m2"});
        p.finished(ids[0], true);
        CHECK(p.release().empty());  // done waits for m2 too
        p.finished(ids[1], true);
        CHECK(names(p.release()) == std::vector<std::string>{"1/done"});
    }

    TEST_CASE("xtriggers hold a task until satisfied") {
        auto w = wf(R"(
scheduling:
  cycling: integer
  final: 1
  xtriggers:
    upstream: workflow_state(workflow=other, task=foo, point=%(point)s)
  graph:
    R1: "@upstream => a"
)");
        TaskPool p(w);
        p.start();
        CHECK(p.release().empty());
        CHECK(p.wanted_xtriggers().size() == 1);
        CHECK_FALSE(p.stalled());
        p.xtrigger("upstream", config::Point{1});
        CHECK(names(p.release()) == std::vector<std::string>{"1/a"});
    }

    TEST_CASE("completed tasks no prerequisite can name are forgotten, and none runs twice") {
        // Run a workflow to its end: how many tasks ran (each once), and how
        // many completed ones the pool still remembers.
        auto run = [](const std::string& graph) {
            auto w = wf(graph);
            TaskPool p(w);
            p.start();
            const std::vector<std::string> ran = run_all(p);
            const std::set<std::string> once(ran.begin(), ran.end());
            CHECK(once.size() == ran.size());
            CHECK(p.complete());
            return std::pair{ran.size(), p.remembered()};
        };
        SUBCASE("offsets to the past: a window of a few cycles is kept") {
            const auto [ran, kept] =
                run("scheduling:\n  cycling: integer\n  final: 200\n  graph:\n"
                    "    P1: a[-P2] => a => b\n");
            CHECK(ran == 400);
            CHECK(kept <= 8);
        }
        SUBCASE("a date-time look back of a day, six-hourly cycles") {
            const auto [ran, kept] =
                run("scheduling:\n  cycling: datetime\n  initial: 2026-01-01T00Z\n"
                    "  final: 2026-03-01T00Z\n  graph:\n    PT6H: a[-P1D] => a => b\n");
            CHECK(ran == 2 * (59 * 4 + 1));
            CHECK(kept <= 2 * 6);
        }
        SUBCASE("a point named absolutely is kept for good") {
            const auto [ran, kept] =
                run("scheduling:\n  cycling: integer\n  final: 100\n  graph:\n"
                    "    R1: install\n    P1: install[^] => a\n");
            CHECK(ran == 101);  // every a found 1/install
            CHECK(kept <= 8);
        }
        SUBCASE("an offset that looks ahead: nothing is forgotten") {
            const auto [ran, kept] =
                run("scheduling:\n  cycling: integer\n  final: 50\n  graph:\n"
                    "    P1: |\n      a\n      a[+P1] => b\n");
            CHECK(ran == 50 + 49);
            CHECK(kept == ran);
        }
    }

    TEST_CASE("suicide triggers remove a task, in the pool or not yet spawned") {
        auto w =
            wf("scheduling:\n  cycling: integer\n  final: 1\n  graph:\n    R1: |\n"
               "      model:fail? => recover\n      model? => !recover\n"
               "      model? | recover => post\n");
        {
            // model succeeds: recover is removed before anything spawns it,
            // and never spawns afterwards; post runs; nothing stalls.
            TaskPool p(w);
            p.start();
            CHECK(run_all(p) == std::vector<std::string>{"1/model", "1/post"});
            CHECK(p.complete());
            const auto removed = p.take_removed();
            REQUIRE(removed.size() == 1);
            CHECK(removed[0].id.name == "recover");
            CHECK(removed[0].state == State::waiting);
            CHECK(removed[0].by == std::vector<std::string>{"1/model:succeeded"});
            CHECK(p.take_removed().empty());
        }
        {
            // model fails: recover runs, then post.
            TaskPool p(w);
            p.start();
            CHECK(run_all(p, {"1/model"}) ==
                  std::vector<std::string>{"1/model", "1/recover", "1/post"});
            CHECK(p.complete());
            CHECK(p.take_removed().empty());
        }
    }

    TEST_CASE("suicide triggers are and-ed, and remove a waiting or an active task") {
        auto w =
            wf("scheduling:\n  cycling: integer\n  final: 1\n  graph:\n    R1: |\n"
               "      a => !w\n      b => !w\n      gate => w\n      gate & a & b\n"
               "      a => !r\n      r\n");
        TaskPool p(w);
        p.start();
        auto ids = p.release();
        CHECK(names(ids) == std::vector<std::string>{"1/a", "1/b", "1/gate", "1/r"});
        for (const auto& id : ids) {
            p.submitted(id);
            p.started(id);
        }
        // gate succeeds: w spawns and waits (for nothing: it is ready).
        p.finished({Point{1}, "gate"}, true);
        CHECK(p.find({Point{1}, "w"}) != nullptr);
        // a succeeds: r, running, is removed (its job is the caller's
        // to leave running); w waits on b's suicide too.
        p.finished({Point{1}, "a"}, true);
        auto removed = p.take_removed();
        REQUIRE(removed.size() == 1);
        CHECK(removed[0].id.name == "r");
        CHECK(removed[0].state == State::running);
        CHECK(removed[0].submit_num == 1);
        CHECK(p.find({Point{1}, "r"}) == nullptr);
        CHECK(p.find({Point{1}, "w"}) != nullptr);
        // A removed task's job ends unheeded.
        p.finished({Point{1}, "r"}, true);
        CHECK(p.find({Point{1}, "r"}) == nullptr);
        // b succeeds: w is removed too, before it ran.
        p.finished({Point{1}, "b"}, true);
        removed = p.take_removed();
        REQUIRE(removed.size() == 1);
        CHECK(removed[0].id.name == "w");
        CHECK(removed[0].by == std::vector<std::string>{"1/a:succeeded", "1/b:succeeded"});
        // Released before b ended, w would have run; it was not: it is
        // removed from the queue as well.
        CHECK(run_all(p).empty());
        CHECK(p.complete());
        CHECK(p.active() == 0);
    }

    TEST_CASE("a suicide trigger leaves a task that has run alone") {
        auto w =
            wf("scheduling:\n  cycling: integer\n  final: 1\n  graph:\n    R1: |\n"
               "      a => b\n      b => c\n      c => !b\n");
        TaskPool p(w);
        p.start();
        CHECK(run_all(p) == std::vector<std::string>{"1/a", "1/b", "1/c"});
        CHECK(p.take_removed().empty());
        CHECK(p.complete());
    }
}
