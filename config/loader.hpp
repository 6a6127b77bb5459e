// The loader: reads a workflow file's YAML into a Workflow, section by section,
// then checks the whole; it collects every error and throws them together
// (Workflow::parse runs it). Internal to config/. Its methods are defined by
// purpose in load_sections.cpp (the top-level sections), load_runtime.cpp
// (parameters and runtime), load_graph.cpp (the graph) and load_checks.cpp
// (whole-workflow checks).
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "config/reader.hpp"
#include "config/workflow.hpp"

namespace tock::config::detail {

// ---- runtime: raw per-namespace settings, then inheritance ---------------

struct RawRuntime {
    Location where;
    std::vector<std::string> parents;
    YAML::Node inherit_node;
    std::optional<std::string> script, env_script, pre_script, post_script, err_script;
    std::vector<std::pair<std::string, std::string>> environment;
    std::optional<std::vector<Interval>> exec_retries, submit_retries;
    std::optional<Interval> time_limit, submission_timeout, execution_timeout, run_length;
    std::optional<std::vector<Point>> sim_fail_points;
    std::optional<bool> sim_fail_all, sim_fail_try_1_only;
    std::vector<std::pair<std::string, std::string>> outputs;
    std::optional<std::string> platform, job_runner;
    std::vector<std::pair<std::string, std::string>> directives;
    std::map<std::string, std::vector<std::string>> handlers;
};

// Why clock triggers need the gregorian calendar.
inline constexpr const char* kNotWallClock =
    "in another calendar a cycle point is no moment on the wall clock";

class Loader {
  public:
    Loader(Workflow& wf, const std::string& text, const std::string& file, const Overrides& ov)
        : wf_(wf), r_(file, text, errs_), text_(text), ov_(ov) {}

    void run();

  private:
    // -- the top-level sections: scheduler, scheduling, xtriggers, vars, queues, special_tasks --
    void scheduler(const YAML::Node& n);
    static std::optional<int> parse_zone(const std::string& s);
    std::optional<Interval> interval(const YAML::Node& n, const Cycling& c, const char* example);
    void scheduling(const YAML::Node& n);
    void xtriggers(const YAML::Node& n);
    void plugins(const YAML::Node& n);
    void placement(const YAML::Node& n);
    // An xtrigger calling a function that is not built in: its plugin's
    // program must be found.
    void check_plugin(const XTrigger& x, const YAML::Node& node);
    void parse_xtrigger(const std::string& s, const YAML::Node& node, XTrigger& x);
    static std::string unquote(std::string v);
    void check_templates(const std::string& t, const YAML::Node& node, std::size_t base);
    std::vector<std::string> handlers(const YAML::Node& n, const std::string& what,
                                      const std::vector<std::string>& known);
    void variables(YAML::Node& top);
    void queues(const YAML::Node& n);
    void platforms(const YAML::Node& n);
    void check_platforms();
    void special_tasks(const YAML::Node& n);

    // -- parameters, and the runtime namespaces with their inheritance --
    void parameters(const YAML::Node& n);
    std::string check_param_name(const ParamName& pn);
    void runtime(const YAML::Node& n);
    void runtime_parameterised(const std::string& name, const YAML::Node& key, const YAML::Node& n);
    void note_values(const std::string& task, const ParamName& pn, const Binding& b);
    RawRuntime read_namespace(const std::string& name, const YAML::Node& key, const YAML::Node& n);
    std::vector<std::pair<std::string, std::string>> pairs(const YAML::Node& n,
                                                           const std::string& what, bool env_names);
    std::optional<Interval> exact_interval(const YAML::Node& n);
    std::optional<std::vector<Interval>> delays(const YAML::Node& n);
    Runtime merge(const std::string& name, const std::vector<std::string>& lineage);

    // -- the graph: sections, parameter expansion, exclusions, names --
    void graph(const YAML::Node& n);
    void expand_parameters(std::size_t s);
    static std::optional<Expr> instantiate_expr(
        const Expr& e, const std::function<std::optional<std::string>(const NodeRef&)>& name_of);
    void exclusions();
    Location node_loc(std::size_t section, const NodeRef& ref);
    int source(std::size_t section, const NodeRef& ref);
    void resolve_names();
    Point offset_point(const std::string& off, Point p) const;

    // -- checks of the whole workflow --
    void check_placement();
    void check_outputs();
    void check_suicide();
    void check_point_format();
    void check_cycles_and_offsets();
    bool runs_at(const std::string& task, Point q) const;
    void unreachable(const Trigger& t, const std::string& task, Point at);
    bool find_loop(const std::vector<TaskAt>& tasks,
                   std::unordered_map<std::string, std::vector<std::pair<std::string, int>>>& up,
                   Point at);

    Workflow& wf_;
    std::vector<Diagnostic> errs_;
    Reader r_;
    const std::string& text_;
    const Overrides& ov_;
    CyclingSettings settings_;
    bool have_initial_ = false;
    std::map<std::string, RawRuntime> raw_;
    std::vector<YAML::Node> sections_nodes_;
    YAML::Node point_format_node_;  // scheduler.cycle_point_format, for messages
    // Each task a parameterised name expanded to: its parameters' values.
    std::map<std::string, std::vector<std::pair<std::string, std::string>>> param_values_;
    // Each task a parameterised runtime name expands to: those names.
    struct ParamParent {
        std::string key;  // "model<member>"
        int fixed = 0;    // how many of its parameters are fixed (<member=5>)
        Location where;
    };
    std::map<std::string, std::vector<ParamParent>> param_parents_;
    std::map<std::string, std::string> vars_;  // the file's variables, with --set applied
    std::set<std::string> bad_params_;         // parameters whose definition has an error
    static constexpr const char* kReported = "(reported)";
    std::vector<YAML::Node> exclusion_nodes_;
    std::vector<std::unordered_set<std::string>> defines_;

    friend class ::tock::config::Workflow;
};

}  // namespace tock::config::detail
