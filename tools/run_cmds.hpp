// `tock scan`, `tock cat-log`, `tock clean`: operator commands that work on
// run directories (~/tock-run/NAME/runN, or a --run-dir) and their files,
// as Cylc's `cylc scan`, `cylc cat-log` and `cylc clean` do.
//
// A run's scheduler is alive when its contact file (RUN/.service/contact)
// exists and its lock (RUN/.service/lock, flock'ed by the scheduler for its
// whole life) is held: a contact file without the lock is a dead
// scheduler's leftover.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace tock::cmd {

// `tock scan [--all] [--json]`: the runs under ~/tock-run; by default the
// live ones only.
struct ScanOptions {
    bool all = false;   // every run, with its last status
    bool json = false;  // a JSON array instead of the table
};
int scan(const ScanOptions& o);

// The runs under ~/tock-run whose scheduler is alive (it holds the run's
// lock and has written its contact file), found from the files alone: no
// workflow is called. `tock ui` follows these.
struct LiveRun {
    std::string name, dir;
    long pid = 0;
};
std::vector<LiveRun> live_runs();
// The status a run's database records ("" if none): how it ended.
std::string run_status(const std::string& dir);
// The job numbers in a task's log directory (RUN/log/job/CYCLE/TASK), in order.
std::vector<int> job_numbers(const std::filesystem::path& task_dir);

// `tock cat-log ID [-f log|out|err|job|status] [--tail] [--run-dir DIR]`.
// ID is NAME (the scheduler log) or NAME//CYCLE/TASK[/JOB] (a job's file,
// the latest job when JOB is left out); with --run-dir, CYCLE/TASK[/JOB]
// or nothing.
struct CatLogOptions {
    std::string id;
    std::string file;     // "" = log for the workflow, out for a job
    bool tail = false;    // follow the file until its job or scheduler ends
    std::string run_dir;  // the run directory, instead of NAME
};
int cat_log(const CatLogOptions& o);

// `tock clean NAME [--all] [--yes]`, `tock clean --run-dir DIR [--yes]`:
// delete the latest run of NAME (or the run NAME/runN), every run of NAME,
// or the run in DIR. A run whose scheduler is alive is refused.
struct CleanOptions {
    std::string id;
    std::string run_dir;
    bool all = false;  // every run of NAME
    bool yes = false;  // no confirmation asked
};
int clean(const CleanOptions& o);

// The state of a live scheduler, asked of its command server (the contact
// file's "commands" endpoint): running, paused or stopping.
std::string live_state(const std::string& commands_endpoint);

}  // namespace tock::cmd
