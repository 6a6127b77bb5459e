// The pure side of operator commands: task ids resolved against the pool
// (pool::resolve_ids) and the TaskPool's hold, release, trigger, set,
// remove, kill and stop-after. No scheduler, no I/O: events go in by hand.
#include <doctest/doctest.h>

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "coroutines/task_ids.hpp"
#include "coroutines/task_pool.hpp"

// Lists of ids shown in failures as ["1/a", "2/b"].
namespace doctest {
template <>
struct StringMaker<std::vector<std::string>> {
    static String convert(const std::vector<std::string>& v) {
        std::string s = "[";
        for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", \"" : "\"") + v[i] + "\"";
        return (s + "]").c_str();
    }
};
}  // namespace doctest

using namespace tock;
using namespace tock::pool;

namespace {

config::Workflow wf(const std::string& text) {
    return config::Workflow::parse(text, "flow.yaml");
}

TaskId tid(std::int64_t point, const std::string& name) {
    return {config::Point{point}, name};
}

using Names = std::vector<std::string>;

Names names(const std::vector<TaskId>& ids) {
    Names out;
    for (const auto& id : ids) out.push_back(std::to_string(id.point.value) + "/" + id.name);
    return out;
}

Names in_pool(const TaskPool& p) {
    Names out;
    for (const auto& [id, t] : p.tasks())
        out.push_back(std::to_string(id.point.value) + "/" + id.name);
    return out;
}

// resolve_ids, as "CYCLE/TASK" strings.
Names resolve(TaskPool& p, const std::vector<std::string>& ids, bool outside = false) {
    return names(resolve_ids(p, ids, outside));
}
// resolve_ids' IdError message ("" if it resolved).
std::string id_error(TaskPool& p, const std::vector<std::string>& ids, bool outside = false) {
    try {
        resolve_ids(p, ids, outside);
    } catch (const IdError& e) {
        return e.what();
    }
    return "";
}

bool starts_with(const std::string& s, const std::string& prefix) {
    return s.compare(0, prefix.size(), prefix) == 0;
}

// A job for `id` that runs to the end: succeeded or failed.
void run_job(TaskPool& p, const TaskId& id, bool ok = true) {
    p.submitted(id);
    p.started(id);
    p.finished(id, ok);
}

// prerequisites() as a map: "CYCLE/TASK:OUTPUT" -> met.
std::map<std::string, bool> prereqs(const TaskPool& p, const TaskId& id) {
    std::map<std::string, bool> out;
    for (const auto& [k, met] : p.prerequisites(id)) out[k] = met;
    return out;
}

// prep at each of three cycle points, then a family of two models, then post.
const char* kModels = R"(
scheduling:
  cycling: integer
  final: 3
  graph:
    P1: |
      prep => model_a & model_b
      model_a & model_b => post
runtime:
  MODELS: {}
  model_a: {inherit: MODELS}
  model_b: {inherit: MODELS}
)";

const char* kChain = "scheduling:\n  cycling: integer\n  final: 1\n  graph:\n    R1: a => b\n";

// b waits for two parentless tasks.
const char* kJoin = "scheduling:\n  cycling: integer\n  final: 1\n  graph:\n    R1: a & c => b\n";

// One task a cycle, integer points 1..10.
const char* kCycling =
    "scheduling:\n  cycling: integer\n  final: 10\n  runahead: P2\n  graph:\n    P1: a\n";

}  // namespace

