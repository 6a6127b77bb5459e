#include <doctest/doctest.h>
#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "config/parameters.hpp"
#include "config/workflow.hpp"
#include "tests/config_helpers.hpp"

using namespace tock::config;
using tock::test::errors_of;
using tock::test::wf;

namespace {

// The first error whose message has `needle`, as "line:col: message".
std::string error_with(const std::vector<Diagnostic>& errs, const std::string& needle) {
    for (const auto& d : errs) {
        if (d.message.find(needle) != std::string::npos)
            return std::to_string(d.where.line) + ":" + std::to_string(d.where.col) + ": " +
                   d.message;
    }
    return "";
}

void upstream(const Prereq& p, std::set<std::string>& out) {
    if (p.kind == Prereq::Kind::trigger) {
        if (!p.trigger.task.empty()) out.insert(p.trigger.task);
        return;
    }
    for (const auto& c : p.children) upstream(c, out);
}

// The tasks `task` waits for at point p (every prerequisite, and-ed).
std::set<std::string> parents(const Workflow& w, const std::string& task, Point p) {
    std::set<std::string> out;
    for (const auto& t : w.tasks_at(p)) {
        if (t.name != task) continue;
        for (const auto& pr : t.prereqs) upstream(pr, out);
    }
    return out;
}

// A workflow with parameter member: 1..3 whose graph line (line 7) is
// `graph`, then `runtime` (from line 8).
std::string three_members(const std::string& graph, const std::string& runtime = "") {
    return fmt::format(
        "\nparameters:\n  member: 1..3\nscheduling:\n  cycling: integer\n  graph:\n    R1: "
        "{}\n{}",
        graph, runtime);
}

Parameter param(std::string name, std::vector<std::string> values) {
    Parameter p;
    p.name = std::move(name);
    p.values = std::move(values);
    p.integer = std::all_of(p.values.begin(), p.values.end(), [](const std::string& v) {
        return v.find_first_not_of("-0123456789") == std::string::npos;
    });
    p.tmpl = default_template(p);
    return p;
}

const char* kEnsemble = R"(
parameters:
  member: 1..3
  region: [north, south]
scheduling:
  cycling: integer
  final: 1
  graph:
    P1: |
      prep => model<member> => post<member, region>
      post<member, region> => archive
      model<member-1> => model<member>
      model<member=2>:start => rescue
runtime:
  root: {script: "true"}
  MODELS: {environment: {RES: low}}
  model<member>:
    inherit: MODELS
    script: run-model
  model<member=2>:
    environment: {RES: high}
)";

}  // namespace

