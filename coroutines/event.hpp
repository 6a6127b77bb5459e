// The fields of the bus's task and job events, as their readers take them
// (see each_event in wire.hpp). docs/architecture.md lists the topics.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tock::comp {

// A task or job event as a bus body carries it (a task event, a workflow
// event, or a job's message), its fields read from the body by each_event
// (wire.hpp): what the store records, and what the reporter, job_messages
// and the pool read. The views point into the body's parse and live as long
// as it does.
struct BusEvent {
    std::string_view topic, event;
    // Workflow events: an xtrigger's label, a shutdown's kind, a restart.
    std::string_view label, kind;
    bool restart = false;
    std::optional<std::string> settings;  // a settings event's settings, as JSON text
    std::optional<std::string> results;   // a satisfied xtrigger's results, as JSON text
    bool adopted = false;                 // a job found running on a restart
    // The task or job.
    std::int64_t point = 0;
    std::string_view task, cycle, state;
    int num = 0;
    // What the job event said (the detail column), and the job's columns.
    std::optional<std::string_view> message, output, error, runner;
    std::optional<std::string_view> job_id;  // the batch system's id of the job (Slurm, at)
    std::optional<std::vector<std::string_view>> triggered_by;
    std::optional<std::int64_t> pid, at, exit, signal;
    // The task's whole recorded state, when the event carries it.
    bool has_row = false, in_pool = true, held = false;
    int retries = 0, submit_retries = 0;
    std::optional<std::int64_t> retry_at;
    std::vector<std::string_view> outputs;
};

}  // namespace tock::comp
