#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>

#include "config/workflow.hpp"
#include "tests/config_helpers.hpp"

using namespace tock::config;
using tock::test::errors_of;
using tock::test::wf;

namespace {

bool has_error(const std::vector<Diagnostic>& errs, const std::string& needle, int line = 0) {
    for (const auto& d : errs) {
        if (d.message.find(needle) != std::string::npos && (line == 0 || d.where.line == line)) {
            return true;
        }
    }
    return false;
}

}  // namespace

TEST_SUITE("workflow") {
    TEST_CASE("multiple inheritance is linearised like Cylc's C3") {
        auto w = wf(R"(
scheduling:
  graph:
    R1: d
runtime:
  A: {inherit: O}
  B: {inherit: O}
  O: {}
  C: {inherit: [A, B]}
  d: {inherit: [C]}
)");
        CHECK(w.runtime.at("d").lineage ==
              std::vector<std::string>{"d", "C", "A", "B", "O", "root"});
        CHECK(w.families == std::vector<std::string>{"A", "B", "C", "O"});
    }

    TEST_CASE("settings come from the nearest namespace; environments merge in order") {
        auto w = wf(R"(
scheduling:
  graph:
    R1: t
runtime:
  root:
    script: echo root
    environment: {A: root, B: root}
  F:
    environment: {B: family, C: family}
    retries: {execution: [PT1M, 2*PT5M]}
  t:
    inherit: F
    environment: {A: task}
)");
        const Runtime& t = w.runtime.at("t");
        CHECK(t.script == "echo root");
        using Env = std::vector<std::pair<std::string, std::string>>;
        CHECK(t.environment == Env{{"A", "task"}, {"B", "family"}, {"C", "family"}});
        REQUIRE(t.execution_retry_delays.size() == 3);
        CHECK(t.execution_retry_delays[0].seconds == 60);
        CHECK(t.execution_retry_delays[2].seconds == 300);
    }

    TEST_CASE("an unknown key is an error with a suggestion and a location") {
        auto errs = errors_of("scheduling:\n  graph:\n    R1: a\n  finall: 3\n");
        REQUIRE(errs.size() == 1);
        CHECK(errs[0].where.line == 4);
        CHECK(errs[0].where.col == 3);
        CHECK(errs[0].message.find("did you mean 'final'") != std::string::npos);
    }

    TEST_CASE("every error is reported, not only the first") {
        auto errs = errors_of(R"(
scheduling:
  cycling: integer
  graph:
    R1: a => b
  queues:
    q: {members: [ghost]}
runtime:
  a: {scirpt: x}
  b: {inherit: NOPE}
)");
        CHECK(has_error(errs, "unknown key 'scirpt'"));
        CHECK(has_error(errs, "inherits 'NOPE'"));
        CHECK(has_error(errs, "member 'ghost'"));
        CHECK(errs.size() == 3);
    }

    TEST_CASE("tasks at a point carry their prerequisites, families expanded") {
        auto w = wf(R"(
scheduling:
  cycling: integer
  initial: 1
  final: 3
  graph:
    P1: |
      prep => FAM
      FAM:succeed-all & foo[-P1] => post
      foo
runtime:
  FAM: {}
  m1: {inherit: FAM}
  m2: {inherit: FAM}
)");
        auto at2 = w.tasks_at(Point{2});
        std::vector<std::string> names;
        for (auto& t : at2) names.push_back(t.name);
        CHECK(names == std::vector<std::string>{"foo", "m1", "m2", "post", "prep"});
        const TaskAt& post = at2[3];
        REQUIRE(post.prereqs.size() == 1);
        const Prereq& all = post.prereqs[0];
        REQUIRE(all.kind == Prereq::Kind::all_of);
        REQUIRE(all.children.size() == 2);
        CHECK(all.children[0].kind == Prereq::Kind::all_of);  // the family: m1 and m2
        CHECK(all.children[0].children.size() == 2);
        CHECK(all.children[1].trigger.task == "foo");
        CHECK(all.children[1].trigger.point == Point{1});
        // At the first point foo[-P1] is before the initial point.
        auto at1 = w.tasks_at(Point{1});
        CHECK(at1[3].prereqs[0].children[1].trigger.pre_initial);
        CHECK_FALSE(at2[3].prereqs[0].children[1].trigger.pre_initial);
    }

    TEST_CASE("implicit tasks are allowed unless the workflow says otherwise") {
        CHECK(errors_of("scheduling:\n  graph:\n    R1: a\n").empty());
        auto errs = errors_of(
            "scheduler:\n  allow_implicit_tasks: false\nscheduling:\n  graph:\n    R1: a\n");
        REQUIRE(errs.size() == 1);
        CHECK(errs[0].where.line == 5);
        CHECK(errs[0].where.col == 9);
    }

    TEST_CASE("a graph error points at its token in the file") {
        auto errs = errors_of("scheduling:\n  graph:\n    R1: |\n      a => b\n      b => => c\n");
        REQUIRE(errs.size() == 1);
        CHECK(errs[0].where.line == 5);
        CHECK(errs[0].where.col == 12);
    }

    // Random and mutated workflow files: the loader may accept or refuse them,
    // but only ever with ConfigErrors: no crash, no hang, no other exception.
    TEST_CASE("mutated workflow files never crash the loader") {
        std::vector<std::string> corpus;
        for (const auto& e : std::filesystem::recursive_directory_iterator(TOCK_FLOWS_DIR)) {
            if (e.path().extension() != ".yaml") continue;
            std::ifstream in(e.path());
            std::stringstream ss;
            ss << in.rdbuf();
            corpus.push_back(ss.str());
        }
        REQUIRE(corpus.size() >= 25);
        // TOCK_FUZZ_ROUNDS and TOCK_FUZZ_SEED run a longer or different search.
        const char* env_rounds = std::getenv("TOCK_FUZZ_ROUNDS");
        const char* env_seed = std::getenv("TOCK_FUZZ_SEED");
        std::mt19937 rng(env_seed ? std::strtoul(env_seed, nullptr, 10) : 20261123);
        const char* tokens[] = {"=>",    "&",  "|",   "(",    ")",   "[-P1]", "[^]",       "[$]",
                                ":fail", "?",  "@x",  "\n",   ": ",  "- ",    "{",         "}",
                                "[",     "]",  "T00", "PT6H", "R1/", "!",     "%(point)s", "P1M",
                                "W-1",   "\t", "\"",  "'",    "#",   "\\"};
        int accepted = 0, refused = 0;
        const int rounds = env_rounds ? std::atoi(env_rounds) : 4000;
        for (int i = 0; i < rounds; ++i) {
            std::string s = corpus[rng() % corpus.size()];
            const int edits = 1 + rng() % 4;
            for (int k = 0; k < edits && !s.empty(); ++k) {
                const std::size_t at = rng() % s.size();
                switch (rng() % 4) {
                    case 0:
                        s.erase(at, 1 + rng() % 8);
                        break;
                    case 1:
                        s.insert(at, tokens[rng() % std::size(tokens)]);
                        break;
                    case 2:
                        s[at] = static_cast<char>(rng() % 256);
                        break;
                    default:
                        s.insert(at, s.substr(rng() % s.size(), rng() % 40));
                        break;
                }
            }
            try {
                Workflow w = Workflow::parse(s, "fuzz.yaml");
                // Expanding what was accepted must be safe too.
                // What it yields holds together: points increase, every task
                // is one of the workflow's, sorted, at the point asked, and
                // every trigger names a task or an xtrigger it has.
                if (auto p = w.first_point()) {
                    for (int n = 0; p && n < 5; ++n) {
                        const auto at = w.tasks_at(*p);
                        for (std::size_t k = 0; k < at.size(); ++k) {
                            CHECK_MESSAGE(at[k].point == *p, s);
                            CHECK_MESSAGE(w.is_task(at[k].name), s);
                            if (k) CHECK_MESSAGE(at[k - 1].name < at[k].name, s);
                            std::function<void(const Prereq&)> each = [&](const Prereq& q) {
                                if (q.kind != Prereq::Kind::trigger) {
                                    CHECK_MESSAGE(q.children.size() >= 1, s);
                                    for (const auto& c : q.children) each(c);
                                } else if (q.trigger.task.empty()) {
                                    CHECK_MESSAGE((w.xtriggers.count(q.trigger.xtrigger) ||
                                                   q.trigger.xtrigger == "wall_clock"),
                                                  s);
                                } else {
                                    CHECK_MESSAGE(w.is_task(q.trigger.task), s);
                                }
                            };
                            for (const auto& q : at[k].prereqs) each(q);
                        }
                        const auto next = w.next_point(*p);
                        if (next) CHECK_MESSAGE(*next > *p, s);
                        p = next;
                    }
                }
                ++accepted;
            } catch (const ConfigErrors& e) {
                CHECK_FALSE(e.errors.empty());
                ++refused;
            } catch (const std::exception& e) {
                FAIL("the loader threw '" << e.what() << "' on:\n" << s);
            }
        }
        // Both outcomes happen: the mutations reach past the parser's
        // first check, and it does refuse.
        CHECK(accepted > rounds / 20);
        CHECK(refused > 0);
        MESSAGE("mutated workflows: " << accepted << " accepted, " << refused << " refused");
    }

    TEST_CASE("suicide triggers: kept apart from prerequisites, and say nothing of outputs") {
        const std::string head = "scheduling:\n  cycling: integer\n  graph:\n    R1: |\n";
        auto w = wf(head +
                    "      model:fail? => recover\n"
                    "      model? => !recover\n"
                    "      model? | recover => post\n");
        const auto at = w.tasks_at(Point{1});
        const auto& recover = at[2];
        REQUIRE(recover.name == "recover");
        REQUIRE(recover.prereqs.size() == 1);
        CHECK(recover.prereqs[0].trigger.output == "failed");
        REQUIRE(recover.suicide.size() == 1);
        CHECK(recover.suicide[0].trigger.task == "model");
        CHECK(recover.suicide[0].trigger.output == "succeeded");
        CHECK_FALSE(recover.parentless());
        // The target of a suicide trigger says nothing of its own outputs:
        // recover's success stays required.
        CHECK(w.runtime.at("recover").output_required("succeeded"));
        CHECK_FALSE(w.runtime.at("model").output_required("succeeded"));
        // Its left side counts as any left side (as Cylc's parser takes it):
        // "model? => !recover" makes model's success optional, so a plain
        // "model" elsewhere is an error.
        auto errs = errors_of(head +
                              "      model:fail? => recover\n"
                              "      model? => !recover\n"
                              "      model | recover => post\n");
        CHECK(has_error(errs, "output 'model:succeeded' is both required and optional"));
        // Several suicide triggers are and-ed; a family stands for each task.
        w =
            wf("scheduling:\n  cycling: integer\n  graph:\n    R1: |\n"
               "      a & b & c\n      a => !F\n      b => !F\nruntime:\n  F: {}\n"
               "  m1: {inherit: [F]}\n  m2: {inherit: [F]}\n");
        for (const auto& t : w.tasks_at(Point{1})) {
            if (t.name != "m1" && t.name != "m2") continue;
            CHECK(t.prereqs.empty());
            CHECK(t.suicide.size() == 2);
            CHECK(t.parentless());  // suicide triggers are no parents
        }
    }

    TEST_CASE("suicide triggers: refused where they make no sense") {
        const std::string head = "scheduling:\n  cycling: integer\n  graph:\n    R1: |\n";
        auto errs = errors_of(head + "      a => b\n      a => !b\n");
        CHECK(has_error(errs, "'a' can't trigger both b and !b", 6));
        errs = errors_of(head + "      a:start => !a\n");
        CHECK(has_error(errs, "a task cannot remove itself", 5));
        // Another instance of itself is fine.
        CHECK(errors_of("scheduling:\n  cycling: integer\n  graph:\n    P1: |\n"
                        "      a[-P1]:fail? => !a\n      a?\n")
                  .empty());
        errs = errors_of(head + "      a => !b?\n");
        CHECK(has_error(errs, "cannot be optional", 5));
    }
}