TEST_SUITE("parameters") {
    TEST_CASE("values: ranges with a step, single integers, lists of names") {
        CHECK(parse_values("1..5") == std::vector<std::string>{"1", "2", "3", "4", "5"});
        CHECK(parse_values("0..12..6") == std::vector<std::string>{"0", "6", "12"});
        CHECK(parse_values("0..13..6") == std::vector<std::string>{"0", "6", "12"});
        CHECK(parse_values(" 7 ") == std::vector<std::string>{"7"});
        CHECK(parse_values("north, south") == std::vector<std::string>{"north", "south"});
        CHECK_THROWS_WITH_AS(parse_values("5..1"), doctest::Contains("is empty"), ParseError);
        CHECK_THROWS_WITH_AS(parse_values("1..x"), doctest::Contains("'x' is not an integer"),
                             ParseError);
        CHECK_THROWS_WITH_AS(parse_values("0..10..0"), doctest::Contains("step must be positive"),
                             ParseError);
        CHECK_THROWS_WITH_AS(parse_values("a,,b"), doctest::Contains("an empty value"), ParseError);
    }

    TEST_CASE("Cylc's default templates: zero-padded to the widest integer, _name for names") {
        const auto m = param("member", parse_values("1..50"));
        CHECK(m.tmpl == "_member%(member)02d");
        CHECK(render(m, 4) == "_member05");
        CHECK(render(m, 49) == "_member50");
        CHECK(render(param("i", {"1", "2", "3"}), 2) == "_i3");
        CHECK(render(param("region", {"north", "south"}), 1) == "_south");
        auto custom = m;
        custom.tmpl = "_m%(member)03d";
        CHECK(render(custom, 4) == "_m005");
        CHECK(check_template(m, "_m%(member)03d") == "");
        CHECK(check_template(m, "_m%(other)s").find("names %(other)") != std::string::npos);
        CHECK(check_template(m, "_m").find("must contain %(member)s") != std::string::npos);
        CHECK(check_template(param("r", {"a", "b"}), "_%(r)02d").find("formats an integer") !=
              std::string::npos);
    }

    TEST_CASE("a parameterised name: groups of free, offset and fixed parameters") {
        const auto pn = parse_param_name("model<member-1, region=north>_x");
        REQUIRE(pn.groups.size() == 1);
        CHECK(pn.text == std::vector<std::string>{"model", "_x"});
        CHECK(pn.groups[0][0].param == "member");
        CHECK(pn.groups[0][0].kind == ParamSpec::Kind::offset);
        CHECK(pn.groups[0][0].offset == -1);
        CHECK(pn.groups[0][1].kind == ParamSpec::Kind::fixed);
        CHECK(pn.groups[0][1].value == "north");
        CHECK(pn.free_params() == std::vector<std::string>{"member"});
        CHECK_THROWS_WITH_AS(parse_param_name("model<member"), doctest::Contains("not closed"),
                             ParseError);
        CHECK_THROWS_WITH_AS(parse_param_name("model<member*2>"),
                             doctest::Contains("write <NAME>, <NAME-1>"), ParseError);
        CHECK_THROWS_WITH_AS(parse_param_name("model<>"), doctest::Contains("empty parameter"),
                             ParseError);
    }

    TEST_CASE("the graph is written once per choice of values, as Cylc expands it") {
        const auto w = wf(kEnsemble);
        const std::vector<std::string> expected = {"archive",
                                                   "model_member1",
                                                   "model_member2",
                                                   "model_member3",
                                                   "post_member1_north",
                                                   "post_member1_south",
                                                   "post_member2_north",
                                                   "post_member2_south",
                                                   "post_member3_north",
                                                   "post_member3_south",
                                                   "prep",
                                                   "rescue"};
        CHECK(w.tasks == expected);
        const Point p1 = w.initial;
        // One member each; the first member has no member before it.
        CHECK(parents(w, "model_member1", p1) == std::set<std::string>{"prep"});
        CHECK(parents(w, "model_member3", p1) == std::set<std::string>{"prep", "model_member2"});
        CHECK(parents(w, "post_member2_south", p1) == std::set<std::string>{"model_member2"});
        // All into one: the archive waits for every post.
        CHECK(parents(w, "archive", p1).size() == 6);
        // <member=2> is that member alone.
        CHECK(parents(w, "rescue", p1) == std::set<std::string>{"model_member2"});
        CHECK(w.runtime.at("model_member2").output_required("started"));
        CHECK_FALSE(w.runtime.at("model_member1").output_required("started"));
    }

    TEST_CASE("runtime: model<member> is a family of its tasks, model<member=2> overrides one") {
        const auto w = wf(kEnsemble);
        CHECK(w.runtime.at("model_member1").lineage ==
              std::vector<std::string>{"model_member1", "model<member>", "MODELS", "root"});
        CHECK(w.runtime.at("model_member2").lineage ==
              std::vector<std::string>{"model_member2", "model<member=2>", "model<member>",
                                       "MODELS", "root"});
        CHECK(w.runtime.at("model_member3").script == "run-model");
        CHECK(w.runtime.at("model_member2").script == "run-model");
        auto env = [&](const std::string& task) {
            std::string v;
            for (const auto& [k, x] : w.runtime.at(task).environment)
                if (k == "RES") v = x;
            return v;
        };
        CHECK(env("model_member1") == "low");
        CHECK(env("model_member2") == "high");
        CHECK(w.is_family("model<member>"));
        CHECK(w.members("model<member>") ==
              std::vector<std::string>{"model_member1", "model_member2", "model_member3"});
        // Each task knows its values, for TOCK_PARAM_<name> in its job.
        using Values = std::vector<std::pair<std::string, std::string>>;
        CHECK(w.runtime.at("model_member3").parameters == Values{{"member", "3"}});
        CHECK(w.runtime.at("post_member1_south").parameters ==
              Values{{"member", "1"}, {"region", "south"}});
        CHECK(w.runtime.at("prep").parameters.empty());
    }

    TEST_CASE("templates from parameters.templates name the tasks") {
        const auto w = wf(R"(
parameters:
  member: 1..2
  lead: 0..12..6
  templates: {member: "_m%(member)03d", lead: "+%(lead)02dh"}
scheduling:
  cycling: integer
  graph:
    R1: model<member> => post<member><lead>
)");
        CHECK(w.tasks == std::vector<std::string>{"model_m001", "model_m002", "post_m001+00h",
                                                  "post_m001+06h", "post_m001+12h", "post_m002+00h",
                                                  "post_m002+06h", "post_m002+12h"});
    }

    TEST_CASE("errors name the parameter and where it is written") {
        CHECK(error_with(errors_of(three_members("model<membr> => post")),
                         "'membr' is not a parameter") ==
              "7:9: 'model<membr>': 'membr' is not a parameter (did you mean 'member'?): define "
              "it under parameters");
        {
            // Allowed (it selects nothing), but named.
            const auto w = wf(three_members("model<member-3> => model<member>"));
            REQUIRE(w.warnings.size() == 1);
            CHECK(w.warnings[0].str() ==
                  "flow.yaml:7:9: 'model<member-3>': the offset is outside the range: 'member' "
                  "has 3 values, so no member has one 3 away and this node is always left out");
            CHECK(parents(w, "model_member3", w.initial).empty());
        }
        CHECK(error_with(errors_of(three_members("model<member=4>")), "is not one of")
                  .starts_with("7:9:"));
        CHECK(error_with(errors_of(three_members("model<member>", R"(runtime:
  model<member-1>: {}
)")),
                         "belongs in the graph")
                  .starts_with("9:3:"));
        CHECK(error_with(errors_of(R"(
parameters:
  member: 1..3
  templates: {membr: "_%(membr)s"}
scheduling:
  cycling: integer
  graph:
    R1: model<member>
)"),
                         "not a parameter")
                  .starts_with("4:15: a template for 'membr'"));
        CHECK(error_with(errors_of(R"(
parameters:
  member: 3..1
scheduling:
  cycling: integer
  graph:
    R1: model<member>
)"),
                         "is empty")
                  .starts_with("3:11:"));
        CHECK(error_with(errors_of(R"(
parameters:
  member: 1..2
scheduling:
  cycling: integer
  graph:
    R1: model<member>
runtime:
  F<member>: {}
  model<member>: {inherit: F<member>}
)"),
                         "cannot inherit a parameterised one") != "");
    }

    TEST_CASE("fuzz: every expansion is the product of the values, offsets dropped at the ends") {
        for (int n = 1; n <= 6; ++n) {
            for (int k = 1; k <= 3; ++k) {
                const auto w = wf("parameters:\n  m: 1.." + std::to_string(n) + "\n  r: 1.." +
                                  std::to_string(k) +
                                  "\nscheduling:\n  cycling: integer\n  graph:\n    R1: |\n"
                                  "      a<m-1> => a<m>\n      a<m> => b<m, r> => c\n");
                CHECK(w.tasks.size() == static_cast<std::size_t>(n + n * k + 1));
                CHECK(parents(w, "c", w.initial).size() == static_cast<std::size_t>(n * k));
                const auto first = w.tasks.front();
                CHECK(parents(w, first, w.initial).empty());
            }
        }
    }
}
