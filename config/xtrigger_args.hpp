// The arguments of the built-in xtrigger functions echo, xrandom, interval
// and workflow_state (triggers/builtins.hpp runs them): what each takes,
// and the rules they must follow.
//
// The same rules serve twice. `tock validate` applies them to a call as
// written; the trigger applies them again once the call's templates are
// expanded, so a value that holds a template (%(point)s) is checked only
// then. A problem is a sentence saying what is wrong and what to write.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/cycling.hpp"

namespace tock::config {

using XTriggerKwargs = std::vector<std::pair<std::string, std::string>>;

// True for echo, xrandom, interval and workflow_state.
bool is_builtin_xtrigger(std::string_view function);

// The problems with a call of one of the four built-ins; empty if none, and
// for any other function.
std::vector<std::string> builtin_xtrigger_problems(std::string_view function,
                                                   const std::vector<std::string>& args,
                                                   const XTriggerKwargs& kwargs);

// A number as Python's float() reads it (xrandom's percent and secs);
// nullopt for anything else, inf and nan included.
std::optional<double> parse_number(std::string_view text);
// True or False as Python writes them (true and false too); nullopt else.
std::optional<bool> parse_bool(std::string_view text);
// An ISO 8601 duration such as PT10M or P1D (interval's argument). Throws
// ParseError.
Interval parse_duration(std::string_view text);

// workflow_state's status names, in the order a task reaches them, and
// the output a task completes as it reaches each (running: started). A
// status is met once its output is completed, whatever the task did next.
const std::vector<std::pair<std::string, std::string>>& workflow_state_statuses();

// What a workflow_state call asks for: the task `task` at cycle point
// `point` of the latest run of `workflow` (or of the run in `run_dir`)
// has completed `output`; `status` is the status asked for, if that is how
// the call put it ("" if it named an output).
struct WorkflowStateQuery {
    std::string workflow, run_dir, task, point, status, output;
};

// The query a workflow_state call makes, from keywords (workflow, task,
// point, status or output, run_dir), positions (workflow, task, point, as
// Cylc's older signature) or Cylc 8.3's id (NAME//CYCLE/TASK[:STATUS], or
// an output with is_trigger=True). Its problems go to `problems`.
WorkflowStateQuery workflow_state_query(const std::vector<std::string>& args,
                                        const XTriggerKwargs& kwargs,
                                        std::vector<std::string>& problems);

}  // namespace tock::config
