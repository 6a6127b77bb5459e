// A batch system's runner (Slurm, at): jobs handed to it, polled while they
// are queued or running, killed through it. One per platform, inside the
// job_submit component.
//
// submit() takes jobs whose scripts are written and submits them all with
// one process (a short bash program that calls the submit command for each
// and prints one line per job), so a loop turn's jobs cost one spawn. Each
// submission's output goes to the job's job-activity.log; its id is
// published with job.submitted and recorded in the run database. A job the
// batch system refuses is job.submit-failed with the runner's own message.
//
// One poller per runner asks the batch system about every job it tracks, at
// the platform's poll interval, and only while it tracks one: it sleeps on
// an event otherwise. A job seen running is started (if its own message has
// not said so); a job that is over is ended from its job.status, or failed
// with the batch system's reason (cancelled, node failure, time limit ...).
// Every command runs as a child process on the loop: nothing blocks.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "config/platform.hpp"
#include "config/workflow.hpp"
#include "coroutines/runners.hpp"
#include "coroutines/wire.hpp"
#include "scheduler/loop.hpp"
#include "scheduler/process.hpp"
#include "scheduler/scope.hpp"
#include "scheduler/task.hpp"

namespace tock::comp {

// What a job's job.status says: its pid, the messages it sent, how it ended.
struct JobStatus {
    bool exists = false;
    std::optional<int> pid;
    std::vector<std::string> messages;
    std::optional<std::string> exit;  // SUCCEEDED, or why it failed
};
JobStatus read_status(const std::string& job_dir);
// Pass on the messages of `st` from the `told`th on, as job.said for the job
// whose fields are `fields`; `told` ends past the last.
void tell_status(Outbox& out, const Json& fields, const JobStatus& st, std::size_t& told);
// A job's log directory: RUN_DIR/log/job/CYCLE/TASK/NN.
std::string job_dir_of(const std::string& run_dir, const std::string& cycle,
                       const std::string& task, int num);

// One job in a batch system.
struct BatchJob {
    Json fields;          // cycle, point, task, num
    std::string name;     // CYCLE/TASK/NN
    std::string job_dir;  // its log directory; the script is job_dir/job
    std::string id;       // the batch system's id, once submitted
    bool started = false;
    bool adopted = false;     // tracked again after a restart
    std::size_t told = 0;     // job.status messages already passed on
    std::string last_reason;  // the last queue reason reported
};

class BatchRunner {
  public:
    BatchRunner(Loop& loop, Outbox& out, config::Platform platform, std::string run_dir);
    BatchRunner(const BatchRunner&) = delete;
    BatchRunner& operator=(const BatchRunner&) = delete;

    const config::Platform& platform() const { return platform_; }
    // The job directory's header lines for this runner (#SBATCH ...).
    std::string header(const config::Runtime& rt, const std::string& workflow,
                       const Json& fields) const;
    // Submit jobs whose scripts are written, as one batch.
    Task<void> submit(std::vector<BatchJob> jobs);
    // A job that was submitted before a restart: track it from here on.
    // Without an id (the scheduler died before it heard one), the id is read
    // from the submission's output in job-activity.log; with none there and
    // no job.status, it never reached the batch system and is submitted.
    void adopt(BatchJob job);
    bool tracks(const std::string& name) const {
        return jobs_.count(name) > 0 || submitting_.count(name) > 0;
    }
    Task<void> kill(std::string name);
    // Ask the batch system now (`tock poll`).
    void poll_now() { poke_.set(); }
    // The poller: spawn once, for as long as the component lives.
    Task<void> run();

  private:
    Task<void> wake_after(std::chrono::milliseconds d);
    Task<void> poll();
    void finish(BatchJob& j, const std::string& reason);
    void track(BatchJob j);

    Loop& loop_;
    Outbox& out_;
    config::Platform platform_;
    std::string run_dir_;
    std::map<std::string, BatchJob> jobs_;  // name -> job, while queued or running
    std::set<std::string> submitting_;      // names whose submission is under way
    std::set<std::string> kill_on_submit_;  // ... and those killed meanwhile
    Event work_, poke_;
    bool poll_failing_ = false;  // the last poll had no answer
    unsigned batches_ = 0;       // submissions so far (each one's program file)
    Scope tasks_;                // submissions of adopted jobs that never reached it
};

// The output of a command run to its end: its exit and every line it wrote
// on stdout and stderr, in order.
struct CommandOutput {
    ExitStatus status;
    std::string text;
};
Task<CommandOutput> run_command(Loop& loop, std::vector<std::string> argv, std::string cwd);

}  // namespace tock::comp
