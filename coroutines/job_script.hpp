// The bash script a job runs: environment, scripts in order, and reports to
// the scheduler with `tock message`, falling back to the job.status file when
// the scheduler cannot be reached.
#pragma once

#include <string>

#include "config/workflow.hpp"

namespace tock::jobs {

struct JobInfo {
    std::string workflow;  // TOCK_WORKFLOW_ID
    std::string task;      // TOCK_TASK_NAME
    std::string cycle;     // TOCK_TASK_CYCLE_POINT, formatted
    int submit_num = 1;    // TOCK_TASK_JOB is CYCLE/TASK/NN
    std::string run_dir;   // TOCK_RUN_DIR
    std::string job_dir;   // where job, job.out, job.err and job.status live
    std::string endpoint;  // the scheduler's message endpoint
    std::string tock;      // path of the tock executable
    std::string header;    // the runner's lines after #!/bin/bash (#SBATCH ...)
};

// "CYCLE/TASK/NN"
std::string job_id(const JobInfo& j);

std::string job_script(const JobInfo& j, const config::Runtime& rt);

// Quote for bash: the text as one word, whatever it holds.
std::string shell_quote(const std::string& s);

}  // namespace tock::jobs