TEST_SUITE("pool_commands") {
    // The pool below: 1/model_a, 1/model_b waiting (1/prep succeeded and
    // left), 2/prep running, 3/prep preparing.
    TEST_CASE("resolve_ids: ids against the pool and the graph") {
        auto w = wf(kModels);
        TaskPool p(w);
        p.start();
        REQUIRE(in_pool(p) == Names{"1/prep", "2/prep", "3/prep"});
        REQUIRE(names(p.release()) == Names{"1/prep", "2/prep", "3/prep"});
        run_job(p, tid(1, "prep"));
        p.submitted(tid(2, "prep"));
        p.started(tid(2, "prep"));
        REQUIRE(in_pool(p) == Names{"1/model_a", "1/model_b", "2/prep", "3/prep"});
        REQUIRE(p.find(tid(2, "prep"))->state == State::running);
        REQUIRE(p.find(tid(3, "prep"))->state == State::preparing);

        SUBCASE("CYCLE/TASK in the pool") {
            CHECK(resolve(p, {"2/prep"}) == Names{"2/prep"});
            CHECK(resolve(p, {"2/prep"}, true) == Names{"2/prep"});
            CHECK(resolve(p, {"1/model_b"}) == Names{"1/model_b"});
        }
        SUBCASE("CYCLE/TASK outside the pool: only when outside is allowed, and on the graph") {
            // 1/prep completed and left; 1/post and 2/model_a are not spawned yet.
            CHECK(id_error(p, {"1/prep"}) ==
                  "'1/prep' matches no task in the pool (active or waiting)");
            CHECK(id_error(p, {"1/post"}) ==
                  "'1/post' matches no task in the pool (active or waiting)");
            CHECK(resolve(p, {"1/prep"}, true) == Names{"1/prep"});
            CHECK(resolve(p, {"1/post"}, true) == Names{"1/post"});
            CHECK(resolve(p, {"2/model_a"}, true) == Names{"2/model_a"});
            // Beyond the final point, and before the initial one: not on the graph.
            CHECK(id_error(p, {"4/prep"}, true) == "'4/prep' matches no task");
            CHECK(id_error(p, {"0/prep"}, true) == "'0/prep' matches no task");
        }
        SUBCASE("globs on the cycle point match tasks in the pool only") {
            CHECK(resolve(p, {"*/prep"}) == Names{"2/prep", "3/prep"});
            CHECK(resolve(p, {"*/prep"}, true) == Names{"2/prep", "3/prep"});
            CHECK(resolve(p, {"[12]/*"}) == Names{"1/model_a", "1/model_b", "2/prep"});
            CHECK(resolve(p, {"?/model_a"}, true) == Names{"1/model_a"});
            // post is on the graph at every point, but in the pool at none.
            CHECK(id_error(p, {"*/post"}, true) == "'*/post' matches no task");
            CHECK(id_error(p, {"*/post"}) ==
                  "'*/post' matches no task in the pool (active or waiting)");
        }
        SUBCASE("globs on the task name") {
            CHECK(resolve(p, {"1/model_?"}) == Names{"1/model_a", "1/model_b"});
            CHECK(resolve(p, {"*/*_b"}) == Names{"1/model_b"});
            CHECK(resolve(p, {"3/p*"}) == Names{"3/prep"});
            CHECK(id_error(p, {"1/p*"}) ==
                  "'1/p*' matches no task in the pool (active or waiting)");
        }
        SUBCASE("family names and family globs") {
            CHECK(resolve(p, {"1/MODELS"}) == Names{"1/model_a", "1/model_b"});
            CHECK(resolve(p, {"*/MOD*"}) == Names{"1/model_a", "1/model_b"});
            CHECK(resolve(p, {"*/MOD*"}, true) == Names{"1/model_a", "1/model_b"});
            CHECK(resolve(p, {"1/[M]ODELS"}) == Names{"1/model_a", "1/model_b"});
            // Written out in full: the members on the graph there, spawned or not.
            CHECK(resolve(p, {"2/MODELS"}, true) == Names{"2/model_a", "2/model_b"});
            CHECK(id_error(p, {"2/MODELS"}) ==
                  "'2/MODELS' matches no task in the pool (active or waiting)");
            CHECK(id_error(p, {"2/MOD*"}) ==
                  "'2/MOD*' matches no task in the pool (active or waiting)");
        }
        SUBCASE(":STATE selectors") {
            CHECK(resolve(p, {"*/prep:running"}) == Names{"2/prep"});
            CHECK(resolve(p, {"*/*:waiting"}) == Names{"1/model_a", "1/model_b"});
            CHECK(resolve(p, {"*/*:prep*"}) == Names{"3/prep"});  // a state glob: preparing
            CHECK(resolve(p, {"1:waiting"}) == Names{"1/model_a", "1/model_b"});
            CHECK(resolve(p, {"*/MODELS:waiting"}, true) == Names{"1/model_a", "1/model_b"});
            CHECK(id_error(p, {"*/prep:succeeded"}) ==
                  "'*/prep:succeeded' matches no task in the pool (active or waiting)");
            // A state selects from the pool only, even written out in full.
            CHECK(id_error(p, {"1/post:waiting"}, true) == "'1/post:waiting' matches no task");
            CHECK(id_error(p, {"1/prep:succeeded"}, true) == "'1/prep:succeeded' matches no task");
        }
        SUBCASE("a bad state") {
            const std::string e = id_error(p, {"2/prep:bogus"});
            CHECK(starts_with(e, "'2/prep:bogus': no such state 'bogus' (waiting, preparing,"));
            CHECK(starts_with(id_error(p, {"2/prep:"}), "'2/prep:': no such state ''"));
            CHECK(starts_with(id_error(p, {"2/prep:submit_failed"}),
                              "'2/prep:submit_failed': no such state"));
        }
        SUBCASE("a bare CYCLE is every task of that point in the pool") {
            CHECK(resolve(p, {"1"}) == Names{"1/model_a", "1/model_b"});
            CHECK(resolve(p, {"2"}) == Names{"2/prep"});
            CHECK(resolve(p, {"*"}) == Names{"1/model_a", "1/model_b", "2/prep", "3/prep"});
        }
        SUBCASE("CYCLE/TASK/JOB: the task") {
            CHECK(resolve(p, {"2/prep/01"}) == Names{"2/prep"});
            CHECK(resolve(p, {"1/post/1"}, true) == Names{"1/post"});
            CHECK(id_error(p, {"2/prep/x1"}) == "'2/prep/x1': a job is a number, as in 1/a/01");
            CHECK(id_error(p, {"2/prep/"}) == "'2/prep/': a job is a number, as in 1/a/01");
        }
        SUBCASE("an unknown task or family, a bad cycle point, a bad form") {
            CHECK(id_error(p, {"1/nope"}, true) == "'1/nope': there is no task or family 'nope'");
            CHECK(id_error(p, {"1/MODEL"}) == "'1/MODEL': there is no task or family 'MODEL'");
            CHECK(starts_with(id_error(p, {"x7/prep"}, true), "'x7/prep': bad cycle point 'x7': "));
            CHECK(starts_with(id_error(p, {"/prep"}), "'/prep': ids are CYCLE/TASK"));
            CHECK(starts_with(id_error(p, {"2/"}), "'2/': ids are CYCLE/TASK"));
        }
        SUBCASE("several ids: sorted, repeats dropped; any bad one fails the lot") {
            CHECK(resolve(p, {"3/prep", "2/prep", "*/prep", "2"}) == Names{"2/prep", "3/prep"});
            CHECK(resolve(p, {"1/post", "1/MODELS"}, true) ==
                  Names{"1/model_a", "1/model_b", "1/post"});
            CHECK(id_error(p, {"2/prep", "1/nope"}) ==
                  "'1/nope': there is no task or family 'nope'");
            CHECK(id_error(p, {"2/prep", "1/post"}) ==
                  "'1/post' matches no task in the pool (active or waiting)");
        }
    }

    // With `outside`, a task glob (and a bare CYCLE, which is CYCLE/*) at a
    // written-out cycle point still matches tasks in the pool only, as in
    // Cylc 8: `tock trigger WF 2` acts on no task that has not spawned.
    TEST_CASE("resolve_ids: a task glob matches the pool only, even at a written-out point") {
        auto w = wf(kModels);
        TaskPool p(w);
        p.start();
        REQUIRE(in_pool(p) == Names{"1/prep", "2/prep", "3/prep"});
        CHECK(resolve(p, {"2/*"}, true) == Names{"2/prep"});
        CHECK(resolve(p, {"2"}, true) == Names{"2/prep"});
        CHECK(id_error(p, {"2/model_*"}, true) == "'2/model_*' matches no task");
        CHECK(id_error(p, {"2/MOD*"}, true) == "'2/MOD*' matches no task");
    }

    TEST_CASE("hold and unhold a task in the pool") {
        auto w = wf(kChain);
        TaskPool p(w);
        p.start();
        CHECK(p.hold(tid(1, "a")) == "");
        REQUIRE(p.find(tid(1, "a")));
        CHECK(p.find(tid(1, "a"))->held);
        CHECK(p.held() == 1);
        CHECK(p.release().empty());
        CHECK_FALSE(p.stalled());  // a held task waits for the operator
        CHECK(p.unhold(tid(1, "a")) == "");
        CHECK_FALSE(p.find(tid(1, "a"))->held);
        CHECK(p.held() == 0);
        CHECK(names(p.release()) == Names{"1/a"});
        CHECK(p.unhold(tid(1, "a")) == "it is not held");
        CHECK(p.unhold(tid(1, "b")) == "it is not held");  // not spawned, not held
    }

    TEST_CASE("hold a task not spawned yet: it is held when it spawns") {
        auto w = wf(kChain);
        TaskPool p(w);
        p.start();
        CHECK(p.hold(tid(1, "b")) == "");
        CHECK(p.find(tid(1, "b")) == nullptr);  // remembered, not spawned
        CHECK(p.holds_to_come() == std::set<TaskId>{tid(1, "b")});
        CHECK(p.hold(tid(2, "b")) == "it is not on the graph at that cycle point");
        CHECK(p.hold(tid(1, "nope")) == "it is not on the graph at that cycle point");

        REQUIRE(names(p.release()) == Names{"1/a"});
        run_job(p, tid(1, "a"));
        REQUIRE(p.find(tid(1, "b")));
        CHECK(p.find(tid(1, "b"))->held);
        CHECK(p.holds_to_come().empty());
        CHECK(p.release().empty());
        CHECK(p.hold(tid(1, "a")) == "it has completed");

        CHECK(p.unhold(tid(1, "b")) == "");
        CHECK(names(p.release()) == Names{"1/b"});
    }

    TEST_CASE("unhold cancels the hold of a task not spawned yet") {
        auto w = wf(kChain);
        TaskPool p(w);
        p.start();
        REQUIRE(p.hold(tid(1, "b")) == "");
        CHECK(p.unhold(tid(1, "b")) == "");
        CHECK(p.holds_to_come().empty());
        REQUIRE(names(p.release()) == Names{"1/a"});
        run_job(p, tid(1, "a"));
        REQUIRE(p.find(tid(1, "b")));
        CHECK_FALSE(p.find(tid(1, "b"))->held);
        CHECK(names(p.release()) == Names{"1/b"});
    }

    TEST_CASE("set_hold_after holds later tasks now and as they spawn; release_all undoes it") {
        auto w = wf(kCycling);
        TaskPool p(w);
        p.start();
        REQUIRE(in_pool(p) == Names{"1/a", "2/a", "3/a"});
        p.set_hold_after(config::Point{1});
        CHECK(p.hold_after() == config::Point{1});
        CHECK_FALSE(p.find(tid(1, "a"))->held);
        CHECK(p.find(tid(2, "a"))->held);
        CHECK(p.find(tid(3, "a"))->held);
        CHECK(names(p.release()) == Names{"1/a"});
        run_job(p, tid(1, "a"));
        REQUIRE(in_pool(p) == Names{"2/a", "3/a", "4/a"});
        CHECK(p.find(tid(4, "a"))->held);  // spawned after the command: held too
        CHECK(p.held() == 3);
        CHECK(p.release().empty());
        REQUIRE(p.hold(tid(6, "a")) == "");  // a hold to come, which release_all clears

        p.release_all();
        CHECK_FALSE(p.hold_after());
        CHECK(p.holds_to_come().empty());
        CHECK(p.held() == 0);
        CHECK(names(p.release()) == Names{"2/a", "3/a", "4/a"});
        run_job(p, tid(2, "a"));
        run_job(p, tid(3, "a"));
        run_job(p, tid(4, "a"));
        REQUIRE(in_pool(p) == Names{"5/a", "6/a", "7/a"});
        CHECK(p.held() == 0);  // neither the hold-after point nor 6/a's hold is left
        CHECK(names(p.release()) == Names{"5/a", "6/a", "7/a"});
    }

    TEST_CASE("trigger a waiting task: it is released at once, whatever it waits for") {
        SUBCASE("not spawned yet, its prerequisite not met") {
            auto w = wf(kChain);
            TaskPool p(w);
            p.start();
            CHECK(p.trigger(tid(1, "b")) == "");
            REQUIRE(p.find(tid(1, "b")));
            CHECK(names(p.release()) == Names{"1/a", "1/b"});
            CHECK(p.find(tid(1, "b"))->state == State::preparing);
            CHECK(p.find(tid(1, "b"))->submit_num == 1);
        }
        SUBCASE("in the pool, waiting for a held task") {
            auto w = wf(kJoin);
            TaskPool p(w);
            p.start();
            REQUIRE(p.hold(tid(1, "c")) == "");
            REQUIRE(names(p.release()) == Names{"1/a"});
            run_job(p, tid(1, "a"));
            REQUIRE(p.find(tid(1, "b")));
            CHECK_FALSE(p.is_ready(tid(1, "b")));
            CHECK(p.release().empty());
            CHECK(p.trigger(tid(1, "b")) == "");
            CHECK(names(p.release()) == Names{"1/b"});
            // A held task triggered runs too, and is held no more.
            CHECK(p.trigger(tid(1, "c")) == "");
            CHECK(names(p.release()) == Names{"1/c"});
            CHECK_FALSE(p.find(tid(1, "c"))->held);
        }
        SUBCASE("past its queue's limit and the runahead limit") {
            auto w = wf(R"(
scheduling:
  cycling: integer
  final: 10
  runahead: P1
  queues:
    q: {limit: 1, members: [a, c]}
  graph:
    P1: |
      a
      c
)");
            TaskPool p(w);
            p.start();
            REQUIRE(names(p.release()) == Names{"1/a"});
            REQUIRE(p.find(tid(1, "c"))->queued);
            CHECK(p.trigger(tid(1, "c")) == "");
            CHECK(p.trigger(tid(5, "a")) == "");  // beyond the runahead limit (2)
            CHECK(names(p.release()) == Names{"1/c", "5/a"});
            CHECK(p.active() == 3);
            // The queue's slots are all taken (3 of 1): nothing else of it runs.
            CHECK(p.release().empty());
        }
    }

    TEST_CASE("trigger a finished task: it runs again as the next job") {
        auto w = wf(kChain);
        TaskPool p(w);
        p.start();
        REQUIRE(names(p.release()) == Names{"1/a"});
        run_job(p, tid(1, "a"));
        REQUIRE(names(p.release()) == Names{"1/b"});
        run_job(p, tid(1, "b"));
        REQUIRE(p.complete());
        REQUIRE(p.done_submit_num(tid(1, "a")) == 1);

        CHECK(p.trigger(tid(1, "a")) == "");
        REQUIRE(p.find(tid(1, "a")));
        CHECK(p.find(tid(1, "a"))->state == State::waiting);
        CHECK(p.find(tid(1, "a"))->outputs.empty());  // a fresh run
        CHECK_FALSE(p.complete());
        CHECK(names(p.release()) == Names{"1/a"});
        CHECK(p.find(tid(1, "a"))->submit_num == 2);
        run_job(p, tid(1, "a"));
        CHECK(p.done_submit_num(tid(1, "a")) == 2);
        CHECK(p.find(tid(1, "b")) == nullptr);  // b ran already: not again
        CHECK(p.release().empty());
        CHECK(p.complete());
    }

    TEST_CASE("trigger an incomplete failed task: it runs again, its outputs kept") {
        auto w = wf(kChain);
        TaskPool p(w);
        p.start();
        REQUIRE(names(p.release()) == Names{"1/a"});
        run_job(p, tid(1, "a"), false);
        REQUIRE(p.find(tid(1, "a"))->state == State::failed);
        REQUIRE(p.stalled());
        CHECK(p.trigger(tid(1, "a")) == "");
        CHECK(p.find(tid(1, "a"))->state == State::waiting);
        // What the failed run completed stays completed (a:failed => x stays
        // satisfied), as in Cylc 8.
        CHECK(p.find(tid(1, "a"))->outputs.count("failed") == 1);
        CHECK(names(p.release()) == Names{"1/a"});
        CHECK(p.find(tid(1, "a"))->submit_num == 2);
        run_job(p, tid(1, "a"));
        CHECK(names(p.release()) == Names{"1/b"});
    }

    TEST_CASE("trigger refuses an active task, one beyond the stop point, one off the graph") {
        auto w = wf(kChain);
        TaskPool p(w);
        p.start();
        REQUIRE(names(p.release()) == Names{"1/a"});
        CHECK(p.trigger(tid(1, "a")) == "it is preparing already");
        p.submitted(tid(1, "a"));
        CHECK(p.trigger(tid(1, "a")) == "it is submitted already");
        p.started(tid(1, "a"));
        CHECK(p.trigger(tid(1, "a")) == "it is running already");
        CHECK_FALSE(p.find(tid(1, "a"))->forced);
        CHECK(p.release().empty());
        CHECK(p.find(tid(1, "a"))->submit_num == 1);
        CHECK(p.trigger(tid(2, "a")) == "it is not on the graph at that cycle point");

        auto w2 = wf(kCycling);
        TaskPool q(w2);
        q.set_stop_point(config::Point{2});
        q.start();
        CHECK(q.trigger(tid(3, "a")) == "it is beyond the stop point");
        CHECK(q.find(tid(3, "a")) == nullptr);
    }

    // A completed task triggered again keeps its outputs on record: a
    // downstream task they satisfied stays satisfied, as in Cylc 8, even if
    // the new run fails.
    TEST_CASE("trigger a completed task: what its outputs satisfied stays satisfied") {
        auto w = wf(kJoin);
        TaskPool p(w);
        p.start();
        REQUIRE(p.hold(tid(1, "c")) == "");
        REQUIRE(names(p.release()) == Names{"1/a"});
        run_job(p, tid(1, "a"));
        REQUIRE(p.find(tid(1, "b")));
        REQUIRE(prereqs(p, tid(1, "b"))["1/a:succeeded"]);
        REQUIRE(p.trigger(tid(1, "a")) == "");
        CHECK(prereqs(p, tid(1, "b"))["1/a:succeeded"]);
        REQUIRE(names(p.release()) == Names{"1/a"});
        run_job(p, tid(1, "a"), false);  // the new run fails
        REQUIRE(p.unhold(tid(1, "c")) == "");
        REQUIRE(names(p.release()) == Names{"1/c"});
        run_job(p, tid(1, "c"));
        CHECK(names(p.release()) == Names{"1/b"});
    }

    TEST_CASE("set succeeded on a waiting task: it completes and its downstream is ready") {
        auto w = wf(kChain);
        TaskPool p(w);
        p.start();
        CHECK(p.set_outputs(tid(1, "a"), {"succeeded"}) == "");
        CHECK(p.find(tid(1, "a")) == nullptr);
        REQUIRE(p.done_outputs(tid(1, "a")));
        CHECK(*p.done_outputs(tid(1, "a")) ==
              std::set<std::string>{"submitted", "started", "succeeded", "finished"});
        CHECK(p.completed_total() == 1);
        CHECK(p.done_submit_num(tid(1, "a")) == 0);  // no job ran
        REQUIRE(p.find(tid(1, "b")));
        CHECK(p.is_ready(tid(1, "b")));
        CHECK(names(p.release()) == Names{"1/b"});  // a does not run
    }

    TEST_CASE("set succeeded on an active task frees its queue slot") {
        auto w = wf(kChain);
        TaskPool p(w);
        p.start();
        REQUIRE(names(p.release()) == Names{"1/a"});
        p.submitted(tid(1, "a"));
        p.started(tid(1, "a"));
        REQUIRE(p.active() == 1);
        CHECK(p.set_outputs(tid(1, "a"), {"succeeded"}) == "");
        CHECK(p.active() == 0);
        CHECK(p.done_submit_num(tid(1, "a")) == 1);
        p.finished(tid(1, "a"), true);  // the job's own end, later: no effect
        CHECK(p.active() == 0);
        CHECK(names(p.release()) == Names{"1/b"});
    }

    TEST_CASE("set custom, unknown and required outputs") {
        auto w = wf(R"(
scheduling:
  cycling: integer
  final: 1
  graph:
    R1: |
      a => b
      a:x => c
      a:y? => d
runtime:
  a:
    outputs:
      x: "x done"
      y: "y done"
)");
        TaskPool p(w);
        p.start();
        REQUIRE(in_pool(p) == Names{"1/a"});

        SUBCASE("a custom output: its downstream spawns; the task does not finish") {
            CHECK(p.set_outputs(tid(1, "a"), {"x"}) == "");
            REQUIRE(p.find(tid(1, "a")));
            CHECK(p.find(tid(1, "a"))->state == State::waiting);
            CHECK(p.find(tid(1, "a"))->outputs == std::set<std::string>{"x"});
            CHECK(in_pool(p) == Names{"1/a", "1/c"});
            CHECK(p.is_ready(tid(1, "c")));
            CHECK(names(p.release()) == Names{"1/a", "1/c"});
        }
        SUBCASE("an unknown output is refused, naming it, and nothing is set") {
            const std::string why = p.set_outputs(tid(1, "a"), {"x", "bogus"});
            CHECK(starts_with(why, "'bogus' is not an output of a (its outputs: submitted,"));
            CHECK(why.find("expired, x, y)") != std::string::npos);
            CHECK(p.find(tid(1, "a"))->outputs.empty());
            CHECK(in_pool(p) == Names{"1/a"});
            CHECK(starts_with(p.set_outputs(tid(1, "b"), {"x"}), "'x' is not an output of b"));
            CHECK(p.find(tid(1, "b")) == nullptr);
        }
        SUBCASE("no outputs named: its required outputs (not the optional ones)") {
            CHECK(p.set_outputs(tid(1, "a"), {}) == "");
            CHECK(p.find(tid(1, "a")) == nullptr);  // complete: it left the pool
            REQUIRE(p.done_outputs(tid(1, "a")));
            const auto& outs = *p.done_outputs(tid(1, "a"));
            CHECK(outs.count("succeeded"));
            CHECK(outs.count("x"));
            CHECK_FALSE(outs.count("y"));
            CHECK_FALSE(outs.count("failed"));
            CHECK(in_pool(p) == Names{"1/b", "1/c"});  // not d
            CHECK(names(p.release()) == Names{"1/b", "1/c"});
        }
        SUBCASE("succeeded alone leaves a required custom output missing: incomplete") {
            CHECK(p.set_outputs(tid(1, "a"), {"succeeded"}) == "");
            REQUIRE(p.find(tid(1, "a")));
            CHECK(p.find(tid(1, "a"))->state == State::succeeded);
            CHECK(in_pool(p) == Names{"1/a", "1/b"});
        }
    }

    TEST_CASE("set a prerequisite: one, all, or one it does not have") {
        auto w = wf(kJoin);
        TaskPool p(w);
        p.start();
        REQUIRE(in_pool(p) == Names{"1/a", "1/c"});

        SUBCASE("one at a time") {
            CHECK(p.set_prereq(tid(1, "b"), config::Point{1}, "a", "succeeded") == "");
            REQUIRE(p.find(tid(1, "b")));  // spawned for it
            CHECK(prereqs(p, tid(1, "b")) ==
                  std::map<std::string, bool>{{"1/a:succeeded", true}, {"1/c:succeeded", false}});
            CHECK_FALSE(p.is_ready(tid(1, "b")));
            CHECK(p.set_prereq(tid(1, "b"), config::Point{1}, "c", "succeeded") == "");
            CHECK(p.is_ready(tid(1, "b")));
            CHECK(names(p.release()) == Names{"1/a", "1/b", "1/c"});
        }
        SUBCASE("all") {
            CHECK(p.set_prereq(tid(1, "b"), {}, "", "") == "");
            CHECK(prereqs(p, tid(1, "b")) ==
                  std::map<std::string, bool>{{"1/a:succeeded", true}, {"1/c:succeeded", true}});
            CHECK(p.is_ready(tid(1, "b")));
        }
        SUBCASE("one the task does not have is refused") {
            CHECK(p.set_prereq(tid(1, "b"), config::Point{1}, "x", "succeeded") ==
                  "it has no prerequisite 1/x:succeeded");
            CHECK(p.set_prereq(tid(1, "b"), config::Point{1}, "a", "failed") ==
                  "it has no prerequisite 1/a:failed");
            CHECK(p.set_prereq(tid(1, "b"), config::Point{2}, "a", "succeeded") ==
                  "it has no prerequisite 2/a:succeeded");
            CHECK_FALSE(p.is_ready(tid(1, "b")));
            CHECK(names(p.release()) == Names{"1/a", "1/c"});
        }
        SUBCASE("a completed task is refused") {
            REQUIRE(names(p.release()) == Names{"1/a", "1/c"});
            run_job(p, tid(1, "a"));
            run_job(p, tid(1, "c"));
            REQUIRE(names(p.release()) == Names{"1/b"});
            run_job(p, tid(1, "b"));
            CHECK(p.set_prereq(tid(1, "b"), {}, "", "") == "it has completed");
        }
    }

    // A refused `set --pre` spawns nothing: a task that only an optional
    // output spawns (a:fail? => recover) is not left waiting for good.
    TEST_CASE("a refused set --pre spawns nothing") {
        auto w =
            wf("scheduling:\n  cycling: integer\n  final: 1\n  graph:\n    R1: |\n"
               "      a? => b\n      a:fail? => recover\n");
        TaskPool p(w);
        p.start();
        CHECK(p.set_prereq(tid(1, "recover"), config::Point{1}, "a", "fial") ==
              "it has no prerequisite 1/a:fial");
        CHECK(p.find(tid(1, "recover")) == nullptr);
        REQUIRE(names(p.release()) == Names{"1/a"});
        run_job(p, tid(1, "a"));
        REQUIRE(names(p.release()) == Names{"1/b"});
        run_job(p, tid(1, "b"));
        CHECK(p.complete());
        CHECK_FALSE(p.stalled());
    }

    TEST_CASE("remove a waiting task: it leaves the pool and does not spawn again") {
        SUBCASE("a downstream task, whose upstream completes later") {
            auto w = wf(kJoin);
            TaskPool p(w);
            p.start();
            REQUIRE(p.hold(tid(1, "c")) == "");
            REQUIRE(names(p.release()) == Names{"1/a"});
            run_job(p, tid(1, "a"));
            REQUIRE(in_pool(p) == Names{"1/b", "1/c"});
            bool active = true;
            CHECK(p.remove(tid(1, "b"), active) == "");
            CHECK_FALSE(active);
            CHECK(in_pool(p) == Names{"1/c"});
            REQUIRE(p.unhold(tid(1, "c")) == "");
            REQUIRE(names(p.release()) == Names{"1/c"});
            run_job(p, tid(1, "c"));  // b's prerequisites are all met now
            CHECK(p.find(tid(1, "b")) == nullptr);
            CHECK(p.release().empty());
            CHECK(p.complete());
        }
        SUBCASE("a parentless task") {
            auto w = wf(kCycling);
            TaskPool p(w);
            p.start();
            bool active = true;
            CHECK(p.remove(tid(1, "a"), active) == "");
            CHECK_FALSE(active);
            CHECK(in_pool(p) == Names{"2/a", "3/a", "4/a"});  // the window moved on
            CHECK(names(p.release()) == Names{"2/a", "3/a", "4/a"});
            CHECK(p.find(tid(1, "a")) == nullptr);
        }
        SUBCASE("one not in the pool is refused; a hold to come is dropped") {
            auto w = wf(kChain);
            TaskPool p(w);
            p.start();
            bool active = true;
            CHECK(p.remove(tid(1, "b"), active) == "it is not in the pool");
            CHECK_FALSE(active);
            REQUIRE(p.hold(tid(1, "b")) == "");
            CHECK(p.remove(tid(1, "b"), active) == "");
            CHECK(p.holds_to_come().empty());
        }
    }

    TEST_CASE("remove an active task: was_active, and its queue slot is free") {
        auto w = wf(R"(
scheduling:
  cycling: integer
  final: 1
  queues:
    q: {limit: 1, members: [a, b]}
  graph:
    R1: |
      a
      b
)");
        TaskPool p(w);
        p.start();
        REQUIRE(names(p.release()) == Names{"1/a"});
        p.submitted(tid(1, "a"));
        REQUIRE(p.find(tid(1, "b"))->queued);
        REQUIRE(p.release().empty());
        bool active = false;
        CHECK(p.remove(tid(1, "a"), active) == "");
        CHECK(active);
        CHECK(p.find(tid(1, "a")) == nullptr);
        CHECK(p.active() == 0);
        CHECK(names(p.release()) == Names{"1/b"});
        p.finished(tid(1, "a"), false);  // the killed job's end, later: no effect
        CHECK(p.active() == 1);
        CHECK(p.find(tid(1, "a")) == nullptr);
    }

    TEST_CASE("a killed job's failure does not retry, even with retry delays left") {
        auto w = wf(R"(
scheduling:
  cycling: integer
  final: 1
  graph:
    R1: a
runtime:
  a:
    retries: {execution: [PT1M, PT1M]}
)");
        TaskPool p(w);
        p.start();
        REQUIRE(names(p.release()) == Names{"1/a"});
        p.submitted(tid(1, "a"));
        p.started(tid(1, "a"));

        SUBCASE("not killed: it retries") {
            p.finished(tid(1, "a"), false);
            CHECK(p.find(tid(1, "a"))->state == State::waiting);
            CHECK(p.find(tid(1, "a"))->retry_pending);
        }
        SUBCASE("killed: it fails") {
            p.mark_killed(tid(1, "a"));
            p.finished(tid(1, "a"), false);
            const Task* a = p.find(tid(1, "a"));
            REQUIRE(a);
            CHECK(a->state == State::failed);
            CHECK_FALSE(a->retry_pending);
            CHECK(a->retries_used == 0);
            CHECK(p.release().empty());
            CHECK(p.stalled());
            // Triggered again, the new job is not killed: its failure retries.
            REQUIRE(p.trigger(tid(1, "a")) == "");
            CHECK_FALSE(p.find(tid(1, "a"))->killed);
            REQUIRE(names(p.release()) == Names{"1/a"});
            run_job(p, tid(1, "a"), false);
            CHECK(p.find(tid(1, "a"))->retry_pending);
        }
    }

    TEST_CASE("set_stop_point: nothing after it runs; reached once all up to it is done") {
        auto w = wf("scheduling:\n  cycling: integer\n  final: 10\n  graph:\n    P1: a\n");
        TaskPool p(w);
        p.start();
        REQUIRE(in_pool(p) == Names{"1/a", "2/a", "3/a", "4/a", "5/a"});
        p.set_stop_point(config::Point{2});
        CHECK(p.stop_point() == config::Point{2});
        CHECK_FALSE(p.reached(config::Point{2}));
        CHECK(names(p.release()) == Names{"1/a", "2/a"});
        CHECK_FALSE(p.reached(config::Point{2}));  // still running
        run_job(p, tid(1, "a"));
        CHECK_FALSE(p.reached(config::Point{2}));
        run_job(p, tid(2, "a"));
        CHECK(p.reached(config::Point{2}));
        CHECK(p.release().empty());
        CHECK(in_pool(p) == Names{"3/a", "4/a", "5/a"});  // nothing beyond spawned
        // A job beyond the stop point (triggered by hand) is waited for too.
        REQUIRE(p.trigger(tid(3, "a")) == "");
        REQUIRE(names(p.release()) == Names{"3/a"});
        CHECK_FALSE(p.reached(config::Point{2}));
        run_job(p, tid(3, "a"));
        CHECK(p.reached(config::Point{2}));

        p.set_stop_point(std::nullopt);
        CHECK_FALSE(p.stop_point());
        CHECK(names(p.release()) == Names{"4/a", "5/a", "6/a", "7/a", "8/a"});
    }

    TEST_CASE("a stop point set before the start: only the tasks up to it spawn") {
        auto w = wf("scheduling:\n  cycling: integer\n  final: 10\n  graph:\n    P1: a\n");
        TaskPool p(w);
        p.set_stop_point(config::Point{2});
        p.start();
        CHECK(in_pool(p) == Names{"1/a", "2/a"});
        CHECK_FALSE(p.reached(config::Point{2}));
        REQUIRE(names(p.release()) == Names{"1/a", "2/a"});
        run_job(p, tid(1, "a"));
        run_job(p, tid(2, "a"));
        CHECK(p.reached(config::Point{2}));
        CHECK(p.complete());
    }
}
